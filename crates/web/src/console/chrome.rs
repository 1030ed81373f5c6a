//! The frame around every console page: top bar, sidebar, breadcrumbs, language.

use crate::i18n::{I18n, Lang, tables};
use domain::permission::{Action, Principal, Unit};
use std::collections::HashMap;

/// One sidebar link.
#[derive(Debug, Clone)]
pub struct NavItem {
    /// Target.
    pub href: &'static str,
    /// Text.
    pub label: String,
    /// Whether it is the current section.
    pub active: bool,
}

/// What the layout shows around a page.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// Page language.
    pub lang: Lang,
    /// The user's name.
    pub user_name: String,
    /// The user's role, translated.
    pub role_label: String,
    /// The user's unit, translated.
    pub unit_label: String,
    /// CSRF token for forms.
    pub csrf: String,
    /// Sidebar.
    pub nav: Vec<NavItem>,
    /// Breadcrumbs: (href, text).
    pub crumbs: Vec<(String, String)>,
    /// The current path, for the language switch to come back to.
    pub path: String,
    /// A message confirming what the form just sent did ([`super::toast`]).
    pub toast: Option<String>,
}

impl Chrome {
    /// The frame for a signed-in principal on `section`.
    pub fn new(p: &Principal, lang: Lang, csrf: &str, section: &str, path: &str) -> Chrome {
        let t = tables();
        let mut nav = vec![NavItem {
            href: "/console",
            label: t.t(lang, "nav.home").into(),
            active: section == "home",
        }];
        let items: [(&str, &'static str, &str, Action); 18] = [
            (
                "stations",
                "/console/stations",
                "nav.stations",
                Action::NetworkRead,
            ),
            ("staff", "/console/staff", "nav.staff", Action::StaffRead),
            (
                "customers",
                "/console/customers",
                "nav.customers",
                Action::CustomerRead,
            ),
            (
                "vehicles",
                "/console/vehicles",
                "nav.vehicles",
                Action::VehicleRead,
            ),
            (
                "appointments",
                "/console/appointments",
                "svc.appointments",
                Action::AppointmentRead,
            ),
            (
                "board",
                "/console/board",
                "svc.board",
                Action::RepairOrderRead,
            ),
            ("jobs", "/console/jobs", "svc.jobs", Action::WorkshopWork),
            ("pickups", "/console/pickups", "pk.nav", Action::VehicleRead),
            ("kpis", "/console/kpis", "svc.kpis", Action::KpiRead),
            (
                "payment_notices",
                "/console/payment-notices",
                "notice.nav",
                Action::BillingRead,
            ),
            (
                "reconciliation",
                "/console/reconciliation",
                "recon.nav",
                Action::BillingRead,
            ),
            ("queue", "/console/queue", "job.nav", Action::JobAdmin),
            ("audit", "/console/audit", "audit.nav", Action::AuditRead),
            (
                "privacy_requests",
                "/console/privacy-requests",
                "privacy.req.nav",
                Action::PrivacyRequestHandle,
            ),
            (
                "complaints",
                "/console/complaints",
                "complaint.nav",
                Action::ComplaintRead,
            ),
            (
                "surveys",
                "/console/surveys",
                "survey.nav",
                Action::SurveyRead,
            ),
            (
                "quality_audits",
                "/console/quality-audits",
                "qa.nav",
                Action::QualityAuditRead,
            ),
            // Only head office changes the policy; others reach it from the pages.
            (
                "three_guarantees",
                "/console/three-guarantees/policy",
                "nav.three_guarantees",
                Action::NetworkWrite,
            ),
        ];
        for (key, href, label, action) in items {
            if p.grant(action).is_ok() {
                nav.push(NavItem {
                    href,
                    label: t.t(lang, label).into(),
                    active: section == key,
                });
            }
        }
        nav.push(NavItem {
            href: "/api/docs",
            label: t.t(lang, "nav.api").into(),
            active: false,
        });
        let unit_label = match p.unit {
            Unit::HeadOffice => t.t(lang, "unit.head_office").to_string(),
            Unit::Region(r) => t.fill(lang, "unit.region", &[("id", &r.to_string())]),
            Unit::Station(s, _) => t.fill(lang, "unit.station", &[("id", &s.to_string())]),
            Unit::Owner(_) => t.t(lang, "role.owner").to_string(),
        };
        Chrome {
            lang,
            user_name: p.name.clone(),
            role_label: t.t(lang, &format!("role.{}", p.role.code())).to_string(),
            unit_label,
            csrf: csrf.to_string(),
            nav,
            crumbs: vec![("/console".into(), t.t(lang, "nav.home").into())],
            path: path.to_string(),
            toast: None,
        }
    }

    /// The text for a key in the page's language.
    pub fn t(&self, key: &str) -> String {
        tables().t(self.lang, key).to_string()
    }

    /// The heading of column `i` of a list (`""` past the last one): a phone shows a
    /// list as one card per row, each cell labelled with its heading (`data-label`),
    /// since the card layout hides the table's heading row.
    pub fn col<'a>(&self, sort: &'a [SortHeader], i: usize) -> &'a str {
        sort.get(i).map(|h| h.label.as_str()).unwrap_or_default()
    }

    /// Adds a breadcrumb.
    pub fn crumb(mut self, href: impl Into<String>, text: impl Into<String>) -> Chrome {
        self.crumbs.push((href.into(), text.into()));
        self
    }

    /// The translation tables.
    pub fn tables(&self) -> &'static I18n {
        tables()
    }
}

