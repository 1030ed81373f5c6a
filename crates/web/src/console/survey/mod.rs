//! Survey pages (issue 11): the invitation list with filters, the call-centre
//! agent's call form with the script, the hot alerts of a station (close, or turn
//! into a complaint in one click), and the month's CSI/NPS page in [`report`].

pub mod report;

use super::chrome::show_time;
use super::form::{FormData, error_page, render};
use super::session::ConsoleUser;
use super::toast;
use crate::AppState;
use crate::i18n::Lang;
use app::survey::answer::{CallInput, CallOutcome};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use domain::survey::{Reason, State as SurveyState, UnreachableReason};
use std::collections::{BTreeMap, HashMap};

/// Routes of the survey pages.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/surveys", get(list))
        .route("/console/surveys/{id}/call", get(call_form).post(call))
        .route("/console/survey-alerts", get(alerts))
        .route("/console/survey-alerts/{id}", get(alerts))
        .route("/console/survey-alerts/{id}/close", post(close_alert))
        .route("/console/survey-alerts/{id}/complaint", post(to_complaint))
        .route("/console/survey-report", get(report::page))
}

/// A filter select: name, label, options (code, label), chosen.
pub struct Filter {
    /// Query parameter.
    pub name: &'static str,
    /// Label.
    pub label: String,
    /// Options.
    pub options: Vec<(String, String)>,
    /// Chosen code.
    pub value: String,
}

/// One invitation row.
pub struct Row {
    /// Call form link.
    pub href: String,
    /// Customer name.
    pub customer: String,
    /// Station name.
    pub station: String,
    /// Reason label.
    pub reason: String,
    /// State label.
    pub state: String,
    /// State code (for the tag colour).
    pub state_code: String,
    /// Due.
    pub due: String,
    /// Overdue and open.
    pub overdue: bool,
    /// Still open (callable).
    pub open: bool,
}

/// The invitation list.
#[derive(askama::Template)]
#[template(path = "survey_list.html")]
pub struct ListPage {
    /// Frame.
    pub chrome: super::Chrome,
    /// Heading (also the window title).
    pub title: String,
    /// Filters.
    pub filters: Vec<Filter>,
    /// Rows.
    pub rows: Vec<Row>,
}

fn pick<T: Copy>(
    q: &HashMap<String, String>,
    name: &str,
    all: &[T],
    code: fn(T) -> &'static str,
) -> String {
    q.get(name)
        .map(|v| v.trim())
        .filter(|v| all.iter().any(|x| code(*x) == *v))
        .unwrap_or("")
        .to_string()
}

async fn list(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let chrome = user.chrome("surveys");
    let Ok(grant) = user.session.principal.grant(app::survey::READ) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let state = pick(&q, "state", SurveyState::ALL, SurveyState::code);
    let reason = pick(&q, "reason", Reason::ALL, Reason::code);
    let query = app::survey::ListQuery {
        station_id: None,
        state: Some(state.clone()),
        reason: Some(reason.clone()),
    };
    let items = match app::survey::list(&s.app, &grant, &query).await {
        Ok(i) => i,
        Err(e) => return error_page(chrome, &e),
    };
    let rows = items
        .iter()
        .map(|v| {
            let i = &v.invitation;
            Row {
                href: format!("/console/surveys/{}/call", i.id),
                customer: v.customer_name.clone(),
                station: v.station_name.clone(),
                reason: chrome.t(&format!("survey.reason.{}", i.reason)),
                state: chrome.t(&format!("survey.state.{}", i.state)),
                state_code: i.state.clone(),
                due: show_time(i.due_at),
                overdue: v.overdue,
                open: SurveyState::from_code(&i.state).is_some_and(SurveyState::is_open),
            }
        })
        .collect();
    let filters = vec![
        Filter {
            name: "state",
            label: chrome.t("survey.col.state"),
            options: SurveyState::ALL
                .iter()
                .map(|x| {
                    (
                        x.code().to_string(),
                        chrome.t(&format!("survey.state.{}", x.code())),
                    )
                })
                .collect(),
            value: state,
        },
        Filter {
            name: "reason",
            label: chrome.t("survey.col.reason"),
            options: Reason::ALL
                .iter()
                .map(|x| {
                    (
                        x.code().to_string(),
                        chrome.t(&format!("survey.reason.{}", x.code())),
                    )
                })
                .collect(),
            value: reason,
        },
    ];
    let mut chrome = chrome;
    chrome
        .crumbs
        .push(("/console/surveys".into(), chrome.t("survey.list.title")));
    let title = chrome.t("survey.list.title");
    render(
        &ListPage {
            chrome,
            title,
            filters,
            rows,
        },
        StatusCode::OK,
    )
}

