//! The JSON API under `/api/v1`, one module per business area (named as in every
//! other layer), and the small helpers every area's handlers share.

// Machinery.
pub mod auth;
pub mod export;
pub mod file;

// Business areas.
pub mod appointment;
pub mod billing;
pub mod calendar;
pub mod campaign;
pub mod capacity;
pub mod complaint;
pub mod customer;
pub mod demo;
pub mod estimate;
pub mod follow_up;
pub mod guarantee;
pub mod kpi;
pub mod labour;
pub mod network;
pub mod part;
pub mod people;
pub mod pickup;
pub mod privacy;
pub mod quality_audit;
pub mod rating;
pub mod repair_order;
pub mod stage_standard;
pub mod survey;
pub mod vehicle;

use crate::AppState;
use crate::error::ApiError;
use crate::error::{ProblemDoc, field_errors};
use crate::extract::Caller;
use crate::i18n::Lang;
use crate::i18n::tables;
use app::AppError;
use app::Page;
use axum::Json;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Violation;
use domain::permission::{Action, Grant};
use domain::repair_order::Stage;
use std::collections::HashMap;

/// Every API route.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(network::router())
        .merge(people::router())
        .merge(customer::router())
        .merge(vehicle::router())
        .merge(export::router())
        .merge(labour::router())
        .merge(stage_standard::router())
        .merge(part::router())
        .merge(calendar::router())
        .merge(capacity::router())
        .merge(appointment::router())
        .merge(appointment::feed::router())
        .merge(repair_order::router())
        .merge(estimate::router())
        .merge(kpi::router())
        .merge(billing::router())
        .merge(rating::router())
        .merge(pickup::router())
        .merge(follow_up::router())
        .merge(survey::router())
        .merge(privacy::request::router())
        .merge(guarantee::router())
        .merge(privacy::router())
        .merge(campaign::router())
        .merge(complaint::router())
        .merge(quality_audit::router())
}

/// Query parameters of a list, read leniently so that bad values become problem documents.
#[derive(Debug, Default)]
pub struct ListQuery(pub HashMap<String, String>);

impl ListQuery {
    /// The page asked for (`page` from 1, `per_page` 1 to 200); a value that is not a
    /// number or lies outside its range is a 422 naming the parameter, rather than
    /// a page quietly clamped to something the caller did not ask for.
    pub fn page(&self, lang: Lang) -> Result<Page, ApiError> {
        let page = self.int("page", lang)?.unwrap_or(1);
        let per_page = self.int("per_page", lang)?.unwrap_or(20);
        let mut v = domain::Violations::new();
        for (name, value, max) in [
            ("page", page, Page::MAX_PAGE),
            ("per_page", per_page, Page::MAX_PER_PAGE),
        ] {
            if !(1..=max).contains(&value) {
                v.push(
                    domain::Violation::new(name, "number.range").with_detail(format!("1..{max}")),
                );
            }
        }
        v.into_result()
            .map_err(|v| ApiError::app(AppError::Invalid(v), lang))?;
        Ok(Page::new(page, per_page))
    }

    /// A text parameter, if given and not empty.
    pub fn text(&self, k: &str) -> Option<String> {
        self.0
            .get(k)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    /// A parameter of a declared shape (a date, a month), if given — even empty, so
    /// that `?day=` is refused by the parser like any other value the API document
    /// does not allow, rather than read as absent.
    pub fn given(&self, k: &str) -> Option<String> {
        self.0.get(k).map(|s| s.trim().to_string())
    }

    /// A numeric parameter; a non-number is an error naming it. A parameter given
    /// empty (`?page=`) is not a number either: the API document says integer, so
    /// it is refused rather than read as absent.
    pub fn int(&self, k: &str, lang: Lang) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.0.get(k) else {
            return Ok(None);
        };
        raw.trim().parse::<i64>().map(Some).map_err(|_| {
            ApiError::app(
                AppError::Invalid(domain::Violation::new(k, "type.integer").into()),
                lang,
            )
        })
    }
}

/// Parses a numeric path id; anything else is simply not found.
pub fn path_id(raw: &str, lang: Lang) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(|| ApiError::app(AppError::NotFound, lang))
}

/// The id of a created record.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Created {
    /// The new id.
    pub id: i64,
}

/// A reason given for a change.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    /// Why: one line, not blank, at most 200 characters.
    #[schema(schema_with = app::schema::line::<200>)]
    pub reason: String,
}

/// A grant for the first of `actions` the caller holds, or 403.
pub fn grant_any(c: &Caller, actions: &[Action]) -> Result<Grant, ApiError> {
    actions
        .iter()
        .find_map(|a| c.principal.grant(*a).ok())
        .ok_or_else(|| ApiError::app(AppError::Forbidden, c.lang))
}

pub use crate::client::{ClientIp, client_ip};

pub(crate) fn invalid(field: &str, rule: &'static str, lang: Lang) -> ApiError {
    ApiError::app(AppError::Invalid(Violation::new(field, rule).into()), lang)
}

/// A stage from its path code; unknown codes name the rule.
pub fn stage_of(code: &str, lang: Lang) -> Result<Stage, ApiError> {
    Stage::from_code(code).ok_or_else(|| invalid("stage", "repair_order.stage_unknown", lang))
}

/// A line number from the path; anything else is not found.
pub fn line_of(raw: &str, lang: Lang) -> Result<u32, ApiError> {
    raw.parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::app(AppError::NotFound, lang))
}

/// A problem document with a status of our choosing, naming the broken rules.
pub(crate) fn problem(
    status: StatusCode,
    kind: &str,
    title_key: &str,
    lang: Lang,
    v: Vec<Violation>,
) -> Response {
    let errors = field_errors(lang, &v);
    let title = tables().t(lang, title_key).to_string();
    let detail = if errors.is_empty() {
        title.clone()
    } else {
        errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let doc = ProblemDoc {
        kind: format!("/problems/{kind}"),
        title,
        status: status.as_u16(),
        detail,
        errors,
    };
    let mut r = (status, serde_json::to_vec(&doc).unwrap_or_default()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    r.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.tag()),
    );
    r
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> Json<serde_json::Value> {
    Json(serde_json::to_value(v).unwrap_or_default())
}
