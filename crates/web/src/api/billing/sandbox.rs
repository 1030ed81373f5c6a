//! The local sandbox payment provider's checkout page (`/sandbox-pay/{payment_ref}`),
//! served when the settings turn the sandbox on (demo and tests): the owner picks the
//! outcome and the page posts the provider's signed callback, as a real provider would.

use crate::AppState;
use crate::error::{ApiError, ProblemDoc};
use crate::i18n::{Lang, tables, yuan};
use app::AppError;
use axum::Router;
use axum::body::Body;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use domain::Violation;
use std::collections::HashMap;

/// The OpenAPI description of this area, merged into the whole API's.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(sandbox_page, sandbox_submit, sandbox_notice_again),
    components(schemas(ProblemDoc))
)]
pub struct SandboxApi;

/// The sandbox payment provider's checkout page: only served when the
/// `payment_sandbox` setting is on (the demo turns it on; production leaves it off).
pub fn sandbox_router() -> Router<AppState> {
    Router::new()
        .route(
            "/sandbox-pay/{payment_ref}",
            get(sandbox_page).post(sandbox_submit),
        )
        .route(
            "/sandbox-pay/{payment_ref}/notice",
            axum::routing::post(sandbox_notice_again),
        )
        .merge(super::provider_sandbox::router())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The checkout page, styled like the owner's pages it continues (a phone-sized
/// column, the same style sheet), in the payer's language.
fn page(lang: Lang, body: &str) -> Html<String> {
    let t = |k: &str| esc(tables().t(lang, k));
    Html(format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/assets/console.css\"></head><body><div class=\"phone\">\
         <header class=\"owner-bar\"><span class=\"brand\">{}</span></header><main id=\"main\" class=\"sandbox-pay\"><h1>{}</h1>{body}\
         <p class=\"empty\"><small>{}</small></p></main></div></body></html>",
        lang.tag(),
        t("payment.sandbox.title"),
        t("payment.sandbox.brand"),
        t("payment.sandbox.title"),
        t("payment.sandbox.note"),
    ))
}

/// The sandbox provider's checkout page: the amount and "pay" / "fail" buttons.
#[utoipa::path(get, path = "/sandbox-pay/{payment_ref}", tag = "payments", params(("payment_ref" = String, Path), ("return" = Option<String>, Query, description = "The owner's page to go back to: `/owner/track/{token}`")), responses((status = 200, description = "HTML page", content_type = "text/html"), (status = 404, body = ProblemDoc)))]
pub async fn sandbox_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(payment_ref): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Html<String>, ApiError> {
    let lang = lang_of(&headers);
    let p = app::billing::sandbox_checkout(&s.app, &payment_ref)
        .await
        .map_err(|e| ApiError::app(e, lang))?;
    let t = |k: &str| esc(tables().t(lang, k));
    let action = format!("/sandbox-pay/{}", esc(&p.payment_ref));
    let back = return_path(q.get("return"));
    let body = if p.state == "pending" {
        let hidden = back
            .as_deref()
            .map(|b| {
                format!(
                    "<input type=\"hidden\" name=\"return\" value=\"{}\">",
                    esc(b)
                )
            })
            .unwrap_or_default();
        format!(
            "<p>{} {}</p><p class=\"amount\">{}</p><form method=\"post\" action=\"{action}\">{hidden}\
             <p><button name=\"outcome\" value=\"pay\" class=\"wide\">{}</button></p><p><button name=\"outcome\" value=\"fail\" class=\"danger wide\">{}</button></p></form>",
            t("payment.sandbox.bill"),
            esc(&p.bill_number),
            yuan(p.amount_fen),
            t("payment.sandbox.pay"),
            t("payment.sandbox.fail"),
        )
    } else {
        format!(
            "<p>{} {}</p><p class=\"amount\">{}</p><p>{}: {}</p>{}",
            t("payment.sandbox.bill"),
            esc(&p.bill_number),
            yuan(p.amount_fen),
            t("payment.sandbox.state"),
            t(&format!("payment.state.{}", p.state)),
            back_link(lang, back.as_deref()),
        )
    };
    Ok(page(lang, &body))
}

