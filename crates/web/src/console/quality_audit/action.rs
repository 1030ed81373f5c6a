//! Corrective actions: the list (nearest due first, overdue in red, filter by state)
//! and one action's page with its history and a form for each step the user may
//! take (the station's cause and measure with evidence; the auditor's verify, send
//! back and standardise).

use super::super::chrome::{Chrome, Pager};
use super::super::form::{FormData, error_page, render, t, violations_text};
use super::super::select::SearchSelect;
use super::super::session::{ConsoleUser, grant};
use super::{ListPage, Row, tabs, when};
use crate::AppState;
use crate::i18n::Lang;
use app::AppError;
use app::quality_audit::action::{ActionDetail, StepInput};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::permission::{Action, Grant};
use domain::quality_audit::action::ActionState;
use std::collections::HashMap;

/// The action list.
pub async fn list(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = user.lang;
    let chrome = user.chrome("quality_audits");
    let g = match grant(&user, Action::QualityAuditRead) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let chrome = chrome.crumb("/console/corrective-actions", t(lang, "qa.tab.actions"));
    let state = q.get("state").cloned().unwrap_or_default();
    let page_no = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let list = match app::quality_audit::action::list(
        &s.app,
        &g,
        Some(&state),
        None,
        app::Page::new(page_no, 20),
    )
    .await
    {
        Ok(l) => l,
        Err(e) => return error_page(chrome, &e),
    };
    let ids: Vec<i64> = list.items.iter().map(|a| a.station_id).collect();
    let names = app::network::unit_names(&s.app, &ids)
        .await
        .unwrap_or_default();
    let rows = list
        .items
        .iter()
        .map(|a| Row {
            href: format!("/console/corrective-actions/{}", a.id),
            cells: vec![
                a.due_on.clone(),
                names.station(a.station_id, lang == Lang::En),
                a.code.clone(),
                a.problem.clone(),
                t(lang, &format!("qa.action.{}", a.state)),
                if a.overdue {
                    t(lang, "qa.overdue")
                } else {
                    String::new()
                },
            ],
            tone: if a.overdue { "late" } else { "" },
        })
        .collect();
    let pager = Pager::new(
        lang,
        "/console/corrective-actions",
        "",
        list.total,
        list.page,
        list.pages(),
    );
    render(
        &ListPage {
            title: t(lang, "qa.tab.actions"),
            tabs: tabs(lang, "/console/corrective-actions"),
            filter: Some(SearchSelect {
                name: "state".into(),
                label: t(lang, "qa.col.state"),
                hint: t(lang, "select.filter"),
                options: ActionState::ALL
                    .iter()
                    .map(|st| {
                        (
                            st.code().to_string(),
                            t(lang, &format!("qa.action.{}", st.code())),
                        )
                    })
                    .collect(),
                selected: state,
                empty: Some(t(lang, "qa.all")),
                submit_on_change: true,
            }),
            form: None,
            error: None,
            headers: [
                "qa.col.due",
                "qa.station",
                "qa.col.checkpoint",
                "qa.col.problem",
                "qa.col.state",
                "",
            ]
            .iter()
            .map(|k| {
                if k.is_empty() {
                    String::new()
                } else {
                    t(lang, k)
                }
            })
            .collect(),
            rows,
            empty: t(lang, "qa.no_actions"),
            pager: Some(pager),
            chrome,
        },
        StatusCode::OK,
    )
}

/// One step's form.
struct StepForm {
    step: &'static str,
    title: String,
    text_label: String,
    evidence: bool,
    danger: bool,
}

#[derive(Template)]
#[template(path = "quality_audit_action.html")]
struct ActionPage {
    chrome: Chrome,
    title: String,
    facts: Vec<(String, String)>,
    error: Option<String>,
    action: String,
    forms: Vec<StepForm>,
    events: Vec<(String, String, String, String)>,
    /// The auditor's photos of the checkpoint: link and text alternative.
    photos: Vec<(String, String)>,
}

/// The photos the auditor took of the action's checkpoint.
async fn photos(s: &AppState, lang: Lang, g: &Grant, d: &ActionDetail) -> Vec<(String, String)> {
    let a = &d.action;
    super::photo::boxes(
        s,
        lang,
        g,
        a.visit_id,
        vec![(a.code.clone(), String::new())],
        false,
    )
    .await
    .into_iter()
    .flat_map(|b| b.photos)
    .collect()
}

