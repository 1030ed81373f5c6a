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
    /// The page asked for (`page`, `per_page`), clamped.
    pub fn page(&self) -> Page {
        let get = |k: &str, d: i64| {
            self.0
                .get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(d)
        };
        Page::new(get("page", 1), get("per_page", 20))
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
