//! The table page the station desk's lists share (appointments, board, jobs, KPIs): rows
//! with links, alerts and small posting buttons, an optional filter and chart. Machinery,
//! not an area.

use super::chrome::{Chrome, Pager, SortHeader};
use super::form::{render, t};
use super::session::ConsoleUser;
use app::repair_order::view::{self};
use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::HashMap;

/// A button posting a small form.
#[derive(Debug, Clone)]
pub struct Button {
    /// Target.
    pub action: String,
    /// Text.
    pub label: String,
    /// Hidden fields.
    pub hidden: Vec<(String, String)>,
    /// Whether it asks for a reason.
    pub reason: bool,
}

/// A row of a service table.
#[derive(Debug, Clone)]
pub struct TRow {
    /// Record id.
    pub id: i64,
    /// Link of the first cell ("" for none).
    pub href: String,
    /// Cells.
    pub cells: Vec<String>,
    /// Highlighted (an overrun).
    pub alert: bool,
    /// Buttons.
    pub buttons: Vec<Button>,
}

/// A filter form: (name, label, value).
#[derive(Debug, Clone)]
pub struct Filter {
    /// Inputs.
    pub fields: Vec<(String, String, String)>,
}

/// A table page of the service loop.
#[derive(Template)]
#[template(path = "table.html")]
pub struct TablePage {
    /// Frame.
    pub chrome: Chrome,
    /// Heading.
    pub title: String,
    /// Success message.
    pub notice: Option<String>,
    /// Error message.
    pub error: Option<String>,
    /// Filter form.
    pub filter: Option<Filter>,
    /// A link to create something here: (href, label).
    pub new_link: Option<(String, String)>,
    /// Column headings.
    pub headers: Vec<String>,
    /// The same headings as sort links with `aria-sort` (empty for a list that is
    /// not sortable; then `headers` are shown as they are).
    pub sort: Vec<SortHeader>,
    /// Numbered pages and page sizes (a list shown whole has none).
    pub pager: Option<Pager>,
    /// Rows.
    pub rows: Vec<TRow>,
    /// An SVG chart.
    pub chart: Option<String>,
}

impl TablePage {
    /// The heading of column `i` (a phone's card labels each cell with it); empty past
    /// the last heading.
    pub fn label(&self, i: &usize) -> &str {
        self.headers.get(*i).map(String::as_str).unwrap_or_default()
    }
}

pub(crate) fn station_param(user: &ConsoleUser, q: &HashMap<String, String>) -> Option<i64> {
    q.get("station")
        .and_then(|s| s.trim().parse().ok())
        .or_else(|| view::station_of(&user.session.principal))
}

pub(crate) fn station_needed(chrome: Chrome, title_key: &str, _href: &str) -> Response {
    let lang = chrome.lang;
    let page = TablePage {
        title: t(lang, title_key),
        notice: None,
        error: None,
        filter: Some(Filter {
            fields: vec![("station".into(), t(lang, "field.station_id"), String::new())],
        }),
        new_link: None,
        headers: vec![],
        sort: vec![],
        pager: None,
        rows: vec![],
        chart: None,
        chrome,
    };
    render(&page, StatusCode::OK)
}
