//! The complaint detail page: facts, stages with deadlines, the three zeros,
//! follow-up, goodwill, evidence files ([`super::attachment`]), notices and the timeline of events, with one button per
//! workflow event allowed now (post–redirect–get back here with a toast).

use super::super::chrome::show_time;
use super::super::form::{FormData, Section, error_page, render, t};
use super::super::session::ConsoleUser;
use super::super::toast;
use crate::AppState;
use crate::i18n::{Lang, yuan};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::permission::Action;
use serde_json::Value;

use super::forms::{ActionForm, Failed};

/// One workflow button.
pub struct ActButton {
    /// Event code.
    pub event: String,
    /// Text.
    pub label: String,
    /// The question asked before it is sent, for irreversible steps.
    pub confirm: Option<String>,
}

/// The detail page.
#[derive(askama::Template)]
#[template(path = "complaint_detail.html")]
pub struct DetailPage {
    /// Frame.
    pub chrome: crate::console::Chrome,
    /// Heading.
    pub title: String,
    /// Label/value pairs.
    pub facts: Vec<(String, String)>,
    /// Where the buttons post.
    pub action: String,
    /// Workflow buttons.
    pub buttons: Vec<ActButton>,
    /// The working forms the state allows.
    pub forms: Vec<ActionForm>,
    /// Tables.
    pub sections: Vec<Section>,
    /// The evidence files and their upload form.
    pub files: super::attachment::AttachmentBox,
}

