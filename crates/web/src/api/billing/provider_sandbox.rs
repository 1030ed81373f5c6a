//! The sandbox providers' APIs on our own server: WeChat Pay's APIv3
//! (`/sandbox-provider/wechat/v3/…`) and Alipay's gateway
//! (`/sandbox-provider/alipay/gateway.do`). Our provider clients call these over
//! HTTP exactly as they call the real providers, so the demo and the tests run the
//! production code path. They stand in for third parties' APIs and so are not part
//! of our OpenAPI description; a provider that is not a sandbox answers 404 here.

use crate::AppState;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};

/// The prefix of the WeChat Pay sandbox's routes.
const WECHAT: &str = "/sandbox-provider/wechat";

/// The sandbox providers' API routes (merged with the sandbox checkout's).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sandbox-provider/wechat/{*rest}", any(wechat))
        .route(
            "/sandbox-provider/alipay/gateway.do",
            post(alipay).get(alipay_cashier),
        )
        .route(
            app::billing::statement::ALIPAY_BILL_ROUTE,
            axum::routing::get(alipay_bill),
        )
}

fn failed(e: &app::AppError) -> Response {
    match e {
        app::AppError::NotFound => StatusCode::NOT_FOUND.into_response(),
        _ => {
            tracing::warn!(error = %e, "sandbox provider API failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// WeChat Pay's APIv3, played by its sandbox.
async fn wechat(
    State(s): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let full = uri.path_and_query().map(|p| p.as_str()).unwrap_or("");
    let path = full.strip_prefix(WECHAT).unwrap_or(full);
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match app::billing::provider_sandbox::wechat_api(&s.app, method.as_str(), path, auth, &body)
        .await
    {
        Ok(reply) => {
            if let Some((url, notice)) = reply.then {
                // The provider posts its notice after it answered, over HTTP to
                // our notice route, as WeChat Pay does (never in this request).
                tokio::spawn(app::billing::provider_sandbox::post_notice(url, notice));
            }
            let a = reply.answer;
            let mut h = HeaderMap::new();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(a.content_type),
            );
            for (k, v) in a.headers {
                if let Ok(v) = HeaderValue::from_str(&v) {
                    h.insert(HeaderName::from_static(k), v);
                }
            }
            let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::OK);
            (status, h, a.body).into_response()
        }
        Err(e) => failed(&e),
    }
}

/// Alipay's gateway, played by its sandbox: a signed form in, a signed JSON
/// answer out (always 200, as Alipay answers; the outcome is in the answer).
async fn alipay(State(s): State<AppState>, Form(params): Form<Vec<(String, String)>>) -> Response {
    match app::billing::provider_sandbox::alipay_gateway(&s.app, &params).await {
        Ok(text) => (
            [(header::CONTENT_TYPE, "application/json;charset=utf-8")],
            text,
        )
            .into_response(),
        Err(e) => failed(&e),
    }
}

/// Alipay's cashier, played by its sandbox: the payer's browser arrives with a
/// signed `alipay.trade.wap.pay` / `page.pay` request in the query and is sent on
/// to the sandbox's checkout page.
async fn alipay_cashier(
    State(s): State<AppState>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    match app::billing::provider_sandbox::alipay_cashier(&s.app, &params).await {
        Ok(to) => axum::response::Redirect::to(&to).into_response(),
        // Refused: the payer's browser gets the reason, as Alipay's error page.
        Err(e @ app::AppError::Refused(_)) => {
            crate::error::ApiError::app(e, crate::i18n::Lang::default()).into_response()
        }
        Err(e) => failed(&e),
    }
}

/// The query of Alipay's sandbox bill download link.
#[derive(serde::Deserialize)]
struct BillLink {
    day: String,
    token: String,
}

/// Alipay's bill download, played by its sandbox: the day's trade CSV for the
/// link the gateway gave.
async fn alipay_bill(State(s): State<AppState>, Query(q): Query<BillLink>) -> Response {
    match app::billing::statement::alipay_bill_file(&s.app, &q.day, &q.token).await {
        Ok(text) => ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text).into_response(),
        Err(e) => failed(&e),
    }
}