/// Paging links under a list.
#[derive(Debug, Clone)]
pub struct Pager {
    /// "N in all, page x of y".
    pub info: String,
    /// Previous page link.
    pub prev: Option<String>,
    /// Next page link.
    pub next: Option<String>,
    /// Page-size choices (empty where a list offers none).
    pub sizes: Vec<SizeLink>,
    /// Numbered page links: the first, the last and two either side of the current
    /// one, a gap (`…`, no link) between (empty for a list of one page).
    pub numbers: Vec<PageNumber>,
}

/// One numbered page link under a list (or the gap between them).
#[derive(Debug, Clone)]
pub struct PageNumber {
    /// The page number, or `…` for a gap.
    pub label: String,
    /// The page's link; `None` for the current page and a gap.
    pub href: Option<String>,
    /// The page shown now.
    pub current: bool,
}

/// The page numbers to offer for page `page` of `pages`: 1, the last, and the two
/// either side of the current one, with `None` for each gap between them.
pub fn page_numbers(page: i64, pages: i64) -> Vec<Option<i64>> {
    if pages <= 1 {
        return vec![];
    }
    let mut out: Vec<Option<i64>> = Vec::new();
    let mut last = 0;
    for n in 1..=pages {
        let near = (n - page).abs() <= 2;
        if n == 1 || n == pages || near {
            if n > last + 1 {
                out.push(None);
            }
            out.push(Some(n));
            last = n;
        }
    }
    out
}

