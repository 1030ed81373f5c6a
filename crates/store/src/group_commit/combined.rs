//! A group on PostgreSQL: the writes of one family as one statement over a `VALUES`
//! list of all their parameters ([`Combined`]), committed as it runs.
//!
//! The list is padded with rows of NULLs to the next power of two, so a family has
//! six statements (2, 4, … 64 rows) for the server and each connection's statement
//! cache to keep prepared, not 63. A NULL key matches no row, so padding changes
//! nothing.

use super::{Arg, Combined, Counters, Request, Write, all_busy, retried, single};
use sqlx::{AnyPool, AssertSqlSafe, Row};
use std::collections::{HashMap, HashSet};

/// The statements built so far, by family, parameters per write and rows.
#[derive(Default)]
pub(super) struct Statements(HashMap<(usize, usize, usize), String>);

impl Statements {
    /// The statement for `rows` writes like `first`.
    fn get(&mut self, family: &'static Combined, first: &Write, rows: usize) -> String {
        let id = std::ptr::from_ref(family) as usize;
        self.0
            .entry((id, first.args.len(), rows))
            .or_insert_with(|| statement(family.template, &types(&first.args), rows))
            .clone()
    }
}

/// The SQL type of each parameter.
fn types(args: &[Arg]) -> Vec<&'static str> {
    args.iter()
        .map(|a| match a {
            Arg::Int(_) => "BIGINT",
            Arg::Text(_) => "TEXT",
        })
        .collect()
}

/// `template` with `rows` typed tuples of parameters in place of `{rows}`.
fn statement(template: &str, types: &[&str], rows: usize) -> String {
    let tuples: Vec<String> = (0..rows)
        .map(|r| {
            let cols: Vec<String> = types
                .iter()
                .enumerate()
                .map(|(i, t)| format!("CAST(${} AS {t})", r * types.len() + i + 1))
                .collect();
            format!("({})", cols.join(", "))
        })
        .collect();
    template.replace("{rows}", &tuples.join(", "))
}

/// Splits what the queue gave into what one statement takes and what waits for the
/// next group, each in its order: the first write, then those of its family whose
/// key is not yet taken. A write that does not combine goes alone.
pub(super) fn split(batch: Vec<Request>) -> (Vec<Request>, Vec<Request>) {
    let mut rest = batch.into_iter();
    let Some(first) = rest.next() else {
        return (Vec::new(), Vec::new());
    };
    let (Some(family), Some(key)) = (first.write.combined, first.write.key()) else {
        return (vec![first], rest.collect());
    };
    let mut keys = HashSet::from([key]);
    let (mut now, mut later) = (vec![first], Vec::new());
    for r in rest {
        let joins = r.write.combined.is_some_and(|c| std::ptr::eq(c, family))
            && r.write.key().is_some_and(|k| keys.insert(k));
        if joins {
            now.push(r);
        } else {
            later.push(r);
        }
    }
    (now, later)
}

/// Commits a group as one statement, retried while the database is busy (each
/// caller told it is busy when the retries run out); on any other failure runs each
/// write alone. A group of one runs its own statement.
pub(super) async fn commit(
    pool: &AnyPool,
    counters: &Counters,
    statements: &mut Statements,
    batch: Vec<Request>,
) {
    let family = match batch.as_slice() {
        [first, _, ..] => first.write.combined,
        _ => None,
    };
    let Some(family) = family else {
        return each_alone(pool, batch).await;
    };
    let rows = batch.len().next_power_of_two();
    let first = &batch[0].write;
    let sql = statements.get(family, first, rows);
    let padding: Vec<Arg> = (batch.len()..rows)
        .flat_map(|_| first.args.iter().map(null_like))
        .collect();
    let run = || async {
        let mut q = sqlx::query(AssertSqlSafe(sql.clone()));
        for r in &batch {
            q = super::bind(q, &r.write.args);
        }
        q = super::bind(q, &padding);
        let rows = q.fetch_all(pool).await?;
        rows.iter()
            .map(|row| row.try_get::<i64, _>(0))
            .collect::<Result<HashSet<i64>, _>>()
    };
    match retried(run).await {
        Err(_) => all_busy(batch),
        Ok(Ok(keys)) => {
            counters.committed(batch.len());
            for r in batch {
                let took = r.write.key().is_some_and(|k| keys.contains(&k));
                let _ = r.reply.send(Ok(u64::from(took)));
            }
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, writes = batch.len(), "a combined write failed; each write runs alone");
            counters.failed();
            each_alone(pool, batch).await
        }
    }
}

/// Runs each write on its own and tells its caller how it went.
async fn each_alone(pool: &AnyPool, batch: Vec<Request>) {
    for r in batch {
        let outcome = single(pool, &r.write).await;
        let _ = r.reply.send(outcome);
    }
}

/// A NULL of the same type as `a`.
fn null_like(a: &Arg) -> Arg {
    match a {
        Arg::Int(_) => Arg::Int(None),
        Arg::Text(_) => Arg::Text(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::oneshot;

    static FAMILY: Combined = Combined {
        template: "WITH x (id, n) AS (VALUES {rows}) SELECT id FROM x",
        key: 0,
    };
    static OTHER: Combined = Combined {
        template: "WITH x (id) AS (VALUES {rows}) SELECT id FROM x",
        key: 0,
    };

    fn request(key: Option<i64>, combined: Option<&'static Combined>) -> Request {
        let (reply, _) = oneshot::channel();
        Request {
            write: Write {
                sql: "",
                args: vec![Arg::Int(key), Arg::Text(Some("t".into()))],
                combined,
            },
            reply,
        }
    }

    fn keys(rs: &[Request]) -> Vec<Option<i64>> {
        rs.iter()
            .map(|r| r.write.args[0].clone())
            .map(|a| match a {
                Arg::Int(k) => k,
                Arg::Text(_) => None,
            })
            .collect()
    }

    #[test]
    fn the_statement_lists_typed_parameters_row_by_row() {
        let sql = statement(FAMILY.template, &["BIGINT", "TEXT"], 2);
        assert_eq!(
            sql,
            "WITH x (id, n) AS (VALUES (CAST($1 AS BIGINT), CAST($2 AS TEXT)), \
             (CAST($3 AS BIGINT), CAST($4 AS TEXT))) SELECT id FROM x"
        );
    }

    #[test]
    fn a_key_already_taken_and_another_family_wait_for_the_next_group() {
        let batch = vec![
            request(Some(1), Some(&FAMILY)),
            request(Some(2), Some(&FAMILY)),
            request(Some(1), Some(&FAMILY)),
            request(Some(3), Some(&OTHER)),
            request(Some(4), Some(&FAMILY)),
        ];
        let (now, later) = split(batch);
        assert_eq!(keys(&now), vec![Some(1), Some(2), Some(4)]);
        assert_eq!(keys(&later), vec![Some(1), Some(3)]);
    }

    #[test]
    fn a_write_that_does_not_combine_goes_alone() {
        let batch = vec![request(Some(1), None), request(Some(2), Some(&FAMILY))];
        let (now, later) = split(batch);
        assert_eq!(keys(&now), vec![Some(1)]);
        assert_eq!(keys(&later), vec![Some(2)]);
        let batch = vec![
            request(None, Some(&FAMILY)),
            request(Some(2), Some(&FAMILY)),
        ];
        let (now, _) = split(batch);
        assert_eq!(now.len(), 1);
    }
}
