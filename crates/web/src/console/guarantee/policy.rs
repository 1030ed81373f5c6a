//! The maker's three-guarantees policy on a staff page (issue 19, finding 12):
//! `/console/three-guarantees/policy`, linked from head office's navigation. Every
//! value of the policy in force (the periods, the early windows, the courtesy-car day,
//! the repair-day line and repeat counts, the warning margin) is shown beside the
//! regulation's own value and the article that sets it. Head office edits them in one
//! form that goes through the API's use case (`app::guarantee::set_policy`), so a value
//! less generous than the law is refused here exactly as there: the form comes back
//! 422 with the article named beside each refused field and nothing saved; a saved
//! policy comes back with a toast. Everyone else with `NetworkRead` reads the table;
//! their post is 403.

use super::t;
use crate::AppState;
use crate::console::chrome::{Chrome, show_time};
use crate::console::form::{FormData, error_page, read_input, render};
use crate::console::session::{ConsoleUser, grant};
use crate::console::toast;
use crate::error::{FieldError, field_errors, page_error};
use crate::i18n::guarantee_floor::{SPECS, article_words, legal_words, value_of};
use crate::i18n::{Lang, tables};
use app::AppError;
use app::guarantee::PolicyInput;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use domain::guarantee::period::Policy;
use domain::permission::Action;
use std::collections::HashMap;

/// The page's address.
pub const POLICY: &str = "/console/three-guarantees/policy";

/// Routes of the policy page.
pub fn router() -> Router<AppState> {
    Router::new().route(POLICY, get(form).post(save))
}

/// One row of the page: the setting, the value in force (or as typed), the law.
struct Row {
    field: &'static str,
    label: String,
    /// The label with the unit, for the form.
    label_unit: String,
    unit: String,
    value: String,
    current: String,
    legal: String,
    article: String,
    /// "Legal value: at least 24 months · Art 18", beside the field.
    law: String,
    changed: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "guarantee_policy.html")]
struct PolicyPage {
    chrome: Chrome,
    title: String,
    error: Option<String>,
    action: String,
    status: String,
    rows: Vec<Row>,
    can_write: bool,
}

/// The errors of a refused form, each beside its field; a value below the law names
/// the article and the legal value in words (the API's detail is `art18 24`).
fn row_errors(lang: Lang, e: &AppError) -> HashMap<String, String> {
    let (AppError::Invalid(v) | AppError::Refused(v)) = e else {
        return HashMap::new();
    };
    let translated: Vec<FieldError> = field_errors(lang, &v.0);
    let mut out: HashMap<String, String> = HashMap::new();
    for (x, f) in v.0.iter().zip(translated) {
        let message = match SPECS.iter().find(|s| s.field == x.field) {
            Some(s) if x.rule == "guarantee.below_legal_floor" => tables().fill(
                lang,
                "gt5.refused",
                &[
                    ("legal", &legal_words(lang, s)),
                    ("article", &article_words(lang, s.cite)),
                ],
            ),
            _ => f.message,
        };
        out.entry(x.field.clone())
            .and_modify(|m| {
                m.push_str("; ");
                m.push_str(&message);
            })
            .or_insert(message);
    }
    out
}

/// Whether the user may change the policy: `NetworkWrite` at head office.
fn may_set(user: &ConsoleUser) -> bool {
    super::battery::may_set(user)
}