impl Pager {
    /// Links for a page of a list at `base` with the search text `q`.
    pub fn new(lang: Lang, base: &str, q: &str, total: i64, page: i64, pages: i64) -> Pager {
        let link = |p: i64| format!("{base}?q={}&page={p}", urlencode(q));
        Pager {
            info: tables().fill(
                lang,
                "page.info",
                &[
                    ("total", &total.to_string()),
                    ("page", &page.to_string()),
                    ("pages", &pages.to_string()),
                ],
            ),
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
            sizes: vec![],
            numbers: page_numbers(page, pages)
                .into_iter()
                .map(|n| match n {
                    Some(n) => PageNumber {
                        label: n.to_string(),
                        href: (n != page).then(|| link(n)),
                        current: n == page,
                    },
                    None => PageNumber {
                        label: "…".into(),
                        href: None,
                        current: false,
                    },
                })
                .collect(),
        }
    }
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Shows a UTC millisecond instant as `2026-11-23 14:05` in Asia/Shanghai.
pub fn show_time(ms: i64) -> String {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

// Sortable list headings: the order a list was asked for (`?sort=key&dir=asc|desc`),
// kept to the list's whitelist of columns (the store only ever sees a whitelisted
// column, never text from the request), the heading links with `aria-sort`, and the
// query tail that keeps the order on the pager's links.

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

/// A duration of `minutes` as people say it, in `lang`: `15 分钟` / `15 min` under an
/// hour, `2 小时 5 分钟` / `2 h 5 min` under a day, `5 天 2 小时` / `5 d 2 h` beyond
/// (minutes stop mattering once a car has waited days). "7330 min" had the reader do
/// the division.
pub fn duration_text(lang: Lang, minutes: i64) -> String {
    let t = crate::i18n::tables();
    let part = |key: &str, n: i64| t.fill(lang, key, &[("n", &n.to_string())]);
    let m = minutes.max(0);
    let (d, h, min) = (m / 1440, (m % 1440) / 60, m % 60);
    let mut out = Vec::new();
    if d > 0 {
        out.push(part("span.d", d));
        if h > 0 {
            out.push(part("span.h", h));
        }
    } else {
        if h > 0 {
            out.push(part("span.h", h));
        }
        if min > 0 || h == 0 {
            out.push(part("span.m", min));
        }
    }
    out.join(" ")
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
                href: key.map(|k| format!("{base}?q={}&sort={k}&dir={next_dir}", urlencode(text))),
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

/// The page sizes a list offers (`?size=`); the first is the default.
pub const PAGE_SIZES: [i64; 3] = [20, 50, 100];

/// One choice of page size under a list: its link, and whether it is the current one.
#[derive(Debug, Clone)]
pub struct SizeLink {
    /// Rows per page.
    pub size: i64,
    /// The list at that size (page 1, same search, order and filters).
    pub href: String,
    /// The size shown now.
    pub current: bool,
}

/// What a list page was asked for: search text, order (from the list's whitelist),
/// page size (one of [`PAGE_SIZES`]), page, and the filters it keeps on every link it
/// makes (sort headings, pager, page sizes), so choosing an order or a size never
/// drops a filter.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// The list's path.
    pub base: String,
    /// Search text.
    pub text: String,
    /// Chosen order, if any.
    pub order: Option<app::Order>,
    /// Rows per page.
    pub size: i64,
    /// Page asked for (1-based).
    pub page: i64,
    /// Kept filters: (name, value), non-empty values only.
    pub keep: Vec<(String, String)>,
}

impl ListQuery {
    /// Reads `q`, `sort`/`dir` (kept to `allowed`), `size`, `page` and the filters
    /// named in `keep` from a list page's query.
    pub fn read(
        base: &str,
        q: &HashMap<String, String>,
        allowed: &[(&'static str, &'static str)],
        keep: &[&str],
    ) -> ListQuery {
        let size = q
            .get("size")
            .and_then(|s| s.trim().parse::<i64>().ok())
            .filter(|s| PAGE_SIZES.contains(s))
            .unwrap_or(PAGE_SIZES[0]);
        ListQuery {
            base: base.to_string(),
            text: q.get("q").cloned().unwrap_or_default(),
            order: sort_param(q, allowed),
            size,
            page: q
                .get("page")
                .and_then(|p| p.trim().parse().ok())
                .unwrap_or(1)
                .max(1),
            keep: keep
                .iter()
                .filter_map(|k| {
                    q.get(*k)
                        .filter(|v| !v.trim().is_empty())
                        .map(|v| ((*k).to_string(), v.clone()))
                })
                .collect(),
        }
    }

    /// The page to load.
    pub fn page(&self) -> app::Page {
        app::Page::new(self.page, self.size)
    }

    /// The query tail of the size (when not the default) and the kept filters.
    fn tail(&self, size: i64) -> String {
        let mut out = String::new();
        if size != PAGE_SIZES[0] {
            out.push_str(&format!("&size={size}"));
        }
        for (k, v) in &self.keep {
            out.push_str(&format!("&{k}={}", urlencode(v)));
        }
        out
    }

    /// The sortable headings: `columns` as (label, sort key) pairs.
    pub fn headers(&self, columns: Vec<(String, Option<&'static str>)>) -> Vec<SortHeader> {
        let tail = self.tail(self.size);
        sort_headers(&self.base, &self.text, columns, self.order)
            .into_iter()
            .map(|mut h| {
                h.href = h.href.map(|href| href + &tail);
                h
            })
            .collect()
    }

    /// The pager of a list of `total` rows in `pages` pages, now on `page`.
    pub fn pager(&self, lang: Lang, total: i64, page: i64, pages: i64) -> Pager {
        let tail = sort_tail(self.order) + &self.tail(self.size);
        let mut p = Pager::new(lang, &self.base, &self.text, total, page, pages);
        p.prev = p.prev.map(|l| l + &tail);
        p.next = p.next.map(|l| l + &tail);
        for n in &mut p.numbers {
            n.href = n.href.take().map(|l| l + &tail);
        }
        p.sizes = self.sizes();
        p
    }

    /// The page-size choices (each back on page 1).
    pub fn sizes(&self) -> Vec<SizeLink> {
        PAGE_SIZES
            .iter()
            .map(|&size| SizeLink {
                size,
                href: format!(
                    "{}?q={}{}{}",
                    self.base,
                    urlencode(&self.text),
                    sort_tail(self.order),
                    self.tail(size)
                ),
                current: size == self.size,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{duration_text, page_numbers};
    use crate::i18n::Lang;

    #[test]
    fn durations_read_in_days_hours_and_minutes() {
        assert_eq!(duration_text(Lang::En, 0), "0 min");
        assert_eq!(duration_text(Lang::En, 15), "15 min");
        assert_eq!(duration_text(Lang::En, 60), "1 h");
        assert_eq!(duration_text(Lang::En, 125), "2 h 5 min");
        assert_eq!(duration_text(Lang::En, 7330), "5 d 2 h");
        assert_eq!(duration_text(Lang::En, 1440), "1 d");
        assert_eq!(duration_text(Lang::ZhCn, 7330), "5 天 2 小时");
        assert_eq!(duration_text(Lang::ZhCn, 45), "45 分钟");
        assert_eq!(
            duration_text(Lang::En, -5),
            "0 min",
            "a clock skew is no negative wait"
        );
    }

    #[test]
    fn page_numbers_keep_the_ends_and_the_neighbours_with_gaps_between() {
        assert!(page_numbers(1, 1).is_empty());
        assert_eq!(page_numbers(1, 3), vec![Some(1), Some(2), Some(3)]);
        assert_eq!(
            page_numbers(10, 20),
            vec![
                Some(1),
                None,
                Some(8),
                Some(9),
                Some(10),
                Some(11),
                Some(12),
                None,
                Some(20)
            ]
        );
        assert_eq!(
            page_numbers(1, 9),
            vec![Some(1), Some(2), Some(3), None, Some(9)]
        );
    }
}