/// Where the payer goes back to after the sandbox checkout, like a real provider's
/// return URL: only an owner's transparent-workshop page on this server
/// (`/owner/track/{token}`), so the page cannot be used as an open redirect.
/// The sandbox checkout form as the document states it: `outcome` from the two the
/// handler reads, and an optional `return` path of the shape [`return_path`] keeps
/// (any other is ignored, not refused).
pub fn form_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "required": ["outcome"],
        "properties": {
            "outcome": {"type": "string", "enum": ["pay", "fail"]},
            "return": {"type": "string", "pattern": "^/owner/track/[A-Za-z0-9_-]{1,128}$"}
        }
    })
}

fn return_path(raw: Option<&String>) -> Option<String> {
    let raw = raw?.trim();
    let token = raw.strip_prefix("/owner/track/")?;
    let ok = !token.is_empty()
        && token.len() <= 128
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| raw.to_string())
}

/// A link back to the owner's page, if there is one to go back to.
fn back_link(lang: Lang, back: Option<&str>) -> String {
    back.map(|b| {
        format!(
            "<p><a id=\"back\" href=\"{}\">{}</a></p>",
            esc(b),
            esc(tables().t(lang, "payment.sandbox.back"))
        )
    })
    .unwrap_or_default()
}

/// The payer's language: the language the owner chose on our pages (the `lang`
/// cookie) wins, as the checkout continues those pages; then Accept-Language.
fn lang_of(headers: &HeaderMap) -> Lang {
    let chosen = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == crate::extract::LANG_COOKIE).then_some(v)
        });
    if let Some(tag) = chosen {
        return Lang::from_tag(tag);
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or_default()
}

/// Submits the sandbox checkout page (`outcome` = `pay` or `fail`): the sandbox
/// playing the payment's provider signs its notice (the generic sandbox's
/// HMAC-SHA256 callback to `/api/v1/payments/callback`, WeChat Pay's APIv3 notice
/// to `/api/v1/payments/notify/wechat`, Alipay's RSA2 form to
/// `/api/v1/payments/notify/alipay`) and the server posts it through its own
/// router, exactly as a provider's request would arrive; the page then shows what the callback answered. With a
/// `return` field (an owner's `/owner/track/{token}` page, carried from the checkout
/// URL's `?return=`), an accepted callback redirects (303) back there instead.
#[utoipa::path(post, path = "/sandbox-pay/{payment_ref}", tag = "payments", params(("payment_ref" = String, Path)), request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "outcome=pay|fail, optional return=/owner/track/{token}"), responses((status = 200, description = "HTML page", content_type = "text/html"), (status = 303, description = "Back to the owner's page"), (status = 400, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc), (status = 415, body = ProblemDoc)))]
pub async fn sandbox_submit(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(payment_ref): Path<String>,
    form: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> Result<Response, ApiError> {
    let lang = lang_of(&headers);
    // A body that is not a form gets the same problem document as any other API
    // refusal (415 for another media type, 400 for an unreadable form), not axum's
    // plain-text rejection.
    let Form(form) = form.map_err(|e| match e {
        axum::extract::rejection::FormRejection::InvalidFormContentType(_) => {
            ApiError::new(crate::error::Problem::UnsupportedMediaType, lang)
        }
        _ => ApiError::new(
            crate::error::Problem::BadBody(Violation::new("body", "body.type")),
            lang,
        ),
    })?;
    let pay = match form.get("outcome").map(String::as_str) {
        Some("pay") => true,
        Some("fail") => false,
        _ => {
            return Err(ApiError::app(
                AppError::Invalid(Violation::new("outcome", "payment.sandbox_outcome").into()),
                lang,
            ));
        }
    };
    // The notice in the shape of the provider the sandbox plays (generic, WeChat
    // Pay, Alipay), posted to that provider's route.
    let notice = app::billing::sandbox_notice(&s.app, &payment_ref, pay)
        .await
        .map_err(|e| ApiError::app(e, lang))?;
    let answer = deliver(&s, notice, lang).await?;
    let status = answer.status();
    let back = return_path(form.get("return"));
    if status.is_success()
        && let Some(b) = &back
    {
        // Like a real provider: back to the page the payer came from.
        return Ok(axum::response::Redirect::to(b).into_response());
    }
    let t = |k: &str| esc(tables().t(lang, k));
    let body = if status.is_success() {
        let key = if pay {
            "payment.sandbox.done_paid"
        } else {
            "payment.sandbox.done_failed"
        };
        format!("<p>{}</p>", t(key))
    } else {
        format!(
            "<p>{} ({})</p>{}",
            t("payment.sandbox.refused"),
            status.as_u16(),
            back_link(lang, back.as_deref()),
        )
    };
    let mut r = page(lang, &body).into_response();
    if !status.is_success() {
        *r.status_mut() = status;
    }
    Ok(r)
}

/// Posts a provider's notice to our own notice route through the router, exactly
/// as the provider's request would arrive, and gives back our answer.
async fn deliver(
    s: &AppState,
    notice: app::billing::provider::ProviderNotice,
    lang: Lang,
) -> Result<Response, ApiError> {
    use tower::ServiceExt;
    let mut req = axum::http::Request::builder()
        .method("POST")
        .uri(notice.path)
        .header(header::CONTENT_TYPE, notice.content_type);
    for (k, v) in &notice.headers {
        req = req.header(*k, v);
    }
    let req = req
        .body(Body::from(notice.body))
        .map_err(|e| ApiError::app(AppError::Internal(e.to_string()), lang))?;
    Ok(match crate::router(s.clone()).oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    })
}

