//! Our requests to WeChat Pay's APIv3 — query an order, close it, refund it — and
//! the sandbox's side of the same requests.
//!
//! Every request carries `Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,
//! nonce_str=…,signature=…,timestamp=…,serial_no=…`: SHA256withRSA by our merchant
//! key over `METHOD\nPATH?QUERY\ntimestamp\nnonce\nbody\n`. Every answer is signed
//! by the platform exactly as a notice is (`Wechatpay-Serial`, `-Signature`,
//! `-Timestamp`, `-Nonce` over `timestamp\nnonce\nbody\n`) and is only believed
//! when that signature checks ([`WechatPay::verify`]).
//!
//! The base URL is `wechat_api_base` (WeChat Pay's own by default). The sandbox
//! answers at `/sandbox-provider/wechat` on our own server
//! ([`super::provider_sandbox`]), so the client below runs the same way in tests,
//! in the demo and in production.

use super::provider::{ApiAnswer, ApiError, Callback, Opened, OrderAnswer, RefundAnswer};
use super::wechat::{MAX_AGE_S, WECHAT, WechatPay};
use crate::signing::rsa_keys;
use domain::billing::answer::{
    OrderAsked, RefundAnswered, RefundAsked, check_opened, check_refund,
};
use serde::Deserialize;
use std::time::Duration;

/// How long we wait for WeChat Pay to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The sandbox's routes, below our server's own address.
pub const SANDBOX_PREFIX: &str = "/sandbox-provider/wechat";

/// The scheme of the `Authorization` header.
pub const AUTH_SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";

#[derive(Deserialize)]
struct QueryTx {
    appid: String,
    mchid: String,
    out_trade_no: String,
    #[serde(default)]
    transaction_id: String,
    trade_state: String,
    #[serde(default)]
    amount: Option<QueryAmount>,
}

#[derive(Deserialize)]
struct QueryAmount {
    total: i64,
}

/// WeChat Pay's answer to a refund request (`/v3/refund/domestic/refunds`).
#[derive(Deserialize)]
struct RefundTx {
    refund_id: String,
    out_refund_no: String,
    out_trade_no: String,
    status: String,
    amount: RefundTxAmount,
}

#[derive(Deserialize)]
struct RefundTxAmount {
    total: i64,
    refund: i64,
    currency: String,
}

/// The refund error codes that will not change by asking again.
const REFUND_FINAL: [&str; 4] = [
    "INVALID_REQUEST",
    "PARAM_ERROR",
    "RESOURCE_NOT_EXISTS",
    "USER_ACCOUNT_ABNORMAL",
];

/// An order number we put in a URL path: our payment references are plain
/// letters and digits; anything else is refused rather than escaped.
fn path_safe(out_trade_no: &str) -> Result<&str, ApiError> {
    if !out_trade_no.is_empty() && out_trade_no.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(out_trade_no)
    } else {
        Err(ApiError::Refused(
            "out_trade_no: not letters and digits".into(),
        ))
    }
}

/// A time as WeChat Pay writes it: RFC 3339 in Beijing time
/// (`2026-12-05T10:34:56+08:00`).
pub fn rfc3339_beijing(ms: i64) -> Result<String, ApiError> {
    let bad = |e: jiff::Error| ApiError::Refused(e.to_string());
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").map_err(bad)?;
    Ok(jiff::Timestamp::from_millisecond(ms)
        .map_err(bad)?
        .to_zoned(tz)
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string())
}

/// The `k="v"` pairs of an `Authorization` header after its scheme.
fn auth_params(header: &str) -> Option<Vec<(&str, &str)>> {
    let rest = header.strip_prefix(AUTH_SCHEME)?.trim_start();
    rest.split(',')
        .map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            Some((k, v.strip_prefix('"')?.strip_suffix('"')?))
        })
        .collect()
}

/// A JSAPI order to open: ours, for the payer WeChat knows as `openid`.
#[derive(Debug, Clone, Copy)]
pub struct JsapiOrder<'a> {
    /// Our order number (`out_trade_no`, the payment reference).
    pub order_no: &'a str,
    /// What the payer sees on WeChat's cashier.
    pub description: &'a str,
    /// Amount, fen.
    pub amount_fen: i64,
    /// The order's `time_expire`, UTC ms.
    pub expire_ms: i64,
    /// The payer's `openid` for our app id.
    pub openid: &'a str,
}

