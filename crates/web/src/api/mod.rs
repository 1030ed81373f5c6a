//! The JSON API under `/api/v1`, one module per business area.

pub mod auth;
pub mod customer;
pub mod export;
pub mod guarantee;
pub mod network;
pub mod payment;
pub mod people;
pub mod service;
pub mod vehicle;

use crate::AppState;
use crate::error::ApiError;
use crate::i18n::Lang;
use app::AppError;
use axum::Router;
use std::collections::HashMap;
use store::Page;

/// Every API route.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(network::router())
        .merge(people::router())
        .merge(customer::router())
        .merge(vehicle::router())
        .merge(export::router())
        .merge(service::router())
        .merge(payment::router())
        .merge(guarantee::router())
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

    /// A numeric parameter; a non-number is an error naming it.
    pub fn int(&self, k: &str, lang: Lang) -> Result<Option<i64>, ApiError> {
        match self.text(k) {
            None => Ok(None),
            Some(s) => s.parse::<i64>().map(Some).map_err(|_| {
                ApiError::app(
                    AppError::Invalid(domain::Violation::new(k, "type.integer").into()),
                    lang,
                )
            }),
        }
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
    /// Why.
    pub reason: String,
}
