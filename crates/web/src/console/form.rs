//! Forms and the generic list, detail and form pages the console is built from.

use super::chrome::{Chrome, Pager};

use crate::error::field_errors;
use crate::i18n::{Lang, tables};
use app::AppError;
use askama::Template;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{Schema, SchemaType, Type};

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

    /// The fields except the CSRF and one-time form tokens, as a JSON object of
    /// strings, ready to be read by the same input types as the JSON API.
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for (k, v) in &self.0 {
            if k != "csrf" && k != crate::idempotency::FORM_FIELD {
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
    /// Links of other cells: (cell index, href), e.g. a vehicle's owner.
    pub links: Vec<(usize, String)>,
}

impl Row {
    /// Where cell `i` (after the first) links to, if anywhere.
    pub fn link(&self, i: &usize) -> Option<&str> {
        self.links
            .iter()
            .find(|(n, _)| n == i)
            .map(|(_, h)| h.as_str())
    }
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
    /// Sortable column headings; when given they replace `headers`.
    pub sort: Vec<super::chrome::SortHeader>,
    /// Rows.
    pub rows: Vec<Row>,
    /// Paging.
    pub pager: Pager,
    /// Why the search was refused (the rule, in the page's language): the page keeps
    /// its search box so the user can search again.
    pub error: Option<String>,
}

impl ListPage {
    /// The heading of column `i` (a phone's card labels each cell with it): the sort
    /// heading's text when the list sorts, else the plain heading; empty past the last.
    pub fn label(&self, i: &usize) -> &str {
        self.sort
            .get(*i)
            .map(|h| h.label.as_str())
            .or_else(|| self.headers.get(*i).map(String::as_str))
            .unwrap_or_default()
    }
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

/// The form to reveal one field of personal data for a purpose from the list.
#[derive(Debug, Clone)]
pub struct RevealBox {
    /// Where it posts.
    pub action: String,
    /// The fields that can be revealed: (code, label).
    pub fields: Vec<(String, String)>,
    /// The purposes: (code, label).
    pub purposes: Vec<(String, String)>,
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
    /// Links to this record's other pages: (href, text).
    pub links: Vec<(String, String)>,
    /// Reveal form, when allowed.
    pub reveal: Option<RevealBox>,
    /// The form recording a change of consent (customer page), when allowed.
    pub consent: Option<ConsentBox>,
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
    /// `text`, `number`, `date`, `checkbox`, `select`, `search` (a select with the
    /// filter box of `/assets/select.js`: pick one of many by name or code) or
    /// `lookup`.
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
    /// The one-time token of this rendering (a double submit makes one record).
    pub form_token: String,
    /// What was searched for in the form's `lookup` field (`<name>_q`): a lookup
    /// finds a record (the owner by phone tail, name or plate) instead of asking for
    /// its typed id, and the search stays in its box.
    pub lookup_q: String,
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
        let lookup_q = specs
            .iter()
            .find(|(_, kind)| *kind == "lookup")
            .and_then(|(name, _)| values.get(format!("{name}_q")))
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_string();
        FormPage {
            chrome,
            title,
            action,
            fields,
            error: None,
            form_token: app::idempotency::form_token(),
            lookup_q,
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

/// Bad input as the page shows it: every broken rule with its field, in the page's
/// language (a refused search says how to search); `None` for other errors.
pub fn violations_text(chrome: &Chrome, e: &AppError) -> Option<String> {
    match e {
        AppError::Invalid(v) | AppError::Refused(v) => Some(
            v.0.iter()
                .map(|x| crate::i18n::tables().violation(chrome.lang, x))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        _ => None,
    }
}

/// An error page for failures outside forms (not found, forbidden, internal).
pub fn error_page(chrome: Chrome, e: &AppError) -> Response {
    let (status, _, title_key, _) = crate::error::describe_app(e);
    if status.is_server_error() {
        tracing::error!(error = %e, "console failure");
    }
    let title = chrome.t(title_key);
    let error = violations_text(&chrome, e);
    let page = DetailPage {
        chrome,
        title,
        facts: vec![],
        edit_href: None,
        links: vec![],
        reveal: None,
        consent: None,
        sections: vec![],
        notice: None,
        error,
    };
    render(&page, status)
}

/// Reads a form into an API input type; unknown fields become violations.
///
/// A form can only send strings, while the input readers in `app::input` are strict
/// about JSON types (the API must not turn `"1"` into 1). So the form is first typed
/// from the input type's OpenAPI schema, the same contract the API publishes: see
/// [`typed_form`].
pub fn read_input<T: serde::de::DeserializeOwned + utoipa::PartialSchema>(
    form: &FormData,
) -> Result<T, AppError> {
    serde_json::from_value(typed_form(&T::schema(), form.to_json()))
        .map_err(|e| AppError::Invalid(crate::error::json_violation(&e).into()))
}

/// The JSON a form's strings stand for, field by field per `schema`: every string is
/// trimmed (browsers keep what was pasted); a field declared integer, number or
/// boolean becomes that JSON type (blank → null; a checkbox's `on` → true). A string
/// that does not read as the declared type stays a string, so the input reader names
/// the rule (`type.integer`, …) as it does for the API.
pub fn typed_form(schema: &RefOr<Schema>, form: serde_json::Value) -> serde_json::Value {
    let serde_json::Value::Object(fields) = form else {
        return form;
    };
    let props = match schema {
        RefOr::T(Schema::Object(o)) => Some(&o.properties),
        _ => None,
    };
    let typed = fields
        .into_iter()
        .map(|(name, value)| {
            let serde_json::Value::String(s) = value else {
                return (name, value);
            };
            let s = s.trim().to_string();
            let kind = props.and_then(|p| p.get(&name)).and_then(primitive);
            (name, typed_value(kind, s))
        })
        .collect();
    serde_json::Value::Object(typed)
}

/// One form string as the JSON type `kind` (see [`typed_form`]).
fn typed_value(kind: Option<Type>, s: String) -> serde_json::Value {
    use serde_json::Value;
    let blank = s.is_empty();
    match kind {
        Some(Type::Integer | Type::Number | Type::Boolean) if blank => Value::Null,
        Some(Type::Integer) => s.parse::<i64>().map_or(Value::String(s), Value::from),
        Some(Type::Number) => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::String(s), Value::Number),
        Some(Type::Boolean) => match s.as_str() {
            "on" | "true" | "1" | "yes" => Value::Bool(true),
            "off" | "false" | "0" | "no" => Value::Bool(false),
            _ => Value::String(s),
        },
        _ => Value::String(s),
    }
}

/// The declared JSON type of a property, ignoring `null` (optional fields).
fn primitive(schema: &RefOr<Schema>) -> Option<Type> {
    let first = |types: &[Type]| types.iter().find(|t| **t != Type::Null).cloned();
    match schema {
        RefOr::T(Schema::Object(o)) => match &o.schema_type {
            SchemaType::Type(t) => Some(t.clone()),
            SchemaType::Array(ts) => first(ts),
            SchemaType::AnyValue => None,
        },
        RefOr::T(Schema::OneOf(one)) => one.items.iter().find_map(primitive),
        _ => None,
    }
}

/// A form string read as a whole number where the use case expects JSON, for the
/// few handlers that build an input type by hand: a number when it reads as one,
/// otherwise the text, so the input reader names the rule.
pub fn form_int(s: &str) -> serde_json::Value {
    typed_value(Some(Type::Integer), s.trim().to_string())
}

#[cfg(test)]
mod typed_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn form_strings_take_the_schema_types() {
        let schema = <app::vehicle::VehicleInput as utoipa::PartialSchema>::schema();
        let form = json!({"model_year": "2021", "km": "", "is_ev": "on", "brand": " 比亚迪 ",
            "owner_id": "x", "vin": "123"});
        let typed = typed_form(&schema, form);
        assert_eq!(
            typed,
            json!({"model_year": 2021, "km": null, "is_ev": true, "brand": "比亚迪",
                "owner_id": "x", "vin": "123"})
        );
        assert_eq!(form_int(" 5 "), json!(5));
        assert_eq!(form_int("five"), json!("five"));
    }
}

/// The form that records a change of consent.
#[derive(Debug, Clone)]
pub struct ConsentBox {
    /// Where it posts.
    pub action: String,
    /// Purposes: (code, label).
    pub purposes: Vec<(String, String)>,
    /// Sources staff may record: (code, label).
    pub sources: Vec<(String, String)>,
}