/// What the payer's page hands to WeChat's JS bridge
/// (`WeixinJSBridge.invoke('getBrandWCPayRequest', …)`), field names as WeChat
/// wants them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsapiPay {
    /// Our app id.
    pub app_id: String,
    /// Seconds since the epoch, as text.
    pub time_stamp: String,
    /// A fresh nonce.
    pub nonce_str: String,
    /// `prepay_id=…` from the order.
    pub package: String,
    /// Always `RSA`.
    pub sign_type: &'static str,
    /// SHA256withRSA by our merchant key, base64.
    pub pay_sign: String,
}

impl WechatPay {
    /// Lets the sandbox's API answer at our own server's `base`
    /// (`http://127.0.0.1:8080`); a real account keeps its configured base.
    pub fn serve_sandbox_at(&self, base: &str) {
        if self.is_sandbox() {
            let base = base.trim_end_matches('/');
            let _ = self.api_base.set(format!("{base}{SANDBOX_PREFIX}"));
            let _ = self
                .notify_url
                .set(format!("{base}/api/v1/payments/notify/wechat"));
        }
    }

    /// Sandbox only: our own server's address, where the sandbox posts the
    /// notices it sends after answering (set by [`WechatPay::serve_sandbox_at`]).
    pub fn sandbox_server(&self) -> Option<String> {
        if !self.is_sandbox() {
            return None;
        }
        let base = self.api_base.get()?;
        Some(base.strip_suffix(SANDBOX_PREFIX)?.to_string())
    }

    /// The `Authorization` header of a request (`path` with its query string).
    pub fn authorization(
        &self,
        method: &str,
        path: &str,
        body: &str,
        ts_s: i64,
        nonce: &str,
    ) -> String {
        let (serial, key) = &self.merchant;
        let message = format!("{method}\n{path}\n{ts_s}\n{nonce}\n{body}\n");
        let signature = rsa_keys::sign(key, message.as_bytes());
        format!(
            "{AUTH_SCHEME} mchid=\"{}\",nonce_str=\"{nonce}\",signature=\"{signature}\",timestamp=\"{ts_s}\",serial_no=\"{serial}\"",
            self.mch_id
        )
    }

    /// Sends one signed request and answers its status and body once the
    /// platform's signature of the answer checks.
    pub(super) async fn call(
        &self,
        http: &reqwest::Client,
        method: reqwest::Method,
        path: &str,
        body: &str,
        now_ms: i64,
    ) -> Result<(u16, String), ApiError> {
        let base = self
            .api_base
            .get()
            .ok_or_else(|| ApiError::Unreachable("wechat_api_base not known yet".into()))?;
        let nonce = &crate::auth::new_secret()[..32];
        let auth = self.authorization(method.as_str(), path, body, now_ms / 1000, nonce);
        let mut req = http
            .request(method, format!("{base}{path}"))
            .header(reqwest::header::AUTHORIZATION, auth)
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::USER_AGENT, "aftersales")
            .timeout(TIMEOUT);
        if !body.is_empty() {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let r = req
            .send()
            .await
            .map_err(|e| ApiError::Unreachable(e.to_string()))?;
        let status = r.status().as_u16();
        let headers: Vec<(String, String)> = r
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let text = r
            .text()
            .await
            .map_err(|e| ApiError::Unreachable(e.to_string()))?;
        let h: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.verify(&h, &text, now_ms)
            .map_err(|e| ApiError::Unsigned(e.rule()))?;
        Ok((status, text))
    }

