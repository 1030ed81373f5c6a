//! The main parts of the ten systems (GB/T 29632) on a staff page (issue 19 item 1):
//! `/console/three-guarantees/main-parts`, linked from the policy page. Whoever reads
//! the three guarantees sees the list per system (both names, active or retired);
//! head office adds a part (system, code, both names), renames one and retires or
//! restores it, through the API's use cases (`app::guarantee::main_part`). A retired
//! part stays on the faults that name it and in the counters; the order page offers
//! only active ones. Each refusal is shown beside its field, nothing saved; success
//! comes back with a toast.

use super::t;
use crate::AppState;
use crate::console::form::{FormData, error_page, render};
use crate::console::session::{ConsoleUser, grant};
use crate::console::toast;
use crate::i18n::{Lang, tables};
use app::AppError;
use app::guarantee::main_part::{MainPartInput, MainPartPatch, MainPartRow};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use domain::Violation;
use domain::guarantee::main_part::System;
use domain::permission::Action;

/// The page's address.
pub const MAIN_PARTS: &str = "/console/three-guarantees/main-parts";

/// Routes of the page.
pub fn router() -> Router<AppState> {
    Router::new().route(MAIN_PARTS, get(page).post(add)).route(
        "/console/three-guarantees/main-parts/{system}/{code}",
        post(change).get(page),
    )
}

/// One part as the page shows it.
struct PartRow {
    system: String,
    code: String,
    name_zh: String,
    name_en: String,
    active: bool,
    status: String,
    /// Refusals of this part's form, by field.
    errors: Vec<(String, String)>,
}

impl PartRow {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

/// One system with its parts.
struct SystemBlock {
    code: &'static str,
    label: String,
    parts: Vec<PartRow>,
}

#[derive(Template)]
#[template(path = "guarantee_main_parts.html")]
struct MainPartsPage {
    chrome: crate::console::Chrome,
    title: String,
    systems: Vec<SystemBlock>,
    can_set: bool,
    /// The add form's typed values and refusals.
    add: Vec<(String, String)>,
    add_errors: Vec<(String, String)>,
    error: Option<String>,
}

impl MainPartsPage {
    fn add_val(&self, field: &str) -> &str {
        self.add
            .iter()
            .find(|(f, _)| f == field)
            .map_or("", |(_, v)| v.as_str())
    }

