//! The inbox of the clocks' warnings and escalations (`/console/complaints/inbox`):
//! the notices of the user's level within reach, newest first, the ones not seen
//! before tagged "new"; opening the page marks them read.

use super::super::chrome::show_time;
use super::super::form::{error_page, render};
use super::super::session::ConsoleUser;
use crate::AppState;
use crate::i18n::Lang;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::permission::Action;

/// Notices shown.
const LIMIT: i64 = 200;

/// One notice as the page shows it.
pub struct InboxRow {
    /// Link to the complaint.
    pub href: String,
    /// Station name.
    pub station: String,
    /// Stage.
    pub stage: String,
    /// Warning or breach, with its percentage.
    pub step: String,
    /// Whether a breach (danger colour).
    pub breach: bool,
    /// Who it is for.
    pub level: String,
    /// When it fell due.
    pub due: String,
    /// Not seen before this visit.
    pub new: bool,
}

/// The inbox page.
#[derive(askama::Template)]
#[template(path = "complaint_inbox.html")]
pub struct InboxPage {
    /// Frame.
    pub chrome: crate::console::Chrome,
    /// Heading.
    pub title: String,
    /// Column headings.
    pub headers: Vec<String>,
    /// Notices.
    pub rows: Vec<InboxRow>,
    /// Head office's warning that the loaded holiday plan runs out (SPEC §6).
    pub plan_warning: Option<String>,
}

/// `GET /console/complaints/inbox`.
pub(super) async fn page(State(s): State<AppState>, user: ConsoleUser) -> Response {
    let chrome = user.chrome("complaints");
    let Ok(grant) = user.session.principal.grant(Action::ComplaintRead) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let notices = match app::complaint::inbox::open(&s.app, &grant, LIMIT).await {
        Ok(n) => n,
        Err(e) => return error_page(chrome, &e),
    };
    let ids: Vec<i64> = notices.iter().map(|n| n.station_id).collect();
    let names = app::network::unit_names(&s.app, &ids)
        .await
        .unwrap_or_default();
    let en = user.lang == Lang::En;
    let rows = notices
        .iter()
        .map(|n| InboxRow {
            href: format!("/console/complaints/{}", n.complaint_id),
            station: names.station(n.station_id, en),
            stage: chrome.t(&format!("complaint.stage.{}", n.stage)),
            step: super::detail::step_label(user.lang, &n.step),
            breach: n.step.starts_with("breach"),
            level: chrome.t(&format!("complaint.level.{}", n.level)),
            due: show_time(n.due_at),
            new: n.read_at.is_none(),
        })
        .collect();
    let headers = ["station", "stage", "step", "level", "due"]
        .iter()
        .map(|h| chrome.t(&format!("complaint.col.{h}")))
        .collect();
    let plan_warning = app::calendar::plan_end::warning(&s.app, &grant)
        .await
        .ok()
        .flatten()
        .map(|end| {
            crate::i18n::tables().fill(
                user.lang,
                "complaint.plan_ending",
                &[("end", &end.to_string())],
            )
        });
    let title = chrome.t("complaint.inbox");
    let page = InboxPage {
        chrome: {
            let list = chrome.t("complaint.nav");
            chrome.crumb("/console/complaints", list)
        },
        title,
        headers,
        rows,
        plan_warning,
    };
    render(&page, StatusCode::OK)
}
