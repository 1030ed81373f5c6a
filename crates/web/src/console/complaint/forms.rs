//! The working forms of the complaint detail page: first response, analysis and
//! responsibility, the three zeros, the follow-up call, goodwill (typed in yuan),
//! pause and resume while waiting for the customer, reassignment to another station
//! a severity change and the part concerned (named at any time). Each posts to its own path; success goes back to the
//! form's anchor on the detail page with a toast (post–redirect–get), bad input shows
//! the page again with each error beside its field and the typed values kept. This
//! file builds the forms; [`super::submit`] receives them.

use super::super::form::{Field, FormData, t};
use super::super::select::SearchSelect;
use crate::i18n::Lang;
use app::AppError;
use app::complaint::Detail;
use domain::complaint::closure::Zero;
use domain::complaint::goodwill::GoodwillKind;
use domain::complaint::{Responsibility, State as Flow, UrgentReason};

/// The forms, by the path segment they post to (also their anchor on the page).
pub const FORMS: &[&str] = &[
    "respond",
    "analyse",
    "zero",
    "follow-up",
    "goodwill",
    "pause",
    "resume",
    "reassign",
    "severity",
    "part",
];

/// One working form of the detail page.
pub struct ActionForm {
    /// Anchor and path segment.
    pub id: &'static str,
    /// Heading.
    pub title: String,
    /// Where it posts.
    pub action: String,
    /// Inputs.
    pub fields: Vec<Field>,
    /// A searchable select (the stations of a reassignment).
    pub select: Option<SearchSelect>,
    /// Error of the searchable select.
    pub select_error: Option<String>,
    /// Text of the button.
    pub submit: String,
    /// Question asked before sending, for steps that cannot be undone.
    pub confirm: Option<String>,
    /// Errors not tied to one field.
    pub error: Option<String>,
}

/// A form sent with bad input: which form, what was typed and the error.
pub struct Failed {
    /// The form's id.
    pub form: &'static str,
    /// The values typed.
    pub values: FormData,
    /// The refusal.
    pub error: AppError,
}

fn field(lang: Lang, name: &'static str, kind: &'static str) -> Field {
    Field {
        name,
        label: t(lang, &format!("complaint.field.{name}")),
        kind,
        value: String::new(),
        options: vec![],
        error: None,
    }
}

fn with_options(mut f: Field, options: Vec<(String, String)>) -> Field {
    f.options = options;
    f
}

fn codes(
    lang: Lang,
    prefix: &str,
    codes: impl IntoIterator<Item = &'static str>,
) -> Vec<(String, String)> {
    codes
        .into_iter()
        .map(|c| (c.to_string(), t(lang, &format!("{prefix}.{c}"))))
        .collect()
}