/// A question on the call form.
pub struct CallQuestion {
    /// Key.
    pub key: String,
    /// Wording in the page's language.
    pub text: String,
    /// Choices; empty for free text.
    pub choices: Vec<u8>,
    /// Saved answer as text.
    pub value: String,
}

/// The agent's call form.
#[derive(askama::Template)]
#[template(path = "survey_call.html")]
pub struct CallPage {
    /// Frame.
    pub chrome: super::Chrome,
    /// Heading (also the window title).
    pub title: String,
    /// Invitation id.
    pub id: i64,
    /// The script, with the station's name.
    pub script: String,
    /// Customer name.
    pub customer: String,
    /// State label.
    pub state: String,
    /// Still open.
    pub open: bool,
    /// Questions.
    pub questions: Vec<CallQuestion>,
    /// Unreachable reasons (code, label).
    pub reasons: Vec<(String, String)>,
    /// Error of the last post.
    pub error: Option<String>,
}

async fn call_page(
    s: &AppState,
    user: &ConsoleUser,
    id: i64,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let chrome = user.chrome("surveys");
    let Ok(grant) = user.session.principal.grant(app::survey::READ) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let v = match app::survey::get(&s.app, &grant, id).await {
        Ok(v) => v,
        Err(e) => return error_page(chrome, &e),
    };
    let (q, saved) = match app::survey::answer::answers(&s.app, &grant, id).await {
        Ok(x) => x,
        Err(e) => return error_page(chrome, &e),
    };
    let en = chrome.lang == Lang::En;
    let questions = q
        .questions()
        .iter()
        .map(|x| CallQuestion {
            key: x.key.clone(),
            text: if en {
                x.text_en.clone()
            } else {
                x.text_zh.clone()
            },
            choices: x
                .scale
                .range()
                .map(|(lo, hi)| (lo..=hi).collect())
                .unwrap_or_default(),
            value: match saved.get(&x.key) {
                Some(domain::survey::Answer::Score(s)) => s.to_string(),
                Some(domain::survey::Answer::Text(t)) => t.clone(),
                None => String::new(),
            },
        })
        .collect::<Vec<_>>();
    let reasons = UnreachableReason::ALL
        .iter()
        .map(|r| {
            (
                r.code().to_string(),
                chrome.t(&format!("survey.unreachable.{}", r.code())),
            )
        })
        .collect();
    let script = chrome
        .t("survey.call.script")
        .replace("{station}", &v.station_name);
    let mut chrome = chrome;
    chrome
        .crumbs
        .push(("/console/surveys".into(), chrome.t("survey.list.title")));
    let page = CallPage {
        title: chrome.t("survey.call.title"),
        state: chrome.t(&format!("survey.state.{}", v.invitation.state)),
        chrome,
        id,
        script,
        customer: v.customer_name.clone(),
        open: SurveyState::from_code(&v.invitation.state).is_some_and(SurveyState::is_open),
        questions,
        reasons,
        error,
    };
    render(&page, status)
}

async fn call_form(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(user.chrome("surveys"), &app::AppError::NotFound);
    };
    call_page(&s, &user, id, None, StatusCode::OK).await
}

async fn call(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let chrome = user.chrome("surveys");
    let Ok(grant) = user.session.principal.grant(app::survey::WRITE) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &app::AppError::NotFound);
    };
    let outcome = match form.get("outcome") {
        "refused" => CallOutcome::Refused,
        "unreachable" => CallOutcome::Unreachable,
        _ => CallOutcome::Answered,
    };
    let answers: BTreeMap<String, String> = form
        .0
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("q.").map(|k| (k.to_string(), v.clone())))
        .collect();
    let input = CallInput {
        outcome,
        reason: Some(form.get("reason").to_string()),
        answers,
        finish: form.get("outcome") != "partial",
    };
    match app::survey::answer::call(&s.app, &grant, id, &input).await {
        Ok(_) => toast::redirect("/console/surveys", "toast.survey.saved"),
        Err(e) => {
            let msg = super::form::violations_text(&chrome, &e)
                .unwrap_or_else(|| chrome.t("error.title"));
            let (status, ..) = crate::error::describe_app(&e);
            call_page(&s, &user, id, Some(msg), status).await
        }
    }
}