    /// Asks WeChat Pay about order `out_trade_no`
    /// (`GET /v3/pay/transactions/out-trade-no/{no}?mchid=…`).
    pub async fn query(
        &self,
        http: &reqwest::Client,
        out_trade_no: &str,
        now_ms: i64,
    ) -> Result<OrderAnswer, ApiError> {
        let no = path_safe(out_trade_no)?;
        let path = format!(
            "/v3/pay/transactions/out-trade-no/{no}?mchid={}",
            path_safe(&self.mch_id)?
        );
        let (status, body) = self
            .call(http, reqwest::Method::GET, &path, "", now_ms)
            .await?;
        match status {
            200 => {}
            404 => return Ok(OrderAnswer::Unpaid),
            s => return Err(ApiError::Refused(format!("{s}: {body}"))),
        }
        let t: QueryTx = serde_json::from_str(&body)
            .map_err(|_| ApiError::Refused(format!("an unreadable order: {body}")))?;
        if t.mchid != self.mch_id || t.appid != self.app_id || t.out_trade_no != no {
            return Err(ApiError::Refused(
                "another merchant's or order's answer".into(),
            ));
        }
        let status = match t.trade_state.as_str() {
            "SUCCESS" => "paid",
            "PAYERROR" => "failed",
            // NOTPAY, USERPAYING, CLOSED, REVOKED: no money taken.
            _ => return Ok(OrderAnswer::Unpaid),
        };
        let amount = t
            .amount
            .ok_or_else(|| ApiError::Refused("a settled order without its amount".into()))?;
        Ok(OrderAnswer::Settled(Callback {
            provider: WECHAT.into(),
            payment_ref: t.out_trade_no,
            provider_ref: t.transaction_id,
            amount_fen: amount.total,
            status: status.into(),
        }))
    }

    /// Closes order `out_trade_no` so no one can pay it any more
    /// (`POST /v3/pay/transactions/out-trade-no/{no}/close`, answered 204).
    pub async fn close(
        &self,
        http: &reqwest::Client,
        out_trade_no: &str,
        now_ms: i64,
    ) -> Result<(), ApiError> {
        let path = format!(
            "/v3/pay/transactions/out-trade-no/{}/close",
            path_safe(out_trade_no)?
        );
        let body = serde_json::json!({ "mchid": self.mch_id }).to_string();
        let (status, answer) = self
            .call(http, reqwest::Method::POST, &path, &body, now_ms)
            .await?;
        if status == 204 {
            Ok(())
        } else {
            Err(ApiError::Refused(format!("{status}: {answer}")))
        }
    }

    /// Opens a Native-pay order (`POST /v3/pay/transactions/native`) for
    /// `amount_fen` payable until `expire_ms` and answers its `code_url` (the QR
    /// code's link). Asking again for the same order with the same terms is
    /// answered with the same link, so a start that reuses the bill's open order
    /// asks again safely.
    pub async fn open_native(
        &self,
        order_no: &str,
        description: &str,
        amount_fen: i64,
        expire_ms: i64,
        now_ms: i64,
    ) -> Result<Opened, ApiError> {
        path_safe(order_no)?;
        let notify_url = self
            .notify_url
            .get()
            .ok_or_else(|| ApiError::Unreachable("wechat_notify_url not known yet".into()))?;
        let body = serde_json::json!({
            "appid": self.app_id,
            "mchid": self.mch_id,
            "description": description.chars().take(40).collect::<String>(),
            "out_trade_no": order_no,
            "time_expire": rfc3339_beijing(expire_ms)?,
            "notify_url": notify_url,
            "amount": {"total": amount_fen, "currency": "CNY"},
        })
        .to_string();
        let (status, answer) = self
            .call(
                &self.http,
                reqwest::Method::POST,
                "/v3/pay/transactions/native",
                &body,
                now_ms,
            )
            .await?;
        if status != 200 {
            return Err(ApiError::Refused(format!("{status}: {answer}")));
        }
        let v: serde_json::Value = serde_json::from_str(&answer)
            .map_err(|_| ApiError::Refused(format!("an unreadable answer: {answer}")))?;
        let code_url = v["code_url"].as_str().unwrap_or_default();
        check_opened(None, code_url, &OrderAsked { order_no })
            .map_err(|e| ApiError::Refused(format!("{}: {}", e.field, e.rule)))?;
        Ok(Opened {
            code_url: code_url.to_string(),
        })
    }