/// The sandbox provider sends its notice for the order again, as WeChat Pay and
/// Alipay do until they get an answer (late, repeated): the payer's latest
/// transaction on the order, signed anew, posted to our notice route. Answers
/// with what our notice route answered the provider (`{"code":"SUCCESS"}`,
/// `success`, or the callback's outcome); our route must find it a duplicate.
/// Only where the settings turn a sandbox on (demo and tests); 404 when the payer
/// never reached the cashier.
#[utoipa::path(post, path = "/sandbox-pay/{payment_ref}/notice", tag = "payments", params(("payment_ref" = String, Path)), responses((status = 200, description = "What our notice route answered the provider"), (status = 404, body = ProblemDoc), (status = 409, body = ProblemDoc)))]
pub async fn sandbox_notice_again(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(payment_ref): Path<String>,
) -> Result<Response, ApiError> {
    let lang = lang_of(&headers);
    let notice = app::billing::sandbox_notice_again(&s.app, &payment_ref)
        .await
        .map_err(|e| ApiError::app(e, lang))?;
    deliver(&s, notice, lang).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn money_is_shown_in_yuan_with_grouping() {
        assert_eq!(yuan(62_150), "¥621.50");
        assert_eq!(yuan(123_456_789), "¥1,234,567.89");
        assert_eq!(yuan(5), "¥0.05");
    }

    #[test]
    fn only_owner_track_pages_are_return_paths() {
        let p = |s: &str| return_path(Some(&s.to_string()));
        assert_eq!(
            p("/owner/track/abc_DEF-09"),
            Some("/owner/track/abc_DEF-09".into())
        );
        for bad in [
            "https://evil.example/owner/track/x",
            "//evil.example",
            "/owner/track/",
            "/owner/track/x/../../console",
            "/owner/track/x?y=1",
            "/console",
            "/owner/track/x\"><script>",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
        assert_eq!(return_path(None), None);
    }

    #[test]
    fn the_chosen_language_wins_over_the_browser() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("en-US,en"),
        );
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; as_lang=zh-CN"),
        );
        assert_eq!(lang_of(&h), Lang::ZhCn);
        h.insert(header::COOKIE, HeaderValue::from_static("as_lang=en"));
        assert_eq!(lang_of(&h), Lang::En);
    }

    #[test]
    fn header_lang_is_used_for_pages() {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("en"));
        assert_eq!(lang_of(&h), Lang::En);
    }
}