/// An event's data as `label: value` pairs with codes translated.
fn event_text(lang: Lang, data: &Value) -> String {
    let Some(map) = data.as_object() else {
        return String::new();
    };
    map.iter()
        .filter(|(_, v)| !v.is_null() && v.as_str() != Some(""))
        .map(|(k, v)| {
            let label = t(lang, &format!("complaint.data.{k}"));
            let value = match v {
                Value::Bool(b) => t(lang, if *b { "yes" } else { "no" }),
                Value::Number(n) => match n.as_i64() {
                    Some(fen) if k.ends_with("_fen") => yuan(fen),
                    Some(bytes) if k == "size_bytes" => super::attachment::size_text(bytes),
                    Some(ms) if k.ends_with("_at") => show_time(ms),
                    _ => n.to_string(),
                },
                Value::String(s) if k == "content_type" => super::attachment::kind_text(lang, s),
                Value::String(s) => code_label(lang, k, s),
                other => other.to_string(),
            };
            format!("{label}: {value}")
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The translated label of a code carried in event data, or the text itself.
fn code_label(lang: Lang, key: &str, code: &str) -> String {
    let prefix = match key {
        "from" | "to" | "state" => "complaint.state",
        "stage" => "complaint.stage",
        "category" => "complaint.category",
        "severity" => "complaint.severity",
        "channel" => "complaint.channel",
        "zero" => "complaint.zero",
        "status" => "complaint.zero_status",
        "kind" => "complaint.goodwill",
        "responsibility" => "complaint.responsibility",
        "level" => "complaint.level",
        "urgent_reason" => "complaint.urgent",
        _ => return code.to_string(),
    };
    let k = format!("{prefix}.{code}");
    let text = t(lang, &k);
    if text == k { code.to_string() } else { text }
}

/// A notice step (`warn50`, `breach100`) as "Warning at 50%" / "Breach at 100%".
pub(super) fn step_label(lang: Lang, step: &str) -> String {
    let tables = crate::i18n::tables();
    if let Some(n) = step.strip_prefix("warn") {
        tables.fill(lang, "complaint.step_warn", &[("n", n)])
    } else if let Some(n) = step.strip_prefix("breach") {
        tables.fill(lang, "complaint.step_breach", &[("n", n)])
    } else {
        step.to_string()
    }
}

/// Shows the complaint page.
pub(super) async fn detail(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(user.chrome("complaints"), &app::AppError::NotFound);
    };
    show(&s, &user, id, None).await
}

/// The complaint page, with a form sent back with its errors when `failed`.
pub(super) async fn show(
    s: &AppState,
    user: &ConsoleUser,
    id: i64,
    failed: Option<Failed>,
) -> Response {
    let chrome = user.chrome("complaints");
    let Ok(grant) = user.session.principal.grant(Action::ComplaintRead) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let d = match app::complaint::detail(&s.app, &grant, id).await {
        Ok(d) => d,
        Err(e) => return error_page(chrome, &e),
    };
    let lang = user.lang;
    let c = &d.complaint;
    let names = app::network::unit_names(&s.app, &[c.station_id])
        .await
        .unwrap_or_default();
    let cats = super::cats::Cats::load(&s.app, &user.session.principal, lang).await;
    let tr = |prefix: &str, code: &str| chrome.t(&format!("{prefix}.{code}"));
    let opt = |v: &Option<String>, prefix: &str| {
        v.as_deref()
            .map(|x| tr(prefix, x))
            .unwrap_or_else(|| "—".into())
    };
    let now = s.app.now_ms();
    // A deadline past the loaded holiday plan is computed on the regular week and
    // recomputed when the next plan is loaded (SPEC §6): said beside it.
    let provisional = |p: bool| {
        if p {
            format!(" ({})", chrome.t("complaint.provisional"))
        } else {
            String::new()
        }
    };
    let mut severity = tr("complaint.severity", &c.severity);
    if let Some(r) = &c.urgent_reason {
        severity = format!("{severity} ({})", tr("complaint.urgent", r));
    }
    let facts = vec![
        (
            chrome.t("complaint.col.station"),
            names.station(c.station_id, lang == Lang::En),
        ),
        (chrome.t("complaint.col.received"), show_time(c.received_at)),
        (
            chrome.t("complaint.col.channel"),
            tr("complaint.channel", &c.channel),
        ),
        (chrome.t("complaint.col.category"), cats.name(&c.category)),
        (chrome.t("complaint.col.severity"), severity),
        (
            chrome.t("complaint.col.state"),
            tr("complaint.state", &c.state),
        ),
        (chrome.t("complaint.col.description"), c.description.clone()),
        (
            chrome.t("complaint.col.responsibility"),
            opt(&c.responsibility, "complaint.responsibility"),
        ),
        (
            chrome.t("complaint.col.cause"),
            c.cause.clone().unwrap_or_else(|| "—".into()),
        ),
        (
            chrome.t("complaint.data.part_number"),
            c.part_number.clone().unwrap_or_else(|| "—".into()),
        ),
        (
            chrome.t("complaint.col.deadline"),
            match (c.next_deadline_at, &c.next_stage, c.paused_since) {
                (_, _, Some(_)) => chrome.t("complaint.paused"),
                (Some(at), stage, None) => format!(
                    "{} · {} · {}{}",
                    show_time(at),
                    opt(stage, "complaint.stage"),
                    super::time_left(lang, at, now).0,
                    provisional(c.deadline_provisional)
                ),
                _ => "—".into(),
            },
        ),
        (
            chrome.t("complaint.col.breached"),
            chrome.t(if c.breached { "yes" } else { "no" }),
        ),
    ];
    let yes_no = |b: bool| chrome.t(if b { "yes" } else { "no" });
    // Stages in the order the work meets them, not the store's alphabetical one.
    let mut stages = d.stages.clone();
    stages.sort_by_key(|st| domain::complaint::sla::Stage::order_of(&st.stage));
    let sections = vec![
        Section {
            title: chrome.t("complaint.sec.stages"),
            headers: ["stage", "deadline", "met"]
                .iter()
                .map(|h| chrome.t(&format!("complaint.col.{h}")))
                .collect(),
            rows: stages
                .iter()
                .map(|st| {
                    vec![
                        tr("complaint.stage", &st.stage),
                        st.deadline_at
                            .map(|d| format!("{}{}", show_time(d), provisional(st.provisional)))
                            .unwrap_or_default(),
                        match st.met_at {
                            Some(at) => format!("{} {}", chrome.t("yes"), show_time(at)),
                            None => chrome.t("no"),
                        },
                    ]
                })
                .collect(),
        },
        Section {
            title: chrome.t("complaint.sec.zeros"),
            headers: ["zero", "status", "text", "at"]
                .iter()
                .map(|h| chrome.t(&format!("complaint.col.{h}")))
                .collect(),
            rows: d
                .zeros
                .iter()
                .map(|z| {
                    vec![
                        tr("complaint.zero", &z.zero),
                        tr("complaint.zero_status", &z.status),
                        z.text.clone(),
                        show_time(z.at),
                    ]
                })
                .collect(),
        },
        Section {
            title: chrome.t("complaint.sec.follow_up"),
            headers: ["satisfaction", "accepts", "text", "at"]
                .iter()
                .map(|h| chrome.t(&format!("complaint.col.{h}")))
                .collect(),
            rows: d
                .follow_up
                .iter()
                .map(|f| {
                    vec![
                        f.satisfaction.to_string(),
                        yes_no(f.accepts_closure),
                        f.note.clone(),
                        show_time(f.at),
                    ]
                })
                .collect(),
        },
        Section {
            title: chrome.t("complaint.sec.goodwill"),
            headers: ["kind", "value", "text", "approver", "at"]
                .iter()
                .map(|h| chrome.t(&format!("complaint.col.{h}")))
                .collect(),
            rows: d
                .goodwill
                .iter()
                .map(|g| {
                    vec![
                        tr("complaint.goodwill", &g.kind),
                        yuan(g.value_fen),
                        g.note.clone(),
                        tr("role", &g.approved_role),
                        show_time(g.at),
                    ]
                })
                .collect(),
        },
        Section {
            title: chrome.t("complaint.sec.notices"),
            headers: ["stage", "step", "level", "at"]
                .iter()
                .map(|h| chrome.t(&format!("complaint.col.{h}")))
                .collect(),
            rows: d
                .notices
                .iter()
                .map(|n| {
                    vec![
                        tr("complaint.stage", &n.stage),
                        step_label(lang, &n.step),
                        tr("complaint.level", &n.level),
                        show_time(n.created_at),
                    ]
                })
                .collect(),
        },
        Section {
            title: chrome.t("complaint.sec.timeline"),
            headers: ["at", "who", "what", "text"]
                .iter()
                .map(|h| chrome.t(&format!("complaint.col.{h}")))
                .collect(),
            rows: d
                .events
                .iter()
                .map(|e| {
                    let data: Value = serde_json::from_str(&e.detail).unwrap_or(Value::Null);
                    vec![
                        show_time(e.at),
                        tr("role", &e.actor_role),
                        tr("complaint.event", &e.kind),
                        event_text(lang, &data),
                    ]
                })
                .collect(),
        },
    ];
    let write = user.session.principal.grant(Action::ComplaintWrite).ok();
    let buttons = if write.is_some() {
        d.allowed
            .iter()
            .map(|ev| ActButton {
                label: tr("complaint.act", ev),
                confirm: match ev.as_str() {
                    "close" => Some(chrome.t("complaint.confirm_close")),
                    "reopen" => Some(chrome.t("complaint.confirm_reopen")),
                    _ => None,
                },
                event: ev.clone(),
            })
            .collect()
    } else {
        vec![]
    };
    let stations = match &write {
        Some(g) => app::complaint::reach::stations(&s.app, g, lang == Lang::En)
            .await
            .unwrap_or_default(),
        None => vec![],
    };
    let files = super::attachment::attachment_box(
        lang,
        id,
        &d.attachments,
        write.is_some() && c.state != "closed",
        failed.as_ref(),
    );
    let forms = if write.is_some() {
        super::forms::forms(lang, &d, &stations, failed.as_ref())
    } else {
        vec![]
    };
    let status = failed
        .as_ref()
        .map_or(StatusCode::OK, |f| crate::error::describe_app(&f.error).0);
    let list = chrome.t("complaint.nav");
    let page = DetailPage {
        title: format!(
            "{} · {}",
            cats.name(&c.category),
            names.station(c.station_id, lang == Lang::En)
        ),
        facts,
        action: format!("/console/complaints/{id}/act"),
        buttons,
        forms,
        sections,
        files,
        chrome: chrome.crumb("/console/complaints", list),
    };
    render(&page, status)
}

/// Moves the complaint by the posted workflow event, then back to its page with a
/// toast; closing asks first (the dialog, or without JavaScript a confirmation page).
pub(super) async fn act(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let chrome = user.chrome("complaints");
    let Ok(grant) = user.session.principal.grant(Action::ComplaintWrite) else {
        return error_page(chrome, &app::AppError::Forbidden);
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &app::AppError::NotFound);
    };
    let event = form.get("event").to_string();
    if event == "close" && form.get("confirmed") != "1" {
        return crate::console::repair_order::confirm_page(&user, &form, "complaint.confirm_close");
    }
    if event == "reopen" && form.get("confirmed") != "1" {
        return crate::console::repair_order::confirm_page(
            &user,
            &form,
            "complaint.confirm_reopen",
        );
    }
    let input = app::complaint::action::NoteInput {
        note: form.get("note").to_string(),
    };
    match app::complaint::action::act(&s.app, &grant, id, &event, &input).await {
        Ok(_) => toast::redirect(&format!("/console/complaints/{id}"), "toast.saved"),
        Err(e) => error_page(chrome, &e),
    }
}