    fn add_err(&self, field: &str) -> Option<&str> {
        self.add_errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

/// The part whose form failed (system, code), what was typed and the refusals.
type RowFailed<'a> = (&'a str, &'a str, &'a FormData, Vec<(String, String)>);

/// What failed, and where: the add form, or one part's form.
enum Failed<'a> {
    Add(&'a FormData, &'a AppError),
    Row(&'a str, &'a str, &'a FormData, &'a AppError),
}

fn messages(lang: Lang, e: &AppError) -> Vec<(String, String)> {
    match e {
        AppError::Invalid(v) | AppError::Refused(v) => {
            v.0.iter()
                .map(|x: &Violation| (x.field.clone(), tables().violation(lang, x)))
                .collect()
        }
        _ => vec![],
    }
}

async fn show(s: &AppState, user: &ConsoleUser, failed: Option<Failed<'_>>) -> Response {
    let lang = user.lang;
    let title = t(lang, "gt7.title");
    let chrome = user
        .chrome("three_guarantees")
        .crumb(super::policy::POLICY, t(lang, "gt5.title"))
        .crumb(MAIN_PARTS, title.clone());
    let rows: Vec<MainPartRow> = match grant(user, Action::RepairOrderRead) {
        Ok(g) => match app::guarantee::main_part::list(&s.app, &g).await {
            Ok(r) => r,
            Err(e) => return error_page(chrome, &e),
        },
        Err(e) => return error_page(chrome, &e),
    };
    let mut status = StatusCode::OK;
    let mut error = None;
    let mut add = vec![];
    let mut add_errors = vec![];
    let mut row_failed: Option<RowFailed<'_>> = None;
    match &failed {
        Some(Failed::Add(form, e)) => {
            status = crate::error::describe_app(e).0;
            add = ["system", "code", "name_zh", "name_en"]
                .iter()
                .map(|k| (k.to_string(), form.get(k).to_string()))
                .collect();
            add_errors = messages(lang, e);
        }
        Some(Failed::Row(sys, code, form, e)) => {
            status = crate::error::describe_app(e).0;
            row_failed = Some((sys, code, form, messages(lang, e)));
        }
        None => {}
    }
    if let Some(Failed::Add(_, e) | Failed::Row(_, _, _, e)) = &failed
        && add_errors.is_empty()
        && row_failed.as_ref().is_none_or(|r| r.3.is_empty())
    {
        error = Some(crate::error::page_error(lang, e).0);
    }
    let systems = System::ALL
        .iter()
        .map(|sys| SystemBlock {
            code: sys.code(),
            label: t(lang, &format!("gt2.system.{}", sys.code())),
            parts: rows
                .iter()
                .filter(|r| r.system == sys.code())
                .map(|r| {
                    let mine = row_failed
                        .as_ref()
                        .filter(|f| f.0 == r.system && f.1 == r.code);
                    let typed = |k: &str, v: &str| match mine {
                        Some(f) => f.2.get(k).to_string(),
                        None => v.to_string(),
                    };
                    let active = r.retired_at.is_none();
                    PartRow {
                        system: r.system.clone(),
                        code: r.code.clone(),
                        name_zh: typed("name_zh", &r.name_zh),
                        name_en: typed("name_en", &r.name_en),
                        active,
                        status: t(lang, if active { "gt7.active" } else { "gt7.retired" }),
                        errors: mine.map(|f| f.3.clone()).unwrap_or_default(),
                    }
                })
                .collect(),
        })
        .collect();
    let page = MainPartsPage {
        chrome,
        title,
        systems,
        can_set: super::battery::may_set(user),
        add,
        add_errors,
        error,
    };
    render(&page, status)
}

/// `GET /console/three-guarantees/main-parts` (and each part's address, so a reload
/// after a refused change never meets 405).
async fn page(State(s): State<AppState>, user: ConsoleUser) -> Response {
    show(&s, &user, None).await
}

/// `POST /console/three-guarantees/main-parts`: head office adds a part.
async fn add(State(s): State<AppState>, user: ConsoleUser, form: FormData) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match grant(&user, Action::NetworkWrite) {
        Err(e) => Err(e),
        Ok(g) => {
            let input = MainPartInput {
                system: form.get("system").to_string(),
                code: form.get("code").to_string(),
                name_zh: form.get("name_zh").to_string(),
                name_en: form.get("name_en").to_string(),
            };
            app::guarantee::main_part::add(&s.app, &g, &input).await
        }
    };
    match r {
        Ok(p) => toast::redirect(
            &format!("{MAIN_PARTS}#part-{}-{}", p.system, p.code),
            "toast.gt7.added",
        ),
        Err(e @ (AppError::Invalid(_) | AppError::Refused(_))) => {
            show(&s, &user, Some(Failed::Add(&form, &e))).await
        }
        Err(e) => error_page(user.chrome("three_guarantees"), &e),
    }
}

/// `POST /console/three-guarantees/main-parts/{system}/{code}`: `op` = `rename`
/// (with both names), `retire` or `restore`.
async fn change(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path((system, code)): Path<(String, String)>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let (patch, key) = match form.get("op") {
        "rename" => (
            MainPartPatch {
                name_zh: Some(form.get("name_zh").to_string()),
                name_en: Some(form.get("name_en").to_string()),
                retired: None,
            },
            "toast.gt7.renamed",
        ),
        "retire" => (
            MainPartPatch {
                retired: Some(true),
                ..MainPartPatch::default()
            },
            "toast.gt7.retired",
        ),
        "restore" => (
            MainPartPatch {
                retired: Some(false),
                ..MainPartPatch::default()
            },
            "toast.gt7.restored",
        ),
        _ => {
            let e = AppError::Invalid(Violation::new("op", "guarantee.main_part_op").into());
            return show(&s, &user, Some(Failed::Row(&system, &code, &form, &e))).await;
        }
    };
    let r = match grant(&user, Action::NetworkWrite) {
        Err(e) => Err(e),
        Ok(g) => app::guarantee::main_part::change(&s.app, &g, &system, &code, &patch).await,
    };
    match r {
        Ok(p) => toast::redirect(&format!("{MAIN_PARTS}#part-{}-{}", p.system, p.code), key),
        Err(e @ (AppError::Invalid(_) | AppError::Refused(_))) => {
            show(&s, &user, Some(Failed::Row(&system, &code, &form, &e))).await
        }
        Err(e) => error_page(user.chrome("three_guarantees"), &e),
    }
}
