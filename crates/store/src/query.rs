//! Helpers for queries whose conditions are built at run time.

use crate::error::StoreResult;
use crate::{Page, Paged};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// A value bound to a dynamically built query.
#[derive(Debug, Clone)]
pub enum Bind {
    /// An integer.
    I(i64),
    /// A text.
    S(String),
}

/// Binds every value in order.
pub fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for b in binds {
        q = match b {
            Bind::I(i) => q.bind(*i),
            Bind::S(s) => q.bind(s.as_str()),
        };
    }
    q
}

/// `{col} LIKE ${n}` with a backslash as the escape character, so a pattern built by
/// [`contains`] or [`starts_with`] means the same on SQLite (which has no default
/// escape) and PostgreSQL.
pub fn like(col: &str, n: usize) -> String {
    format!("{col} LIKE ${n} ESCAPE '\\'")
}

/// The search text with LIKE's wildcards (`%`, `_`) and the escape character itself
/// escaped, so `q=%` finds a percent sign rather than every row.
pub fn like_literal(q: &str) -> String {
    let mut out = String::with_capacity(q.len());
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A LIKE pattern (for [`like`]) that matches texts containing `q`.
pub fn contains(q: &str) -> Bind {
    Bind::S(format!("%{}%", like_literal(q)))
}

/// A LIKE pattern (for [`like`]) that matches texts starting with `q`.
pub fn starts_with(q: &str) -> Bind {
    Bind::S(format!("{}%", like_literal(q)))
}

/// Whether the connection talks to PostgreSQL (otherwise SQLite): search conditions
/// differ, as each database has its own fragment index (FTS5 trigram, pg_trgm).
pub fn is_postgres(conn: &AnyConnection) -> bool {
    conn.backend_name() == "PostgreSQL"
}

/// The length, in characters, from which a search looks for a fragment anywhere in a
/// text: both fragment indexes cut texts into trigrams, so shorter searches match
/// the start of a text (a plate's "京A", a family name) through ordinary indexes.
pub const FRAGMENT_MIN_CHARS: usize = 3;

/// An FTS5 query that matches `q` as one literal substring (quotes doubled), so what
/// a user types is never read as FTS5 syntax.
pub fn fts_literal(q: &str) -> String {
    format!("\"{}\"", q.replace('"', "\"\""))
}

/// The exclusive upper bound of texts starting with `q`, for a prefix range
/// `col >= q AND col < prefix_end(q)` that any b-tree index serves.
pub fn prefix_end(q: &str) -> String {
    format!("{q}\u{10FFFF}")
}

/// Runs a `SELECT COUNT(*)` with the given binds.
pub async fn count(conn: &mut AnyConnection, sql: &str, binds: &[Bind]) -> StoreResult<i64> {
    let row = bind_all(sqlx::query(AssertSqlSafe(sql.to_string())), binds)
        .fetch_one(conn)
        .await?;
    Ok(row.try_get(0)?)
}

/// The order of a list a person chose by a column heading: a column from the list's
/// own whitelist (never text from the request) and a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    /// The whitelist key the person asked for (`name`, `code`, …).
    pub key: &'static str,
    /// The SQL column of that key.
    pub column: &'static str,
    /// Descending.
    pub desc: bool,
}

impl Order {
    /// The order `key` of `allowed` ((key, SQL column) pairs), descending when `dir`
    /// is `desc`; `None` for a key the list does not allow.
    pub fn pick(allowed: &[(&'static str, &'static str)], key: &str, dir: &str) -> Option<Order> {
        allowed
            .iter()
            .find(|(k, _)| *k == key.trim())
            .map(|(k, c)| Order {
                key: k,
                column: c,
                desc: dir.trim() == "desc",
            })
    }

    /// `ORDER BY` text: the column, its direction, then `tiebreak` so pages are stable.
    pub fn sql(&self, tiebreak: &str) -> String {
        let dir = if self.desc { "DESC" } else { "ASC" };
        format!("{} {dir}, {tiebreak}", self.column)
    }
}

