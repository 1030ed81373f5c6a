//! The complaint categories page (`/console/complaints/categories`): everyone who
//! reads complaints sees the catalogue (code, both names, active or retired); head
//! office adds a category (code, zh-CN and en names; it gets the default targets on
//! the policy page at once), renames one and retires or restores it. Each refusal is
//! shown beside its field, nothing saved; success comes back with a toast.

use super::super::form::{FormData, error_page, render};
use super::super::session::{ConsoleUser, grant};
use super::super::toast;
use crate::AppState;
use crate::i18n::tables;
use app::AppError;
use app::complaint::category::{CategoryInput, NamesInput};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::Violation;
use domain::permission::Action;

/// One text input with its label, value and refusal.
pub struct Input {
    /// The input's name (the API's field).
    pub name: &'static str,
    /// Its element id.
    pub id: String,
    /// Label.
    pub label: String,
    /// Value.
    pub value: String,
    /// Refusal beside it.
    pub error: Option<String>,
}

fn inputs(
    chrome: &crate::console::Chrome,
    prefix: &str,
    fields: &[(&'static str, String)],
    errors: &[(String, String)],
) -> Vec<Input> {
    fields
        .iter()
        .map(|(name, value)| Input {
            name,
            id: format!("{prefix}-{name}"),
            label: chrome.t(&format!("complaint.cat.{name}")),
            value: value.clone(),
            error: errors
                .iter()
                .find(|(f, _)| f == name)
                .map(|(_, m)| m.clone()),
        })
        .collect()
}

/// One category as the page shows it.
pub struct Row {
    /// Code.
    pub code: String,
    /// 中文名.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Whether it may be chosen.
    pub active: bool,
    /// "Active" / "Retired".
    pub status: String,
    /// The rename form's inputs.
    pub inputs: Vec<Input>,
}

/// The page.
#[derive(askama::Template)]
#[template(path = "complaint_categories.html")]
pub struct CategoriesPage {
    /// Frame.
    pub chrome: crate::console::Chrome,
    /// Heading.
    pub title: String,
    /// Every category.
    pub rows: Vec<Row>,
    /// Whether the user may change them (head office).
    pub can_set: bool,
    /// The add form's inputs.
    pub add: Vec<Input>,
    /// A refusal not tied to one field.
    pub error: Option<String>,
}

/// What failed, and where: the add form, or one row.
enum Failed<'a> {
    Add(&'a FormData, &'a AppError),
    Row(&'a str, &'a FormData, &'a AppError),
}

fn messages(lang: crate::i18n::Lang, e: &AppError) -> Vec<(String, String)> {
    match e {
        AppError::Invalid(v) | AppError::Refused(v) => {
            v.0.iter()
                .map(|x: &Violation| (x.field.clone(), tables().violation(lang, x)))
                .collect()
        }
        _ => vec![],
    }
}

fn head_office(user: &ConsoleUser) -> bool {
    user.session
        .principal
        .grant(Action::ComplaintPolicy)
        .is_ok()
        && matches!(
            user.session.principal.unit,
            domain::permission::Unit::HeadOffice
        )
}

async fn show(s: &AppState, user: &ConsoleUser, failed: Option<Failed<'_>>) -> Response {
    let chrome = user.chrome("complaints");
    let read = match grant(user, Action::ComplaintRead) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let list = match app::complaint::category::list(&s.app, &read).await {
        Ok(l) => l,
        Err(e) => return error_page(chrome, &e),
    };
    let lang = user.lang;
    let mut status = StatusCode::OK;
    let mut error = None;
    let mut add_values = [
        ("code", String::new()),
        ("name_zh", String::new()),
        ("name_en", String::new()),
    ];
    let mut add_errors = vec![];
    let (row_code, row_form, row_errors) = match &failed {
        Some(Failed::Row(code, form, e)) => {
            status = crate::error::describe_app(e).0;
            let m = messages(lang, e);
            if m.is_empty() {
                error = Some(crate::error::page_error(lang, e).0);
            }
            (Some(*code), Some(*form), m)
        }
        Some(Failed::Add(form, e)) => {
            status = crate::error::describe_app(e).0;
            for (k, v) in &mut add_values {
                *v = form.get(k).to_string();
            }
            add_errors = messages(lang, e);
            if add_errors.is_empty() {
                error = Some(crate::error::page_error(lang, e).0);
            }
            (None, None, vec![])
        }
        None => (None, None, vec![]),
    };
    let add = inputs(&chrome, "add", &add_values, &add_errors);
    let rows = list
        .iter()
        .map(|c| {
            let mine = row_code == Some(c.code.as_str());
            let typed = |k: &str, v: &str| match (mine, row_form) {
                (true, Some(f)) => f.get(k).to_string(),
                _ => v.to_string(),
            };
            let names = [
                ("name_zh", typed("name_zh", &c.name_zh)),
                ("name_en", typed("name_en", &c.name_en)),
            ];
            let none = vec![];
            Row {
                inputs: inputs(
                    &chrome,
                    &c.code,
                    &names,
                    if mine { &row_errors } else { &none },
                ),
                code: c.code.clone(),
                name_zh: c.name_zh.clone(),
                name_en: c.name_en.clone(),
                active: c.active(),
                status: chrome.t(if c.active() {
                    "complaint.cat.active"
                } else {
                    "complaint.cat.retired"
                }),
            }
        })
        .collect();
    let page = CategoriesPage {
        title: chrome.t("complaint.cat.title"),
        rows,
        can_set: head_office(user),
        add,
        error,
        chrome: {
            let list = chrome.t("complaint.nav");
            chrome.crumb("/console/complaints", list)
        },
    };
    render(&page, status)
}

/// `GET /console/complaints/categories` (and the row addresses, so a reload after a
/// refused change never meets 405).
pub(super) async fn page(State(s): State<AppState>, user: ConsoleUser) -> Response {
    show(&s, &user, None).await
}

/// `POST /console/complaints/categories`: head office adds a category.
pub(super) async fn add(State(s): State<AppState>, user: ConsoleUser, form: FormData) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match grant(&user, Action::ComplaintPolicy) {
        Err(e) => Err(e),
        Ok(g) => {
            let input = CategoryInput {
                code: form.get("code").to_string(),
                name_zh: form.get("name_zh").to_string(),
                name_en: form.get("name_en").to_string(),
            };
            app::complaint::category::add(&s.app, &g, &input).await
        }
    };
    match r {
        Ok(_) => toast::redirect(
            "/console/complaints/categories",
            "toast.complaint.category_added",
        ),
        Err(e @ (AppError::Invalid(_) | AppError::Refused(_))) => {
            show(&s, &user, Some(Failed::Add(&form, &e))).await
        }
        Err(e) => error_page(user.chrome("complaints"), &e),
    }
}

/// `POST /console/complaints/categories/{code}`: `op` = `rename` (with both names),
/// `retire` or `restore`.
pub(super) async fn change(
    State(s): State<AppState>,
    user: ConsoleUser,
    Path(code): Path<String>,
    form: FormData,
) -> Response {
    if let Err(r) = user.check_csrf(&form) {
        return r;
    }
    let r = match grant(&user, Action::ComplaintPolicy) {
        Err(e) => Err(e),
        Ok(g) => match form.get("op") {
            "rename" => {
                let input = NamesInput {
                    name_zh: form.get("name_zh").to_string(),
                    name_en: form.get("name_en").to_string(),
                };
                app::complaint::category::rename(&s.app, &g, &code, &input)
                    .await
                    .map(|_| "toast.complaint.category_renamed")
            }
            "retire" => app::complaint::category::retire(&s.app, &g, &code, true)
                .await
                .map(|_| "toast.complaint.category_retired"),
            "restore" => app::complaint::category::retire(&s.app, &g, &code, false)
                .await
                .map(|_| "toast.complaint.category_restored"),
            _ => Err(AppError::Invalid(
                Violation::new("op", "complaint.category_op").into(),
            )),
        },
    };
    match r {
        Ok(key) => toast::redirect(&format!("/console/complaints/categories#cat-{code}"), key),
        Err(e @ (AppError::Invalid(_) | AppError::Refused(_))) => {
            show(&s, &user, Some(Failed::Row(&code, &form, &e))).await
        }
        Err(e) => error_page(user.chrome("complaints"), &e),
    }
}
