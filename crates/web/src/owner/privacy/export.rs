//! `/owner/data`: the owner's complete export as a readable page (each section with
//! its records, labelled in the owner's language; times local, money in yuan), the
//! JSON download, the request form and their requests with the answers.

use crate::AppState;
use crate::console::chrome::show_time;
use crate::console::form::render;
use crate::i18n::{I18n, Lang, tables, yuan};
use crate::owner::page::owner;
use app::auth::Session;
use app::privacy::request::RequestView;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::permission::Action;
use domain::privacy::request::{Ground, Scope};

/// Routes of the page.
pub fn router() -> Router<AppState> {
    Router::new().route("/owner/data", get(page))
}

/// One record: label and value pairs.
pub(crate) struct Record {
    pub(crate) fields: Vec<(String, String)>,
}

/// One section of the export as shown.
pub(crate) struct SectionShow {
    pub(crate) name: String,
    pub(crate) title: String,
    pub(crate) records: Vec<Record>,
}

/// One request as shown to its owner.
pub(crate) struct RequestShow {
    pub(crate) id: i64,
    pub(crate) kind: String,
    pub(crate) state: String,
    pub(crate) state_code: String,
    pub(crate) filed: String,
    pub(crate) due: String,
    pub(crate) scopes: String,
    pub(crate) answer: String,
    /// When head office answered ("" while open).
    pub(crate) answered: String,
    /// Per class: label, and what happened (erased, or kept and why).
    pub(crate) outcome: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "owner_privacy.html")]
pub(crate) struct DataPage {
    pub(crate) lang: Lang,
    pub(crate) t: &'static I18n,
    pub(crate) csrf: String,
    pub(crate) notice: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) customer: Vec<(String, String)>,
    pub(crate) sections: Vec<SectionShow>,
    pub(crate) requests: Vec<RequestShow>,
    pub(crate) scopes: Vec<(String, String, bool)>,
    pub(crate) grounds: Vec<(String, String)>,
}

/// A column's value as read: times local, money in yuan, flags yes/no.
fn show_value(lang: Lang, col: &str, v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::Number(n) => {
            let n = n.as_i64()?;
            Some(if col.ends_with("_at") || col == "at" {
                show_time(n)
            } else if col.ends_with("_fen") {
                yuan(n)
            } else if col.starts_with("consent_") || col == "club_member" || col == "is_ev" {
                tables()
                    .t(lang, if n != 0 { "privacy.yes" } else { "privacy.no" })
                    .to_string()
            } else {
                n.to_string()
            })
        }
        serde_json::Value::String(s) if s.is_empty() => None,
        serde_json::Value::String(s) => Some(label_of(lang, col, s)),
        other => Some(other.to_string()),
    }
}

/// A coded value in words: channels, message kinds and roles through their own
/// tables, states, actions and fields through `privacy.val.<column>.<code>`; other
/// text as it is.
fn label_of(lang: Lang, col: &str, v: &str) -> String {
    let key = match col {
        "channel" => format!("channel.{v}"),
        "template" => format!("template.{v}"),
        "actor_role" => format!("role.{v}"),
        "state" | "action" | "field" | "kind" | "decision" | "method" => {
            format!("privacy.val.{col}.{v}")
        }
        _ => return v.to_string(),
    };
    let t = tables().t(lang, &key);
    if t == key {
        v.to_string()
    } else {
        t.to_string()
    }
}

/// The labelled fields of a record: only columns with a label (ids and internal
/// codes stay in the JSON download).
fn record(lang: Lang, row: &serde_json::Value) -> Vec<(String, String)> {
    let Some(obj) = row.as_object() else {
        return Vec::new();
    };
    obj.iter()
        .filter_map(|(k, v)| {
            let key = format!("privacy.col.{k}");
            let label = tables().t(lang, &key);
            if label == key {
                return None;
            }
            Some((label.to_string(), show_value(lang, k, v)?))
        })
        .collect()
}

pub(crate) fn request_show(lang: Lang, r: &RequestView) -> RequestShow {
    let t = |k: String| tables().t(lang, &k).to_string();
    RequestShow {
        id: r.id,
        kind: t(format!("privacy.req.kind.{}", r.kind)),
        state: t(format!("privacy.req.state.{}", r.state)),
        state_code: r.state.clone(),
        filed: show_time(r.filed_at),
        due: show_time(r.due_at),
        scopes: r
            .scopes
            .iter()
            .map(|s| t(format!("privacy.scope.{s}")))
            .collect::<Vec<_>>()
            .join(if lang == Lang::En { ", " } else { "、" }),
        answer: r.answer.clone().unwrap_or_default(),
        answered: r.answered_at.map(show_time).unwrap_or_default(),
        outcome: r
            .outcome
            .iter()
            .map(|o| {
                (
                    t(format!("privacy.scope.{}", o.scope)),
                    match &o.kept {
                        None => t("privacy.outcome.erased".into()),
                        Some(h) => t(format!("privacy.hold.{h}")),
                    },
                )
            })
            .collect(),
    }
}

/// Builds the page for a signed-in owner (the export is audited on every view).
pub(crate) async fn data_page(
    s: &AppState,
    session: &Session,
    notice: Option<String>,
    error: Option<String>,
    checked: &[String],
) -> Result<DataPage, app::AppError> {
    let lang = Lang::from_tag(&session.lang);
    let g = session.principal.grant(Action::OwnDataExport)?;
    let export = app::privacy::export::own(&s.app, &g).await?;
    let requests = app::privacy::request::mine(&s.app, &g).await?;
    Ok(DataPage {
        lang,
        t: tables(),
        csrf: session.csrf.clone(),
        notice,
        error,
        customer: record(lang, &export.customer),
        sections: export
            .sections
            .iter()
            .map(|sec| SectionShow {
                name: sec.name.clone(),
                title: tables()
                    .t(lang, &format!("privacy.section.{}", sec.name))
                    .to_string(),
                records: sec
                    .rows
                    .iter()
                    .map(|r| Record {
                        fields: record(lang, r),
                    })
                    .collect(),
            })
            .collect(),
        requests: requests.iter().map(|r| request_show(lang, r)).collect(),
        scopes: Scope::ALL
            .iter()
            .map(|sc| {
                let key = format!("privacy.scope.{}", sc.code());
                let label = tables().t(lang, &key);
                let label = match sc.hold() {
                    Some(h) => format!(
                        "{label} — {}",
                        tables().t(lang, &format!("privacy.hold.{}", h.code()))
                    ),
                    None => label.to_string(),
                };
                (
                    sc.code().to_string(),
                    label,
                    checked.iter().any(|c| c == sc.code()),
                )
            })
            .collect(),
        grounds: Ground::ALL
            .iter()
            .map(|g| {
                (
                    g.code().to_string(),
                    tables()
                        .t(lang, &format!("privacy.ground.{}", g.code()))
                        .to_string(),
                )
            })
            .collect(),
    })
}

async fn page(State(s): State<AppState>, parts: Parts) -> Response {
    let Some(session) = owner(&s, &parts).await else {
        return Redirect::to("/owner/login").into_response();
    };
    let lang = Lang::from_tag(&session.lang);
    let notice = parts
        .uri
        .query()
        .filter(|q| q.contains("filed=1"))
        .map(|_| tables().t(lang, "privacy.req.filed").to_string());
    match data_page(&s, &session, notice, None, &[]).await {
        Ok(p) => render(&p, StatusCode::OK),
        Err(e) => {
            let (text, status) = crate::error::page_error(lang, &e);
            (status, text).into_response()
        }
    }
}