/// One alert row.
pub struct AlertRow {
    /// Id.
    pub id: i64,
    /// Customer.
    pub customer: String,
    /// Station.
    pub station: String,
    /// Trigger labels.
    pub triggers: String,
    /// Recommend score.
    pub recommend: String,
    /// Comment (numbers masked).
    pub comment: String,
    /// Deadline.
    pub due: String,
    /// Open and past the deadline.
    pub overdue: bool,
    /// Escalated to the region.
    pub escalated: bool,
    /// Still open.
    pub open: bool,
    /// The complaint it became.
    pub complaint: Option<i64>,
}

/// The hot alerts page.
#[derive(askama::Template)]
#[template(path = "survey_alerts.html")]
pub struct AlertsPage {
    /// Frame.
    pub chrome: super::Chrome,
    /// Heading (also the window title).
    pub title: String,
    /// Rows.
    pub rows: Vec<AlertRow>,
    /// The state filter.
    pub state: String,
    /// The alert asked for, highlighted.
    pub focus: i64,
}

async fn alerts(
    State(s): State<AppState>,
    user: ConsoleUser,
    id: Option<Path<String>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let chrome = user.chrome("surveys");
    let Ok(grant) = user.session.principal.grant(app::survey::READ) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let state = q
        .get("state")
        .map(|s| s.trim())
        .filter(|s| ["open", "done"].contains(s))
        .unwrap_or("")
        .to_string();
    let items = match app::survey::alert::list(&s.app, &grant, None, Some(&state)).await {
        Ok(i) => i,
        Err(e) => return error_page(chrome, &e),
    };
    let rows = items
        .iter()
        .map(|a| AlertRow {
            id: a.alert.id,
            customer: a.customer_name.clone(),
            station: a.station_name.clone(),
            triggers: a
                .alert
                .triggers
                .split(',')
                .map(|t| chrome.t(&format!("survey.trigger.{t}")))
                .collect::<Vec<_>>()
                .join(" · "),
            recommend: a.recommend.map(|r| r.to_string()).unwrap_or_default(),
            comment: a.comment.clone().unwrap_or_default(),
            due: show_time(a.alert.due_at),
            overdue: a.overdue,
            escalated: a.alert.escalated_at.is_some(),
            open: a.alert.state == "open",
            complaint: a.alert.complaint_id,
        })
        .collect();
    let focus = id.and_then(|Path(i)| i.parse().ok()).unwrap_or(0);
    let mut chrome = chrome;
    chrome.crumbs.push((
        "/console/survey-alerts".into(),
        chrome.t("survey.alerts.title"),
    ));
    let title = chrome.t("survey.alerts.title");
    render(
        &AlertsPage {
            chrome,
            title,
            rows,
            state,
            focus,
        },
        StatusCode::OK,
    )
}

async fn close_alert(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let chrome = user.chrome("surveys");
    let Ok(grant) = user.session.principal.grant(app::survey::WRITE) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &app::AppError::NotFound);
    };
    match app::survey::alert::close(&s.app, &grant, id, form.get("note")).await {
        Ok(()) => toast::redirect("/console/survey-alerts", "toast.survey.alert_closed"),
        Err(e) => error_page(chrome, &e),
    }
}

async fn to_complaint(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let chrome = user.chrome("surveys");
    let Ok(grant) = user.session.principal.grant(app::survey::WRITE) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &app::AppError::NotFound);
    };
    match app::survey::alert::to_complaint(&s.app, &grant, id, None).await {
        Ok(cid) => toast::redirect(
            &format!("/console/complaints/{cid}"),
            "toast.survey.complaint_filed",
        ),
        Err(e) => error_page(chrome, &e),
    }
}
