//! One audit visit: while a draft, the checklist as one form grouped by step (a pass /
//! fail / not-applicable choice and a finding per checkpoint, big enough for a phone),
//! saved as often as the auditor likes and submitted once; after, the compliance rate
//! per step, the failed checkpoints and the corrective actions they opened; and the
//! photos of the failed checkpoints ([`super::photo`]), added from the phone.

use super::super::chrome::Chrome;
use super::super::form::{FormData, error_page, render, t, violations_text};
use super::super::session::{ConsoleUser, grant};
use super::percent;
use super::photo::PhotoBox;
use crate::AppState;
use crate::i18n::Lang;
use app::AppError;
use app::quality_audit::{AnswerInput, SubmitInput, VisitDetail};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::permission::{Action, Grant};
use std::collections::HashMap;

/// One checkpoint on the form.
pub struct Item {
    /// Code.
    pub code: String,
    /// What is checked, in the page's language.
    pub text: String,
    /// The verdict given so far ("" when none).
    pub verdict: String,
    /// The finding given so far.
    pub finding: String,
}

/// One step with its checkpoints, or its score once submitted.
pub struct StepBox {
    /// The step's label.
    pub label: String,
    /// Its checkpoints.
    pub items: Vec<Item>,
    /// "passed / applicable" and the rate, once submitted.
    pub score: Option<(String, String)>,
}

/// One failed checkpoint and its corrective action.
pub struct Failure {
    /// The checkpoint's text.
    pub text: String,
    /// The finding.
    pub finding: String,
    /// Link to the action.
    pub href: String,
    /// The action's state label.
    pub state: String,
    /// Its due date.
    pub due: String,
}

#[derive(Template)]
#[template(path = "quality_audit_visit.html")]
struct VisitPage {
    chrome: Chrome,
    title: String,
    facts: Vec<(String, String)>,
    error: Option<String>,
    editable: bool,
    answer_action: String,
    submit_action: String,
    verdicts: Vec<(String, String)>,
    steps: Vec<StepBox>,
    failures: Vec<Failure>,
    visit_id: i64,
    photos: Vec<PhotoBox>,
    photo_error: Option<String>,
}

/// A step code as a label: the shipped steps are translated, a head office's own
/// step shows its code.
pub(crate) fn step_label(lang: Lang, step: &str) -> String {
    let key = format!("qa.step.{step}");
    let s = t(lang, &key);
    if s == key { step.to_string() } else { s }
}

/// The failed checkpoints of a visit (code, "code text") in checklist order.
fn failed_of(lang: Lang, d: &VisitDetail) -> Vec<(String, String)> {
    let en = lang == Lang::En;
    d.checkpoints
        .iter()
        .filter(|c| {
            d.answers
                .iter()
                .any(|a| a.code == c.code && a.verdict == "fail")
        })
        .map(|c| {
            let text = if en { &c.text_en } else { &c.text_zh };
            (c.code.clone(), text.clone())
        })
        .collect()
}

/// What the photo section shows: the boxes and a refused upload's sentence.
pub(crate) struct Photos {
    boxes: Vec<PhotoBox>,
    error: Option<String>,
}

async fn photos_of(
    s: &AppState,
    user: &ConsoleUser,
    g: &Grant,
    d: &VisitDetail,
    q: &HashMap<String, String>,
) -> Photos {
    let may_add = grant(user, Action::QualityAuditWrite).is_ok();
    let boxes = super::photo::boxes(
        s,
        user.lang,
        g,
        d.visit.id,
        failed_of(user.lang, d),
        may_add,
    )
    .await;
    let error = q.get("photo_rule").and_then(|r| {
        super::photo::refused_text(user.lang, r, q.get("code").map_or("", String::as_str))
    });
    Photos { boxes, error }
}