fn view(
    chrome: Chrome,
    d: &ActionDetail,
    error: Option<String>,
    photos: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    let lang = chrome.lang;
    let en = lang == Lang::En;
    let a = &d.action;
    let mut facts = vec![
        (
            t(lang, "qa.station"),
            if en {
                d.station_name.1.clone()
            } else {
                d.station_name.0.clone()
            },
        ),
        (
            t(lang, "qa.col.checkpoint"),
            format!(
                "{} {}",
                a.code,
                if en { &d.checkpoint.1 } else { &d.checkpoint.0 }
            ),
        ),
        (t(lang, "qa.col.problem"), a.problem.clone()),
        (
            t(lang, "qa.visit"),
            format!(
                "{} · {}",
                d.visit.visited_on,
                t(lang, &format!("qa.kind.{}", d.visit.kind))
            ),
        ),
        (t(lang, "qa.col.due"), a.due_on.clone()),
        (
            t(lang, "qa.col.state"),
            format!(
                "{}{}",
                t(lang, &format!("qa.action.{}", a.state)),
                if a.overdue {
                    format!(" · {}", t(lang, "qa.overdue"))
                } else {
                    String::new()
                }
            ),
        ),
    ];
    for (label, v) in [
        ("qa.cause", &a.cause),
        ("qa.measure", &a.measure),
        ("qa.evidence", &a.evidence),
        ("qa.verify_note", &a.verify_note),
        ("qa.standard_note", &a.standard_note),
    ] {
        if let Some(v) = v {
            facts.push((t(lang, label), v.clone()));
        }
    }
    let forms = d
        .allowed
        .iter()
        .map(|step| StepForm {
            step,
            title: t(lang, &format!("qa.step_do.{step}")),
            text_label: t(lang, &format!("qa.step_text.{step}")),
            evidence: *step == "close_with_evidence",
            danger: *step == "reject",
        })
        .collect();
    let events = d
        .events
        .iter()
        .map(|(e, who)| {
            (
                when(e.at),
                if who.is_empty() {
                    t(lang, "qa.system")
                } else {
                    who.clone()
                },
                t(lang, &format!("qa.event.{}", e.step)),
                e.note.clone().unwrap_or_default(),
            )
        })
        .collect();
    let page = ActionPage {
        title: crate::i18n::tables().fill(
            lang,
            "qa.action_title",
            &[("code", &a.code), ("station", &facts[0].1)],
        ),
        facts,
        error,
        action: format!("/console/corrective-actions/{}/steps", a.id),
        forms,
        events,
        photos,
        chrome,
    };
    render(&page, status)
}

/// One action's page.
pub async fn page(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
) -> Response {
    let lang = user.lang;
    let chrome = user
        .chrome("quality_audits")
        .crumb("/console/corrective-actions", t(lang, "qa.tab.actions"));
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &AppError::NotFound);
    };
    let g = match grant(&user, Action::QualityAuditRead) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    match app::quality_audit::action::detail(&s.app, &g, id).await {
        Ok(d) => {
            let ph = photos(&s, lang, &g, &d).await;
            view(chrome, &d, None, ph, StatusCode::OK)
        }
        Err(e) => error_page(chrome, &e),
    }
}

/// Takes the step the form names.
pub async fn step(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let lang = user.lang;
    let chrome = user
        .chrome("quality_audits")
        .crumb("/console/corrective-actions", t(lang, "qa.tab.actions"));
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &AppError::NotFound);
    };
    let input = StepInput {
        step: form.get("step").to_string(),
        text: form.get("text").to_string(),
        evidence: Some(form.get("evidence").to_string()),
    };
    let step = match input.to_step() {
        Ok(st) => st,
        Err(v) => return error_page(chrome, &AppError::Invalid(v.into())),
    };
    let needed = if step.is_auditors() {
        Action::QualityAuditWrite
    } else {
        Action::CorrectiveActionWrite
    };
    let g = match grant(&user, needed) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    match app::quality_audit::action::step(&s.app, &g, id, step).await {
        Ok(_) => super::super::toast::redirect(
            &format!("/console/corrective-actions/{id}"),
            "toast.qa_step",
        ),
        Err(e @ (AppError::Invalid(_) | AppError::Refused(_))) => {
            let msg = violations_text(&chrome, &e);
            let Ok(read) = grant(&user, Action::QualityAuditRead) else {
                return error_page(chrome, &e);
            };
            match app::quality_audit::action::detail(&s.app, &read, id).await {
                Ok(d) => {
                    let ph = photos(&s, lang, &read, &d).await;
                    view(chrome, &d, msg, ph, StatusCode::UNPROCESSABLE_ENTITY)
                }
                Err(e) => error_page(chrome, &e),
            }
        }
        Err(e) => error_page(chrome, &e),
    }
}
