//! The goodwill approval limits page (`/console/complaints/goodwill-limits`): everyone
//! who reads complaints sees the limit of each role in yuan (and whether head office
//! has set its own or the defaults hold); head office changes them in one form, typed
//! in yuan and kept in fen by `app::complaint::goodwill`, each refusal (not an amount,
//! out of range, not rising with the role) beside its field, nothing saved.

use super::super::form::{FormData, error_page, render};
use super::super::session::{ConsoleUser, grant};
use super::super::toast;
use crate::AppState;
use crate::i18n::{tables, yuan};
use app::AppError;
use app::complaint::goodwill::{GoodwillLimitsInput, GoodwillLimitsView};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::Violation;
use domain::money::Money;
use domain::permission::Action;

/// The roles with a limit, by the field that holds it.
const ROLES: [(&str, &str); 3] = [
    ("customer_relations_fen", "customer_relations"),
    ("station_manager_fen", "station_manager"),
    ("regional_manager_fen", "regional_manager"),
];

/// One role's limit as the page shows it.
pub struct LimitRow {
    /// Input name (the API's field).
    pub name: &'static str,
    /// The role's name.
    pub role: String,
    /// The input's label: the role and the unit (yuan).
    pub label: String,
    /// The limit in force, as money.
    pub shown: String,
    /// What the input holds: the typed text, or the limit in yuan.
    pub value: String,
    /// The refusal beside the input.
    pub error: Option<String>,
}

/// The page.
#[derive(askama::Template)]
#[template(path = "complaint_goodwill.html")]
pub struct GoodwillPage {
    /// Frame.
    pub chrome: crate::console::Chrome,
    /// Heading.
    pub title: String,
    /// One row per role.
    pub rows: Vec<LimitRow>,
    /// "The defaults hold" or "set by head office".
    pub source: String,
    /// Whether the user may change them (the form is shown).
    pub can_set: bool,
    /// A refusal not tied to one field.
    pub error: Option<String>,
}

/// Fen as typed yuan: `500`, `199.5` → `199.50`.
fn yuan_input(fen: i64) -> String {
    if fen % 100 == 0 {
        (fen / 100).to_string()
    } else {
        format!("{}.{:02}", fen / 100, fen % 100)
    }
}

fn field_of(v: &Violation) -> &str {
    v.field.as_str()
}

async fn show(
    s: &AppState,
    user: &ConsoleUser,
    typed: Option<&FormData>,
    failed: Option<&AppError>,
) -> Response {
    let chrome = user.chrome("complaints");
    let read = match grant(user, Action::ComplaintRead) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let now: GoodwillLimitsView = match app::complaint::goodwill::limits(&s.app, &read).await {
        Ok(v) => v,
        Err(e) => return error_page(chrome, &e),
    };
    let lang = user.lang;
    let violations: Vec<Violation> = match failed {
        Some(AppError::Invalid(v) | AppError::Refused(v)) => v.0.clone(),
        _ => vec![],
    };
    let fen = |name: &str| match name {
        "customer_relations_fen" => now.customer_relations_fen,
        "station_manager_fen" => now.station_manager_fen,
        _ => now.regional_manager_fen,
    };
    let rows = ROLES
        .iter()
        .map(|(name, role)| LimitRow {
            name,
            role: chrome.t(&format!("role.{role}")),
            label: tables().fill(
                lang,
                "complaint.gw.label",
                &[("role", &chrome.t(&format!("role.{role}")))],
            ),
            shown: yuan(fen(name)),
            value: typed
                .map(|f| f.get(name).to_string())
                .unwrap_or_else(|| yuan_input(fen(name))),
            error: violations
                .iter()
                .find(|v| field_of(v) == *name)
                .map(|v| tables().violation(lang, v)),
        })
        .collect();
    let error = match failed {
        Some(e @ (AppError::Invalid(_) | AppError::Refused(_))) => {
            Some(crate::error::page_error(lang, e).0).filter(|_| {
                violations
                    .iter()
                    .any(|v| !ROLES.iter().any(|(n, _)| *n == field_of(v)))
            })
        }
        Some(e) => Some(crate::error::page_error(lang, e).0),
        None => None,
    };
    let status = failed.map_or(StatusCode::OK, |e| crate::error::describe_app(e).0);
    let page = GoodwillPage {
        title: chrome.t("complaint.gw.title"),
        rows,
        source: chrome.t(if now.is_default {
            "complaint.gw.default"
        } else {
            "complaint.gw.set"
        }),
        can_set: user
            .session
            .principal
            .grant(Action::ComplaintPolicy)
            .is_ok()
            && matches!(
                user.session.principal.unit,
                domain::permission::Unit::HeadOffice
            ),
        error,
        chrome: {
            let list = chrome.t("complaint.nav");
            chrome.crumb("/console/complaints", list)
        },
    };
    render(&page, status)
}

/// `GET /console/complaints/goodwill-limits`.
pub(super) async fn page(State(s): State<AppState>, user: ConsoleUser) -> Response {
    show(&s, &user, None, None).await
}

/// Reads the three amounts typed in yuan; each one that is not an amount is an error
/// on its field.
fn read(form: &FormData) -> Result<GoodwillLimitsInput, AppError> {
    let mut v = domain::Violations::new();
    let mut fen = [0i64; 3];
    for (i, (name, _)) in ROLES.iter().enumerate() {
        match Money::parse_yuan(form.get(name)) {
            Ok(m) => fen[i] = m.fen(),
            Err(_) => v.push(Violation::new(*name, "complaint.goodwill_yuan")),
        }
    }
    v.into_result().map_err(AppError::Invalid)?;
    Ok(GoodwillLimitsInput {
        customer_relations_fen: fen[0],
        station_manager_fen: fen[1],
        regional_manager_fen: fen[2],
    })
}

/// `POST /console/complaints/goodwill-limits`: head office sets the limits; back with
/// a toast, or the page again with each refusal beside its field.
pub(super) async fn save(State(s): State<AppState>, user: ConsoleUser, form: FormData) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match (grant(&user, Action::ComplaintPolicy), read(&form)) {
        (Err(e), _) => Err(e),
        (Ok(_), Err(e)) => Err(e),
        (Ok(g), Ok(input)) => app::complaint::goodwill::set_limits(&s.app, &g, &input).await,
    };
    match r {
        Ok(_) => toast::redirect(
            "/console/complaints/goodwill-limits",
            "toast.complaint.goodwill_limits",
        ),
        Err(e @ (AppError::Invalid(_) | AppError::Refused(_))) => {
            show(&s, &user, Some(&form), Some(&e)).await
        }
        Err(e) => error_page(user.chrome("complaints"), &e),
    }
}