fn view(
    chrome: Chrome,
    d: &VisitDetail,
    may_write: bool,
    error: Option<String>,
    photos: Photos,
    status: StatusCode,
) -> Response {
    let lang = chrome.lang;
    let en = lang == Lang::En;
    let text_of = |code: &str| {
        d.checkpoints
            .iter()
            .find(|c| c.code == code)
            .map(|c| {
                if en {
                    c.text_en.clone()
                } else {
                    c.text_zh.clone()
                }
            })
            .unwrap_or_else(|| code.to_string())
    };
    let submitted = d.visit.state == "submitted";
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
            t(lang, "qa.kind"),
            t(lang, &format!("qa.kind.{}", d.visit.kind)),
        ),
        (t(lang, "qa.visited_on"), d.visit.visited_on.clone()),
        (t(lang, "qa.auditor"), d.auditor_name.clone()),
        (
            t(lang, "qa.checklist"),
            format!("v{} {}", d.checklist.version, d.checklist.name),
        ),
        (
            t(lang, "qa.col.state"),
            t(lang, &format!("qa.state.{}", d.visit.state)),
        ),
    ];
    if submitted {
        facts.push((t(lang, "qa.col.rate"), percent(d.compliance_bp)));
        facts.push((
            t(lang, "qa.counts"),
            crate::i18n::tables().fill(
                lang,
                "qa.counts_text",
                &[
                    ("passed", &d.visit.passed.to_string()),
                    ("failed", &d.visit.failed.to_string()),
                    ("na", &d.visit.not_applicable.to_string()),
                ],
            ),
        ));
        if let Some(s) = &d.visit.summary {
            facts.push((t(lang, "qa.summary"), s.clone()));
        }
    } else {
        facts.push((
            t(lang, "qa.answered"),
            format!("{} / {}", d.answers.len(), d.checkpoints.len()),
        ));
    }
    let mut steps: Vec<StepBox> = Vec::new();
    for c in &d.checkpoints {
        let given = d.answers.iter().find(|a| a.code == c.code);
        let item = Item {
            code: c.code.clone(),
            text: if en {
                c.text_en.clone()
            } else {
                c.text_zh.clone()
            },
            verdict: given.map(|a| a.verdict.clone()).unwrap_or_default(),
            finding: given.and_then(|a| a.finding.clone()).unwrap_or_default(),
        };
        match steps.last_mut() {
            Some(s) if s.label == step_label(lang, &c.step) => s.items.push(item),
            _ => steps.push(StepBox {
                label: step_label(lang, &c.step),
                items: vec![item],
                score: None,
            }),
        }
    }
    for (i, (_, passed, applicable, bp)) in d.steps.iter().enumerate() {
        if let Some(s) = steps.get_mut(i) {
            s.score = Some((format!("{passed} / {applicable}"), percent(*bp)));
        }
    }
    let failures = d
        .actions
        .iter()
        .map(|a| Failure {
            text: format!("{} {}", a.code, text_of(&a.code)),
            finding: a.problem.clone(),
            href: format!("/console/corrective-actions/{}", a.id),
            state: t(lang, &format!("qa.action.{}", a.state)),
            due: a.due_on.clone(),
        })
        .collect();
    let id = d.visit.id;
    let page = VisitPage {
        title: crate::i18n::tables().fill(
            lang,
            "qa.visit_title",
            &[("station", &facts[0].1), ("day", &d.visit.visited_on)],
        ),
        facts,
        error,
        editable: !submitted && may_write,
        answer_action: format!("/console/quality-audits/{id}/answers"),
        submit_action: format!("/console/quality-audits/{id}/submit"),
        verdicts: ["pass", "fail", "not_applicable"]
            .iter()
            .map(|v| (v.to_string(), t(lang, &format!("qa.verdict.{v}"))))
            .collect(),
        steps,
        failures,
        visit_id: id,
        photos: photos.boxes,
        photo_error: photos.error,
        chrome,
    };
    render(&page, status)
}

/// The visit page.
pub async fn page(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let chrome = user.chrome("quality_audits");
    let lang = user.lang;
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &AppError::NotFound);
    };
    let g = match grant(&user, Action::QualityAuditRead) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let chrome = chrome.crumb("/console/quality-audits", t(lang, "qa.title"));
    match app::quality_audit::detail(&s.app, &g, id).await {
        Ok(d) => {
            let photos = photos_of(&s, &user, &g, &d, &q).await;
            view(
                chrome,
                &d,
                grant(&user, Action::QualityAuditWrite).is_ok(),
                None,
                photos,
                StatusCode::OK,
            )
        }
        Err(e) => error_page(chrome, &e),
    }
}

/// The answers a form carries: `v_<code>` the verdict, `f_<code>` the finding.
fn answers_of(form: &FormData) -> Vec<AnswerInput> {
    form.0
        .iter()
        .filter_map(|(k, v)| {
            let code = k.strip_prefix("v_")?;
            let finding = form.get(&format!("f_{code}")).trim();
            Some(AnswerInput {
                code: code.to_string(),
                verdict: v.clone(),
                finding: (!finding.is_empty()).then(|| finding.to_string()),
            })
        })
        .collect()
}

async fn save(
    s: AppState,
    user: ConsoleUser,
    id: String,
    form: FormData,
    then_submit: bool,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let lang = user.lang;
    let chrome = user
        .chrome("quality_audits")
        .crumb("/console/quality-audits", t(lang, "qa.title"));
    let Ok(id) = id.parse::<i64>() else {
        return error_page(chrome, &AppError::NotFound);
    };
    let g = match grant(&user, Action::QualityAuditWrite) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let answers = answers_of(&form);
    let mut result = if answers.is_empty() && then_submit {
        Ok(())
    } else {
        app::quality_audit::answer(&s.app, &g, id, &answers)
            .await
            .map(|_| ())
    };
    if result.is_ok() && then_submit {
        let summary = form.get("summary").trim();
        let input = SubmitInput {
            summary: (!summary.is_empty()).then(|| summary.to_string()),
        };
        result = app::quality_audit::submit(&s.app, &g, id, &input)
            .await
            .map(|_| ());
    }
    match result {
        Ok(()) => super::super::toast::redirect(
            &format!("/console/quality-audits/{id}"),
            if then_submit {
                "toast.qa_submitted"
            } else {
                "toast.qa_saved"
            },
        ),
        Err(e @ (AppError::Invalid(_) | AppError::Refused(_))) => {
            let msg = violations_text(&chrome, &e);
            let read = match grant(&user, Action::QualityAuditRead) {
                Ok(r) => r,
                Err(e) => return error_page(chrome, &e),
            };
            match app::quality_audit::detail(&s.app, &read, id).await {
                Ok(mut d) => {
                    // Show what was typed, not only what was saved before.
                    for a in answers {
                        d.answers.retain(|x| x.code != a.code);
                        d.answers.push(app::quality_audit::AnswerRow {
                            code: a.code,
                            verdict: a.verdict,
                            finding: a.finding,
                        });
                    }
                    let photos = photos_of(&s, &user, &read, &d, &HashMap::new()).await;
                    view(
                        chrome,
                        &d,
                        true,
                        msg,
                        photos,
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                }
                Err(e) => error_page(chrome, &e),
            }
        }
        Err(e) => error_page(chrome, &e),
    }
}

/// Saves the form's answers.
pub async fn answer(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    save(s, user, id, form, false).await
}

/// Saves the form's answers and submits the visit.
pub async fn submit(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    form: FormData,
) -> Response {
    save(s, user, id, form, true).await
}
