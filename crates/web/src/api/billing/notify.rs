//! The providers' notice routes in their own shapes: WeChat Pay APIv3
//! (`/api/v1/payments/notify/wechat`, signed headers and an encrypted JSON
//! resource, answered `{"code":"SUCCESS"}`) and Alipay
//! (`/api/v1/payments/notify/alipay`, a signed form, answered `success`). The
//! signature is the authority; no principal. Every notice is kept in the ledger.

use crate::AppState;
use crate::api::ClientIp;
use crate::i18n::{Lang, tables};
use app::AppError;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The status and a short message (field: rule, in English: the provider's
/// operators read it) for a refused notice.
fn refusal(e: &AppError) -> (StatusCode, String) {
    let status = match e {
        AppError::Refused(v) if v.0.first().is_some_and(|x| x.field == "signature") => {
            StatusCode::UNAUTHORIZED
        }
        AppError::Refused(_) => StatusCode::CONFLICT,
        AppError::Invalid(_) => StatusCode::BAD_REQUEST,
        AppError::NotFound => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let text = match e {
        AppError::Refused(v) | AppError::Invalid(v) => {
            v.0.iter()
                .map(|x| {
                    let rule = format!("rule.{}", x.rule);
                    format!("{}: {}", x.field, tables().t(Lang::En, &rule))
                })
                .collect::<Vec<_>>()
                .join("; ")
        }
        AppError::NotFound => "out_trade_no: unknown order".into(),
        _ => "internal error".into(),
    };
    (status, text)
}

/// A WeChat Pay APIv3 notice (payment or refund). The `Wechatpay-Signature`
/// (SHA256withRSA by the platform certificate named in `Wechatpay-Serial`, over
/// `timestamp\nnonce\nbody\n`) is checked, with the timestamp within five minutes
/// and the nonce never seen before; the resource is decrypted with the APIv3 key
/// and judged against its order. Answers `200 {"code":"SUCCESS"}` when applied or
/// already applied; otherwise `{"code":"FAIL","message":…}` with 401 (signature),
/// 400 (unreadable), 404 (unknown order) or 409 (does not agree with the order),
/// and WeChat Pay sends it again.
#[utoipa::path(post, path = "/api/v1/payments/notify/wechat", tag = "payments", request_body(content = String, content_type = "application/json", description = "WeChat Pay APIv3 notice envelope"), params(("Wechatpay-Serial" = String, Header), ("Wechatpay-Signature" = String, Header), ("Wechatpay-Timestamp" = String, Header), ("Wechatpay-Nonce" = String, Header)), responses((status = 200, description = "{\"code\":\"SUCCESS\"}"), (status = 400, description = "{\"code\":\"FAIL\"}"), (status = 401, description = "{\"code\":\"FAIL\"}"), (status = 404, description = "{\"code\":\"FAIL\"}"), (status = 409, description = "{\"code\":\"FAIL\"}")))]
pub async fn wechat(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    // Bytes, not a `String` extractor: a body that is not UTF-8 is answered in the
    // provider's own format (a FAIL it understands), not axum's plain-text 400.
    let Ok(body) = std::str::from_utf8(&body) else {
        let fail = serde_json::json!({"code": "FAIL", "message": "body is not UTF-8"});
        return (StatusCode::BAD_REQUEST, Json(fail)).into_response();
    };
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str(), v)))
        .collect();
    match app::billing::notify::wechat(&s.app, &pairs, body, ip.as_deref()).await {
        Ok(_) => Json(serde_json::json!({"code": "SUCCESS"})).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "wechat pay notice refused");
            let (status, message) = refusal(&e);
            (
                status,
                Json(serde_json::json!({"code": "FAIL", "message": message})),
            )
                .into_response()
        }
    }
}

/// An Alipay asynchronous notice (form). The RSA2 `sign` over the sorted other
/// parameters is checked with Alipay's public key; `total_amount` must be yuan
/// with two decimals; the notice is judged against its order. Answers the plain
/// text `success` when applied or already applied; otherwise `fail` with 401, 400,
/// 404 or 409, and Alipay sends it again.
#[utoipa::path(post, path = "/api/v1/payments/notify/alipay", tag = "payments", request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "Alipay notice parameters with sign and sign_type=RSA2"), responses((status = 200, description = "success", content_type = "text/plain"), (status = 400, description = "fail", content_type = "text/plain"), (status = 401, description = "fail", content_type = "text/plain"), (status = 404, description = "fail", content_type = "text/plain"), (status = 409, description = "fail", content_type = "text/plain")))]
pub async fn alipay(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    body: axum::body::Bytes,
) -> Response {
    let text = [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];
    let Ok(body) = std::str::from_utf8(&body) else {
        return (StatusCode::BAD_REQUEST, text, "fail").into_response();
    };
    match app::billing::notify::alipay(&s.app, body, ip.as_deref()).await {
        Ok(_) => (StatusCode::OK, text, "success").into_response(),
        Err(e) => {
            let (status, message) = refusal(&e);
            tracing::warn!(error = %e, %message, "alipay notice refused");
            (status, text, "fail").into_response()
        }
    }
}