    /// Opens a JSAPI order (`POST /v3/pay/transactions/jsapi`) for the payer
    /// `openid` (WeChat's id of the payer for our app id), paid inside WeChat's
    /// browser, and answers what the page hands to WeChat's JS bridge
    /// (`getBrandWCPayRequest`), signed with our merchant key over
    /// `appId\ntimeStamp\nonceStr\npackage\n` as WeChat Pay requires. Asking
    /// again with the same terms is answered with the same `prepay_id`.
    pub async fn open_jsapi(
        &self,
        order: &JsapiOrder<'_>,
        now_ms: i64,
    ) -> Result<JsapiPay, ApiError> {
        path_safe(order.order_no)?;
        if order.openid.trim().is_empty() {
            return Err(ApiError::Refused("payer.openid".into()));
        }
        let notify_url = self
            .notify_url
            .get()
            .ok_or_else(|| ApiError::Unreachable("wechat_notify_url not known yet".into()))?;
        let body = serde_json::json!({
            "appid": self.app_id,
            "mchid": self.mch_id,
            "description": order.description.chars().take(40).collect::<String>(),
            "out_trade_no": order.order_no,
            "time_expire": rfc3339_beijing(order.expire_ms)?,
            "notify_url": notify_url,
            "amount": {"total": order.amount_fen, "currency": "CNY"},
            "payer": {"openid": order.openid},
        })
        .to_string();
        let (status, answer) = self
            .call(
                &self.http,
                reqwest::Method::POST,
                "/v3/pay/transactions/jsapi",
                &body,
                now_ms,
            )
            .await?;
        if status != 200 {
            return Err(ApiError::Refused(format!("{status}: {answer}")));
        }
        let v: serde_json::Value = serde_json::from_str(&answer)
            .map_err(|_| ApiError::Refused(format!("an unreadable answer: {answer}")))?;
        let prepay_id = v["prepay_id"].as_str().unwrap_or_default();
        if prepay_id.is_empty() || !prepay_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ApiError::Refused(format!("prepay_id: {answer}")));
        }
        let time_stamp = (now_ms / 1000).to_string();
        let nonce_str = crate::auth::new_secret()[..32].to_string();
        let package = format!("prepay_id={prepay_id}");
        let message = format!("{}\n{time_stamp}\n{nonce_str}\n{package}\n", self.app_id);
        Ok(JsapiPay {
            app_id: self.app_id.clone(),
            pay_sign: rsa_keys::sign(&self.merchant.1, message.as_bytes()),
            time_stamp,
            nonce_str,
            package,
            sign_type: "RSA",
        })
    }

    /// Asks WeChat Pay to give `asked.refund_fen` of order `asked.order_no` back to
    /// the payer (`POST /v3/refund/domestic/refunds`). Asking again with the same
    /// `out_refund_no` is answered with the same refund, so a job that asks twice
    /// refunds once. The answer is believed only once it names our order, refund
    /// and amounts ([`check_refund`]); `PROCESSING` is settled later by the refund
    /// notice.
    pub async fn refund(
        &self,
        http: &reqwest::Client,
        asked: &RefundAsked<'_>,
        reason: &str,
        now_ms: i64,
    ) -> Result<RefundAnswer, ApiError> {
        path_safe(asked.order_no)?;
        path_safe(asked.refund_no)?;
        let body = serde_json::json!({
            "out_trade_no": asked.order_no,
            "out_refund_no": asked.refund_no,
            // WeChat Pay takes at most 80 characters of reason.
            "reason": reason.chars().take(80).collect::<String>(),
            "amount": {"refund": asked.refund_fen, "total": asked.total_fen, "currency": "CNY"},
        })
        .to_string();
        let (status, answer) = self
            .call(
                http,
                reqwest::Method::POST,
                "/v3/refund/domestic/refunds",
                &body,
                now_ms,
            )
            .await?;
        if status != 200 {
            let code = serde_json::from_str::<serde_json::Value>(&answer)
                .ok()
                .and_then(|v| v["code"].as_str().map(str::to_string))
                .unwrap_or_default();
            return if status < 500 && REFUND_FINAL.contains(&code.as_str()) {
                Ok(RefundAnswer::Failed(code))
            } else {
                Err(ApiError::Refused(format!("{status}: {answer}")))
            };
        }
        let r: RefundTx = serde_json::from_str(&answer)
            .map_err(|_| ApiError::Refused(format!("an unreadable refund: {answer}")))?;
        let answered = RefundAnswered {
            order_no: r.out_trade_no,
            refund_no: r.out_refund_no,
            refund_fen: r.amount.refund,
            total_fen: Some(r.amount.total),
            currency: r.amount.currency,
        };
        check_refund(&answered, asked)
            .map_err(|v| ApiError::Refused(format!("{}: {}", v.field, v.rule)))?;
        Ok(match r.status.as_str() {
            "SUCCESS" => RefundAnswer::Succeeded(r.refund_id),
            "PROCESSING" => RefundAnswer::Processing(r.refund_id),
            // ABNORMAL, CLOSED: the money did not go back.
            other => RefundAnswer::Failed(other.to_string()),
        })
    }

    /// Sandbox: whether `authorization` is our merchant's fresh signature of the
    /// request, as WeChat Pay checks it (merchant, certificate serial, time, and
    /// the signature by the merchant key it holds the certificate of).
    pub fn sandbox_check(
        &self,
        method: &str,
        path: &str,
        body: &str,
        authorization: &str,
        now_ms: i64,
    ) -> bool {
        let Some(p) = auth_params(authorization) else {
            return false;
        };
        let get = |k: &str| p.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        let (Some(mchid), Some(nonce), Some(sig), Some(ts), Some(serial)) = (
            get("mchid"),
            get("nonce_str"),
            get("signature"),
            get("timestamp"),
            get("serial_no"),
        ) else {
            return false;
        };
        let Ok(ts_s) = ts.parse::<i64>() else {
            return false;
        };
        let (our_serial, key) = &self.merchant;
        mchid == self.mch_id
            && serial == our_serial
            && (now_ms / 1000 - ts_s).abs() <= MAX_AGE_S
            && rsa_keys::verify(
                &key.to_public_key(),
                format!("{method}\n{path}\n{ts}\n{nonce}\n{body}\n").as_bytes(),
                sig,
            )
    }

    /// Sandbox: an API answer signed by the platform as WeChat Pay signs it;
    /// `None` outside the sandbox.
    pub fn sandbox_answer(&self, status: u16, body: String, now_ms: i64) -> Option<ApiAnswer> {
        let (serial, key) = self.sandbox_platform()?;
        let ts = (now_ms / 1000).to_string();
        let nonce = crate::auth::new_secret()[..32].to_string();
        let signature = rsa_keys::sign(key, format!("{ts}\n{nonce}\n{body}\n").as_bytes());
        Some(ApiAnswer {
            status,
            content_type: "application/json",
            headers: vec![
                ("wechatpay-serial", serial.clone()),
                ("wechatpay-signature", signature),
                ("wechatpay-timestamp", ts),
                ("wechatpay-nonce", nonce),
            ],
            body,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_000_000_000;

    #[test]
    fn a_request_signature_checks_only_for_its_own_request_and_time() {
        let w = WechatPay::sandbox();
        let path = "/v3/pay/transactions/out-trade-no/abc?mchid=1900000109";
        let auth = w.authorization("GET", path, "", NOW / 1000, "n1");
        assert!(auth.starts_with("WECHATPAY2-SHA256-RSA2048 mchid=\"1900000109\""));
        assert!(w.sandbox_check("GET", path, "", &auth, NOW));
        assert!(!w.sandbox_check("POST", path, "", &auth, NOW));
        assert!(!w.sandbox_check("GET", "/v3/pay/other", "", &auth, NOW));
        assert!(!w.sandbox_check("GET", path, "{}", &auth, NOW));
        assert!(!w.sandbox_check("GET", path, "", &auth, NOW + (MAX_AGE_S + 1) * 1000));
        assert!(!w.sandbox_check("GET", path, "", "Bearer x", NOW));
        let forged = auth.replace("mchid=\"1900000109\"", "mchid=\"1\"");
        assert!(!w.sandbox_check("GET", path, "", &forged, NOW));
    }

    #[test]
    fn a_sandbox_answer_verifies_as_the_platforms() {
        let w = WechatPay::sandbox();
        let a = w.sandbox_answer(200, "{\"a\":1}".into(), NOW).unwrap();
        let h: Vec<(&str, &str)> = a.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert!(w.verify(&h, &a.body, NOW).is_ok());
        assert!(w.verify(&h, "{\"a\":2}", NOW).is_err());
    }

    #[test]
    fn order_numbers_outside_letters_and_digits_never_reach_a_path() {
        assert!(path_safe("abc123").is_ok());
        for bad in ["", "../x", "a/b", "a?b", "a b"] {
            assert!(path_safe(bad).is_err(), "{bad}");
        }
    }
}