/// The forms the complaint's state allows, filled back and marked when `failed`.
pub fn forms(
    lang: Lang,
    d: &Detail,
    stations: &[(i64, String)],
    failed: Option<&Failed>,
) -> Vec<ActionForm> {
    let c = &d.complaint;
    let state = Flow::from_code(&c.state).unwrap_or(Flow::Received);
    if !state.is_open() {
        return vec![];
    }
    let responded = d
        .stages
        .iter()
        .any(|s| s.stage == "first_response" && s.met_at.is_some());
    let mut out = Vec::new();
    let mut add = |id: &'static str, fields: Vec<Field>| {
        out.push(ActionForm {
            id,
            title: t(lang, &format!("complaint.form.{id}")),
            action: format!("/console/complaints/{}/{id}", c.id),
            fields,
            select: None,
            select_error: None,
            submit: t(lang, &format!("complaint.form.{id}.submit")),
            confirm: None,
            error: None,
        });
    };
    if !responded {
        add("respond", vec![field(lang, "note", "textarea")]);
    }
    if state == Flow::Analysing {
        add(
            "analyse",
            vec![
                with_options(
                    field(lang, "responsibility", "select"),
                    codes(
                        lang,
                        "complaint.responsibility",
                        Responsibility::ALL.iter().map(|r| r.code()),
                    ),
                ),
                field(lang, "cause", "textarea"),
                field(lang, "part_number", "text"),
            ],
        );
    }
    add(
        "zero",
        vec![
            with_options(
                field(lang, "zero", "select"),
                codes(lang, "complaint.zero", Zero::ALL.iter().map(|z| z.code())),
            ),
            with_options(
                field(lang, "status", "select"),
                codes(lang, "complaint.zero_status", ["done", "not_applicable"]),
            ),
            field(lang, "text", "textarea"),
        ],
    );
    if state == Flow::FollowUp {
        add(
            "follow-up",
            vec![
                with_options(
                    field(lang, "satisfaction", "select"),
                    (1..=5)
                        .rev()
                        .map(|n| {
                            (
                                n.to_string(),
                                t(lang, &format!("complaint.satisfaction.{n}")),
                            )
                        })
                        .collect(),
                ),
                field(lang, "accepts_closure", "checkbox"),
                field(lang, "note", "textarea"),
            ],
        );
    }
    add(
        "goodwill",
        vec![
            with_options(
                field(lang, "kind", "select"),
                codes(
                    lang,
                    "complaint.goodwill",
                    GoodwillKind::ALL.iter().map(|k| k.code()),
                ),
            ),
            field(lang, "value", "text"),
            field(lang, "note", "textarea"),
        ],
    );
    add(
        if c.paused_since.is_some() {
            "resume"
        } else {
            "pause"
        },
        vec![],
    );
    add(
        "severity",
        vec![
            with_options(
                field(lang, "severity", "select"),
                codes(lang, "complaint.severity", ["normal", "urgent"]),
            ),
            with_options(
                field(lang, "urgent_reason", "select"),
                std::iter::once((String::new(), "—".to_string()))
                    .chain(codes(
                        lang,
                        "complaint.urgent",
                        UrgentReason::ALL.iter().map(|r| r.code()),
                    ))
                    .collect(),
            ),
        ],
    );
    add("reassign", vec![]);
    add("part", vec![field(lang, "part_number", "text")]);
    for f in &mut out {
        match f.id {
            "part" => {
                for x in &mut f.fields {
                    x.value = c.part_number.clone().unwrap_or_default();
                }
            }
            "severity" => {
                for x in &mut f.fields {
                    x.value = match x.name {
                        "severity" => c.severity.clone(),
                        _ => c.urgent_reason.clone().unwrap_or_default(),
                    };
                }
            }
            "reassign" => {
                f.select = Some(SearchSelect {
                    name: "station_id".into(),
                    label: t(lang, "complaint.field.station_id"),
                    hint: t(lang, "select.filter"),
                    options: stations
                        .iter()
                        .filter(|(id, _)| *id != c.station_id)
                        .map(|(id, n)| (id.to_string(), n.clone()))
                        .collect(),
                    selected: String::new(),
                    empty: Some(t(lang, "complaint.field.choose")),
                    submit_on_change: false,
                });
                f.confirm = Some(t(lang, "complaint.confirm_reassign"));
            }
            _ => {}
        }
    }
    if let Some(fail) = failed {
        fill_back(lang, &mut out, fail);
    }
    out
}

/// Puts the typed values back and each error beside its field.
fn fill_back(lang: Lang, forms: &mut [ActionForm], fail: &Failed) {
    let Some(f) = forms.iter_mut().find(|f| f.id == fail.form) else {
        return;
    };
    for x in &mut f.fields {
        x.value = fail.values.get(x.name).to_string();
    }
    if let Some(sel) = &mut f.select {
        sel.selected = fail.values.get(&sel.name).to_string();
    }
    let (_, _, title_key, violations) = crate::error::describe_app(&fail.error);
    let mut general = Vec::new();
    for fe in crate::error::field_errors(lang, &violations) {
        // `zeros.technical.text` is the `text` input of the zero form.
        let name = fe.field.rsplit('.').next().unwrap_or(&fe.field).to_string();
        if let Some(x) = f.fields.iter_mut().find(|x| x.name == name) {
            x.error = Some(fe.message);
        } else if f.select.as_ref().is_some_and(|s| s.name == name) {
            f.select_error = Some(fe.message);
        } else {
            general.push(fe.message);
        }
    }
    let mut top = t(lang, title_key);
    if !general.is_empty() {
        top = format!("{top}: {}", general.join("; "));
    }
    f.error = Some(top);
}