/// One page of `SELECT {cols} {from} WHERE {where_} ORDER BY {order}` with the total
/// count of matching rows, each row read by `read`: the shape of every list.
#[allow(clippy::too_many_arguments)]
pub async fn page_of<T>(
    conn: &mut AnyConnection,
    cols: &str,
    from: &str,
    where_: &str,
    order: &str,
    binds: &[Bind],
    page: Page,
    read: fn(&AnyRow) -> Result<T, sqlx::Error>,
) -> StoreResult<Paged<T>> {
    let total = count(
        conn,
        &format!("SELECT COUNT(*) {from} WHERE {where_}"),
        binds,
    )
    .await?;
    let sql = format!(
        "SELECT {cols} {from} WHERE {where_} ORDER BY {order} LIMIT {} OFFSET {}",
        page.per_page,
        page.offset()
    );
    let rows = bind_all(sqlx::query(AssertSqlSafe(sql)), binds)
        .fetch_all(conn)
        .await?;
    let items = rows.iter().map(read).collect::<Result<_, _>>()?;
    Ok(Paged {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// The `FROM … WHERE …` of a list built at run time, with its binds in order: each
/// filter the caller asked for adds `AND col = $n`.
#[derive(Debug, Clone)]
pub struct Filters {
    /// ` FROM table WHERE …` (starts with a space).
    pub sql: String,
    /// The values of its `$n`, in order.
    pub binds: Vec<Bind>,
}

impl Filters {
    /// ` FROM {table} WHERE {cond}` with the binds `cond` already uses.
    pub fn new(table: &str, cond: &str, binds: Vec<Bind>) -> Filters {
        Filters {
            sql: format!(" FROM {table} WHERE {cond}"),
            binds,
        }
    }

    /// Adds `AND {col} = $n` for `value`, when there is one.
    pub fn eq(&mut self, col: &str, value: Option<Bind>) -> &mut Filters {
        if let Some(v) = value {
            self.binds.push(v);
            self.sql
                .push_str(&format!(" AND {col} = ${}", self.binds.len()));
        }
        self
    }

    /// Adds a condition that binds nothing.
    pub fn and(&mut self, cond: &str) -> &mut Filters {
        self.sql.push_str(&format!(" AND {cond}"));
        self
    }
}

/// At most `limit` rows from `offset` of `SELECT {cols}{filters} ORDER BY {order}`,
/// each read by `read`, and the total count of matching rows: the shape of every
/// list that pages by limit and offset.
pub async fn rows_and_total<T>(
    conn: &mut AnyConnection,
    cols: &str,
    f: &Filters,
    order: &str,
    limit: i64,
    offset: i64,
    read: fn(&AnyRow) -> Result<T, sqlx::Error>,
) -> StoreResult<(Vec<T>, i64)> {
    let total = count(conn, &format!("SELECT COUNT(*){}", f.sql), &f.binds).await?;
    let n = f.binds.len();
    let sql = format!(
        "SELECT {cols}{} ORDER BY {order} LIMIT ${} OFFSET ${}",
        f.sql,
        n + 1,
        n + 2
    );
    let rows = bind_all(sqlx::query(AssertSqlSafe(sql)), &f.binds)
        .bind(limit)
        .bind(offset)
        .fetch_all(conn)
        .await?;
    Ok((rows.iter().map(read).collect::<Result<_, _>>()?, total))
}

/// How many matching rows a search looks at, at most: enough for every page anyone
/// reads, and the bound that keeps a search of a common fragment ("S5", "000", a
/// family name) as fast as a rare one. A search's total is then at most this.
pub const SEARCH_CANDIDATES: i64 = 1_000;

/// One page of a search, ranked and counted from its candidates rather than by the
/// database: `candidates` selects `(id, exact)` of the matches within reach (bounded
/// by [`SEARCH_CANDIDATES`], every filter inside it), ranked here exact matches
/// first, then newest first (highest id), one entry per id; only the page's rows are
/// then read, by `rows` (`SELECT … WHERE x.id IN`, completed here with the page's ids).
/// Why not `WHERE id IN (candidates) ORDER BY …` with a `COUNT(*)` beside it: that
/// ran the search twice and read every candidate's whole row (on SQLite with the
/// customer's consent subqueries) to sort them, for the twenty rows a page shows.
pub async fn ranked_page<T>(
    conn: &mut AnyConnection,
    candidates: &str,
    binds: &[Bind],
    rows: &str,
    page: Page,
    id_of: fn(&T) -> i64,
    read: fn(&AnyRow) -> Result<T, sqlx::Error>,
) -> StoreResult<Paged<T>> {
    let found = bind_all(sqlx::query(AssertSqlSafe(candidates.to_string())), binds)
        .fetch_all(&mut *conn)
        .await?;
    let mut hits = Vec::with_capacity(found.len());
    for r in &found {
        let exact: i64 = r.try_get(1)?;
        hits.push((exact != 0, r.try_get::<i64, _>(0)?));
    }
    let ids = rank(hits);
    let offset = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let per_page = usize::try_from(page.per_page).unwrap_or(0);
    let shown: Vec<i64> = ids.iter().skip(offset).take(per_page).copied().collect();
    let mut items = Vec::with_capacity(shown.len());
    if !shown.is_empty() {
        let marks: Vec<String> = (1..=shown.len()).map(|i| format!("${i}")).collect();
        let sql = format!("{rows} ({})", marks.join(","));
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in &shown {
            q = q.bind(*id);
        }
        let mut read_rows = q
            .fetch_all(conn)
            .await?
            .iter()
            .map(read)
            .collect::<Result<Vec<T>, _>>()?;
        // In the ranked order (a row deleted in between is simply not shown).
        for id in &shown {
            if let Some(i) = read_rows.iter().position(|t| id_of(t) == *id) {
                items.push(read_rows.swap_remove(i));
            }
        }
    }
    Ok(Paged {
        items,
        total: ids.len() as i64,
        page: page.page,
        per_page: page.per_page,
    })
}

/// The searched rows of a list: `candidates` and `exact` as a list's search builds
/// them (`(id, exact)` of the matches, and the condition of an exact match), read as
/// `SELECT {cols} {from}` with `id` the list's id column. With no order chosen, ranked
/// by [`ranked_page`]; with a column's order a person chose, that order over the same
/// candidates in SQL, exact matches first and then the newest breaking ties.
#[allow(clippy::too_many_arguments)]
pub async fn searched_page<T>(
    conn: &mut AnyConnection,
    (cols, from, id): (&str, &str, &str),
    (candidates, exact): (&str, &str),
    binds: &[Bind],
    page: Page,
    chosen: Option<Order>,
    id_of: fn(&T) -> i64,
    read: fn(&AnyRow) -> Result<T, sqlx::Error>,
) -> StoreResult<Paged<T>> {
    match chosen {
        None => {
            let rows = format!("SELECT {cols} {from} WHERE {id} IN");
            ranked_page(conn, candidates, binds, &rows, page, id_of, read).await
        }
        Some(o) => {
            let order = o.sql(&format!("CASE WHEN {exact} THEN 0 ELSE 1 END, {id} DESC"));
            let where_ = format!("{id} IN (SELECT m.id FROM ({candidates}) m)");
            page_of(conn, cols, from, &where_, &order, binds, page, read).await
        }
    }
}

/// Search hits `(exact, id)` in the order a list shows them: exact matches first,
/// then newest first; a row found both exactly and as a fragment once, as exact.
pub fn rank(mut hits: Vec<(bool, i64)>) -> Vec<i64> {
    hits.sort_unstable_by(|a, b| b.cmp(a));
    let mut seen = std::collections::HashSet::with_capacity(hits.len());
    hits.into_iter()
        .filter(|(_, id)| seen.insert(*id))
        .map(|(_, id)| id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_are_escaped() {
        assert_eq!(like_literal("50%_a\\b"), "50\\%\\_a\\\\b");
        assert!(matches!(contains("%"), Bind::S(s) if s == "%\\%%"));
        assert_eq!(like("c.name", 2), "c.name LIKE $2 ESCAPE '\\'");
    }

    #[test]
    fn exact_matches_come_first_then_the_newest_and_each_row_once() {
        let hits = vec![(false, 3), (true, 1), (false, 7), (false, 1), (true, 5)];
        assert_eq!(rank(hits), vec![5, 1, 7, 3]);
    }
}
