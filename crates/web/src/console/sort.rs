//! Sortable list headings: the order a list was asked for (`?sort=key&dir=asc|desc`),
//! kept to the list's whitelist of columns (the store only ever sees a whitelisted
//! column, never text from the request), the heading links with `aria-sort`, and the
//! query tail that keeps the order on page links. Machinery, not an area.

use std::collections::HashMap;

/// A column heading of a sortable list: its text and, when the list may be sorted
/// by it, the link that sorts by it (or turns the order round) and its `aria-sort`.
#[derive(Debug, Clone)]
pub struct SortHeader {
    /// Text.
    pub label: String,
    /// Link sorting by this column; `None` for a column the list does not sort by.
    pub href: Option<String>,
    /// `ascending`, `descending` or `none`.
    pub aria: &'static str,
    /// The arrow after the text (`▲`, `▼` or nothing).
    pub arrow: &'static str,
}

/// The order a list page was asked for (`?sort=key&dir=asc|desc`), kept to the
/// list's whitelist; anything else is the list's default order.
pub fn sort_param(
    q: &HashMap<String, String>,
    allowed: &[(&'static str, &'static str)],
) -> Option<app::Order> {
    let key = q.get("sort").map(String::as_str).unwrap_or_default();
    let dir = q.get("dir").map(String::as_str).unwrap_or_default();
    app::Order::pick(allowed, key, dir)
}

/// The headings of a list at `base` searched for `text`: each `(label, key)` with a
/// key links to the list sorted by it (ascending, or turned round when it is the
/// current order); the current one carries its `aria-sort`.
pub fn sort_headers(
    base: &str,
    text: &str,
    columns: Vec<(String, Option<&'static str>)>,
    current: Option<app::Order>,
) -> Vec<SortHeader> {
    columns
        .into_iter()
        .map(|(label, key)| {
            let on = key.and_then(|k| current.filter(|o| o.key == k));
            let (aria, arrow) = match on {
                Some(o) if o.desc => ("descending", "▼"),
                Some(_) => ("ascending", "▲"),
                None => ("none", ""),
            };
            let next_dir = if on.is_some_and(|o| !o.desc) {
                "desc"
            } else {
                "asc"
            };
            SortHeader {
                label,
                href: key.map(|k| {
                    format!(
                        "{base}?q={}&sort={k}&dir={next_dir}",
                        super::chrome::urlencode(text)
                    )
                }),
                aria,
                arrow,
            }
        })
        .collect()
}

/// The query tail that keeps a list's order on its page links (`&sort=…&dir=…`).
pub fn sort_tail(order: Option<app::Order>) -> String {
    order
        .map(|o| {
            format!(
                "&sort={}&dir={}",
                o.key,
                if o.desc { "desc" } else { "asc" }
            )
        })
        .unwrap_or_default()
}