async fn show(
    s: &AppState,
    user: &ConsoleUser,
    typed: Option<&FormData>,
    failed: Option<&AppError>,
) -> Response {
    let lang = user.lang;
    let title = t(lang, "gt5.title");
    let chrome = user.chrome("three_guarantees").crumb(POLICY, title.clone());
    let setting = match grant(user, Action::NetworkRead) {
        Ok(g) => app::guarantee::setting(&s.app, &g).await,
        Err(e) => Err(e),
    };
    let setting = match setting {
        Ok(p) => p,
        Err(e) => return error_page(chrome, &e),
    };
    let errors = failed.map(|e| row_errors(lang, e)).unwrap_or_default();
    let rows = SPECS
        .iter()
        .map(|sp| {
            let current = value_of(&setting.policy, sp.field);
            Row {
                field: sp.field,
                label: t(lang, &format!("gt5.field.{}", sp.field)),
                label_unit: tables().fill(
                    lang,
                    "gt5.label",
                    &[
                        ("label", &t(lang, &format!("gt5.field.{}", sp.field))),
                        ("unit", &t(lang, &format!("gt5.unit.{}", sp.unit))),
                    ],
                ),
                unit: t(lang, &format!("gt5.unit.{}", sp.unit)),
                value: typed
                    .map(|f| f.get(sp.field).trim().to_string())
                    .unwrap_or_else(|| current.to_string()),
                current: current.to_string(),
                legal: legal_words(lang, sp),
                article: article_words(lang, sp.cite),
                law: tables().fill(
                    lang,
                    "gt5.law",
                    &[
                        ("legal", &legal_words(lang, sp)),
                        ("article", &article_words(lang, sp.cite)),
                    ],
                ),
                changed: current != value_of(&Policy::LEGAL, sp.field),
                error: errors.get(sp.field).cloned(),
            }
        })
        .collect();
    let status = match setting.updated_at {
        Some(at) if !setting.is_default => {
            tables().fill(lang, "gt5.status_changed", &[("at", &show_time(at))])
        }
        _ => t(lang, "gt5.status_legal"),
    };
    let (error, code) = match failed {
        // Each refusal stands beside its field, in words; on top only that nothing
        // was saved (the generic message would repeat the API's `art21 5`).
        Some(e @ (AppError::Invalid(_) | AppError::Refused(_))) => {
            let (_, code) = page_error(lang, e);
            (Some(t(lang, "gt5.not_saved")), code)
        }
        Some(e) => {
            let (msg, code) = page_error(lang, e);
            (Some(msg), code)
        }
        None => (None, StatusCode::OK),
    };
    let page = PolicyPage {
        chrome,
        title,
        error,
        action: POLICY.into(),
        status,
        rows,
        can_write: may_set(user),
    };
    render(&page, code)
}

async fn form(State(s): State<AppState>, user: ConsoleUser) -> Response {
    show(&s, &user, None, None).await
}

async fn save(State(s): State<AppState>, user: ConsoleUser, form: FormData) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let g = match grant(&user, Action::NetworkWrite) {
        Ok(g) => g,
        Err(e) => return error_page(user.chrome("three_guarantees"), &e),
    };
    let r = match read_input::<PolicyInput>(&form) {
        Ok(input) => app::guarantee::set_policy(&s.app, &g, &input).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => toast::redirect(&format!("{POLICY}#policy"), "toast.gt_policy_saved"),
        Err(AppError::Forbidden) => {
            error_page(user.chrome("three_guarantees"), &AppError::Forbidden)
        }
        Err(e) => show(&s, &user, Some(&form), Some(&e)).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_of_the_policy_is_on_the_page_once() {
        let schema = app::guarantee::policy::POLICY_LIMITS;
        assert_eq!(SPECS.len(), schema.len());
        for (s, (field, _)) in SPECS.iter().zip(schema.iter()) {
            assert_eq!(s.field, *field);
        }
    }

    #[test]
    fn a_refused_value_names_the_legal_value_and_the_article_in_words() {
        let v = domain::Violation::new("courtesy_car_days", "guarantee.below_legal_floor")
            .with_detail("art21 5");
        let e = AppError::Invalid(v.into());
        let zh = row_errors(Lang::ZhCn, &e);
        let msg = zh.get("courtesy_car_days").cloned().unwrap_or_default();
        assert!(msg.contains("第二十一条") && msg.contains('5'), "{msg}");
        assert!(!msg.contains("art21"), "{msg}");
        let en = row_errors(Lang::En, &e);
        let msg = en.get("courtesy_car_days").cloned().unwrap_or_default();
        assert!(msg.contains("Art 21") && msg.contains("at most 5"), "{msg}");
    }
}
