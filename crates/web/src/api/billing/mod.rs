//! The electronic bill of a delivered order and its payment: at the desk, or online
//! through a provider interface with signed callbacks (a local sandbox provider ships,
//! see [`sandbox`]), also from the owner link (SPEC §4–§5, §10).
//!
//! The provider's callback carries no principal: its HMAC-SHA256 signature is the
//! authority. Owner routes under `/owner-links/{token}` use the transparent-workshop
//! link token.

pub mod notice;
pub mod notify;
pub mod provider_sandbox;
pub mod sandbox;

use super::path_id;
use crate::AppState;
use crate::api::{ClientIp, json, problem};
use crate::error::{ApiError, ProblemDoc};
use crate::extract::{ApiLang, Caller, JsonBody};
use app::AppError;
use app::billing::provider::SIGNATURE_HEADER;
use app::billing::{BillView, CallbackOutcome, DeskPaymentInput, OnlinePayment};
use app::billing::{READ, REFUND, RefundInput, WRITE};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
pub use sandbox::sandbox_router;

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        issue_bill,
        get_bill,
        pay_at_desk,
        start_online,
        payment_callback,
        owner_bill,
        owner_start_online,
        notice::list_notices,
        notify::wechat,
        notify::alipay,
        refund,
    ),
    components(schemas(ProblemDoc))
)]
pub struct BillingApi;

/// Routes of this area under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/repair-orders/{id}/bill", get(get_bill).post(issue_bill))
        .route("/repair-orders/{id}/payments", post(pay_at_desk))
        .route("/repair-orders/{id}/payments/online", post(start_online))
        .route("/repair-orders/{id}/refunds", post(refund))
        .route("/payments/callback", post(payment_callback))
        .route("/payments/notify/wechat", post(notify::wechat))
        .route("/payments/notify/alipay", post(notify::alipay))
        .route("/payment-notices", get(notice::list_notices))
        .route("/owner-links/{token}/bill", get(owner_bill))
        .route(
            "/owner-links/{token}/payments/online",
            post(owner_start_online),
        )
}

/// Issues the electronic bill of a delivered order (again: the same bill).
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/bill", tag = "payments", params(("id" = i64, Path)), responses((status = 200, body = BillView), (status = 409, body = ProblemDoc)))]
pub async fn issue_bill(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<BillView>, ApiError> {
    let g = c.grant(WRITE)?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        app::billing::issue(&s.app, &g, id)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// The bill of an order with its payments, what is owed and the rating.
#[utoipa::path(get, path = "/api/v1/repair-orders/{id}/bill", tag = "payments", params(("id" = i64, Path)), responses((status = 200, body = BillView), (status = 404, body = ProblemDoc)))]
pub async fn get_bill(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
) -> Result<Json<BillView>, ApiError> {
    let g = c.grant(READ)?;
    let id = path_id(&id, c.lang)?;
    Ok(Json(
        app::billing::view(&s.app, &g, id)
            .await
            .map_err(|e| c.err(e))?,
    ))
}

/// Records a payment taken at the desk (cash, card, WeChat, Alipay); the amount must
/// be what is owed.
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/payments", tag = "payments", params(("id" = i64, Path)), request_body = DeskPaymentInput, responses((status = 201, description = "The payment"), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn pay_at_desk(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<DeskPaymentInput>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let p = app::billing::pay_at_desk(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, json(&p)))
}

/// Which provider to pay through.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OnlineInput {
    /// Provider code; `sandbox` (the default) ships.
    pub provider: Option<String>,
}

/// Starts an online payment of what is owed; answers the provider's checkout URL.
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/payments/online", tag = "payments", params(("id" = i64, Path)), request_body = OnlineInput, responses((status = 201, body = OnlinePayment), (status = 409, body = ProblemDoc)))]
pub async fn start_online(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<OnlineInput>,
) -> Result<(StatusCode, Json<OnlinePayment>), ApiError> {
    let g = c.grant(WRITE)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let p = app::billing::start_online(&s.app, &g, id, input.provider.as_deref())
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// The payment provider's callback, signed with HMAC-SHA256 in the
/// `X-Aftersales-Signature` header (`t=<unix ms>,v1=<hex>` over `t.body`). A forged
/// or stale signature is 401, a wrong amount 409; nothing changes then. A repeated
/// callback answers 200 with `changed: false`; a paid notice for a payment that
/// failed, was closed or cancelled answers 200 with state `paid_late` (the bill is
/// flagged for reconciliation). Every notice is kept in the payment-notice ledger.
#[utoipa::path(post, path = "/api/v1/payments/callback", tag = "payments", request_body = app::billing::provider::Callback, params(("X-Aftersales-Signature" = String, Header)), responses((status = 200, body = CallbackOutcome), (status = 401, body = ProblemDoc), (status = 409, body = ProblemDoc)))]
pub async fn payment_callback(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: String,
) -> Response {
    let sig = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match app::billing::callback(&s.app, sig, &body, ip.as_deref()).await {
        Ok(out) => Json(out).into_response(),
        Err(AppError::Refused(v)) if v.0.first().is_some_and(|x| x.field == "signature") => {
            tracing::warn!(
                rule = v.0.first().map(|x| x.rule),
                "payment callback refused"
            );
            problem(
                StatusCode::UNAUTHORIZED,
                "signature",
                "payment.error.signature",
                lang,
                v.0,
            )
        }
        Err(e) => {
            tracing::warn!(error = %e, "payment callback refused");
            ApiError::app(e, lang).into_response()
        }
    }
}

/// The bill, from the owner's transparent-workshop link.
#[utoipa::path(get, path = "/api/v1/owner-links/{token}/bill", tag = "payments", params(("token" = String, Path)), responses((status = 200, body = BillView), (status = 404, body = ProblemDoc)))]
pub async fn owner_bill(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    Path(token): Path<String>,
) -> Result<Json<BillView>, ApiError> {
    Ok(Json(
        app::billing::owner_view(&s.app, &token)
            .await
            .map_err(|e| ApiError::app(e, lang))?,
    ))
}

/// The owner starts an online payment from the link.
#[utoipa::path(post, path = "/api/v1/owner-links/{token}/payments/online", tag = "payments", params(("token" = String, Path)), request_body = OnlineInput, responses((status = 201, body = OnlinePayment), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc)))]
pub async fn owner_start_online(
    State(s): State<AppState>,
    ApiLang(lang): ApiLang,
    Path(token): Path<String>,
    JsonBody(input): JsonBody<OnlineInput>,
) -> Result<(StatusCode, Json<OnlinePayment>), ApiError> {
    let input = input?;
    let p = app::billing::owner_start_online(&s.app, &token, input.provider.as_deref())
        .await
        .map_err(|e| ApiError::app(e, lang))?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// Gives money back on the bill: lines credited (or `full`), overpayment
/// (`excess_fen`), through the provider or in cash or by transfer, with a reason.
/// Above what was paid, above a line or above the caller's approval limit is 409
/// naming the field and the rule (`refund.above_limit` carries the limit).
#[utoipa::path(post, path = "/api/v1/repair-orders/{id}/refunds", tag = "payments", params(("id" = i64, Path)), request_body = RefundInput, responses((status = 201, description = "The refund"), (status = 409, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
pub async fn refund(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<RefundInput>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let g = c.grant(REFUND)?;
    let input = input?;
    let id = path_id(&id, c.lang)?;
    let r = app::billing::refund(&s.app, &g, id, &input)
        .await
        .map_err(|e| c.err(e))?;
    Ok((StatusCode::CREATED, json(&r)))
}
