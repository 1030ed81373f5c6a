//! Forms and the generic list, detail and form pages the console is built from.

use super::chrome::{Chrome, Pager};

use crate::error::field_errors;
use crate::i18n::{Lang, tables};
use app::AppError;
use askama::Template;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// A submitted form as ordered name/value pairs.
#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The first value of a field, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The fields except the CSRF token, as a JSON object of strings, ready to be read
    /// by the same input types as the JSON API.
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for (k, v) in &self.0 {
            if k != "csrf" {
                m.insert(k.clone(), serde_json::Value::String(v.clone()));
            }
        }
        serde_json::Value::Object(m)
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(req, state)
            .await
            .map_err(|e| (StatusCode::BAD_REQUEST, e.body_text()).into_response())?;
        Ok(FormData(pairs))
    }
}

/// Answers a submitted form: on success, go to the page `target` names; otherwise show
/// the form again with each error beside its field.
pub fn answer<T>(
    page: FormPage,
    result: Result<T, AppError>,
    target: impl FnOnce(T) -> String,
) -> Response {
    match result {
        Ok(v) => axum::response::Redirect::to(&target(v)).into_response(),
        Err(e) => {
            let (page, status) = page.with_error(&e);
            render(&page, status)
        }
    }
}

/// Renders a template with a status, or a plain 500 if rendering fails.
pub fn render<T: Template>(t: &T, status: StatusCode) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// One list row: link target and cells.
#[derive(Debug, Clone)]
pub struct Row {
    /// Where the first cell links to.
    pub href: String,
    /// Cell texts.
    pub cells: Vec<String>,
}

/// A list page.
#[derive(Template)]
#[template(path = "list.html")]
pub struct ListPage {
    /// Frame.
    pub chrome: Chrome,
    /// Heading.
    pub title: String,
    /// Search text.
    pub q: String,
    /// "New" link, when the user may create.
    pub new_href: Option<String>,
    /// Column headings.
    pub headers: Vec<String>,
    /// Rows.
    pub rows: Vec<Row>,
    /// Paging.
    pub pager: Pager,
}

/// A table section of a detail page.
#[derive(Debug, Clone)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// Column headings.
    pub headers: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
}

/// The form to reveal personal data with a reason.
#[derive(Debug, Clone)]
pub struct RevealBox {
    /// Where it posts.
    pub action: String,
}

/// A detail page.
#[derive(Template)]
#[template(path = "detail.html")]
pub struct DetailPage {
    /// Frame.
    pub chrome: Chrome,
    /// Heading.
    pub title: String,
    /// Label/value pairs.
    pub facts: Vec<(String, String)>,
    /// Edit link, when allowed.
    pub edit_href: Option<String>,
    /// Reveal form, when allowed.
    pub reveal: Option<RevealBox>,
    /// Tables below.
    pub sections: Vec<Section>,
    /// A success message.
    pub notice: Option<String>,
    /// An error message.
    pub error: Option<String>,
}

/// One input of a form page.
#[derive(Debug, Clone)]
pub struct Field {
    /// Input name (same as the API field).
    pub name: &'static str,
    /// Label.
    pub label: String,
    /// `text`, `number`, `date`, `checkbox` or `select`.
    pub kind: &'static str,
    /// Current value (`on` for a ticked checkbox).
    pub value: String,
    /// Options for a select: (value, label).
    pub options: Vec<(String, String)>,
    /// Error message for this field.
    pub error: Option<String>,
}

/// A form page.
#[derive(Template)]
#[template(path = "form.html")]
pub struct FormPage {
    /// Frame.
    pub chrome: Chrome,
    /// Heading.
    pub title: String,
    /// Where it posts.
    pub action: String,
    /// Inputs.
    pub fields: Vec<Field>,
    /// General error.
    pub error: Option<String>,
}

impl FormPage {
    /// A form with inputs `(name, kind)`, labelled from the translation files and filled
    /// from `values`.
    pub fn new(
        chrome: Chrome,
        title: String,
        action: String,
        specs: &[(&'static str, &'static str)],
        values: &serde_json::Value,
    ) -> FormPage {
        let fields = specs
            .iter()
            .map(|(name, kind)| Field {
                name,
                label: chrome.t(&format!("field.{name}")),
                kind,
                value: match values.get(*name) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Bool(true)) => "on".into(),
                    Some(serde_json::Value::Bool(false)) | Some(serde_json::Value::Null) | None => {
                        String::new()
                    }
                    Some(serde_json::Value::Array(a)) => a
                        .iter()
                        .filter_map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    Some(other) => other.to_string(),
                },
                options: vec![],
                error: None,
            })
            .collect();
        FormPage {
            chrome,
            title,
            action,
            fields,
            error: None,
        }
    }

    /// Sets the options of a select.
    pub fn options(mut self, name: &str, options: Vec<(String, String)>) -> FormPage {
        if let Some(f) = self.fields.iter_mut().find(|f| f.name == name) {
            f.options = options;
        }
        self
    }

    /// Shows a use-case error: field errors beside their inputs, the rest on top.
    /// Returns the status to answer with.
    pub fn with_error(mut self, e: &AppError) -> (FormPage, StatusCode) {
        let lang = self.chrome.lang;
        let (status, _, title_key, violations) = crate::error::describe_app(e);
        let errs = field_errors(lang, &violations);
        let mut general = Vec::new();
        for fe in errs {
            match self.fields.iter_mut().find(|f| f.name == fe.field) {
                Some(f) => f.error = Some(fe.message),
                None => general.push(fe.message),
            }
        }
        let mut top = tables().t(lang, title_key).to_string();
        if !general.is_empty() {
            top = format!("{top}: {}", general.join("; "));
        }
        self.error = Some(top);
        (self, status)
    }
}

/// A text of the translation files in `lang`.
pub fn t(lang: Lang, key: &str) -> String {
    tables().t(lang, key).to_string()
}

/// An error page for failures outside forms (not found, forbidden, internal).
pub fn error_page(chrome: Chrome, e: &AppError) -> Response {
    let (status, _, title_key, _) = crate::error::describe_app(e);
    if status.is_server_error() {
        tracing::error!(error = %e, "console failure");
    }
    let title = chrome.t(title_key);
    let page = DetailPage {
        chrome,
        title,
        facts: vec![],
        edit_href: None,
        reveal: None,
        sections: vec![],
        notice: None,
        error: None,
    };
    render(&page, status)
}

/// Reads a form into an API input type; unknown fields become violations.
pub fn read_input<T: serde::de::DeserializeOwned>(form: &FormData) -> Result<T, AppError> {
    serde_json::from_value(form.to_json())
        .map_err(|e| AppError::Invalid(crate::error::json_violation(&e).into()))
}
