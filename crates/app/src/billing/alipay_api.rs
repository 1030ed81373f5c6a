//! Our requests to Alipay's gateway — `alipay.trade.query`, `alipay.trade.close`,
//! `alipay.trade.refund` — and the sandbox's side of the same requests.
//!
//! A request is a form posted to the gateway: `app_id`, `method`, `format=JSON`,
//! `charset=utf-8`, `sign_type=RSA2`, `timestamp` (Beijing time), `version=1.0`,
//! `biz_content` (JSON) and `sign`, SHA256withRSA by our app key over the other
//! parameters sorted by name ([`super::alipay::signing_content`]). The answer is
//! `{"<method>_response": {…}, "sign": "…"}` where `sign` is the platform key's
//! signature of the response object's exact text; it is only believed when that
//! checks. Amounts are yuan with two decimals and read to fen exactly.
//!
//! The gateway is `alipay_gateway` (Alipay's own by default); the sandbox answers
//! at `/sandbox-provider/alipay/gateway.do` on our own server
//! ([`super::provider_sandbox`]), so the same client runs in tests, the demo and
//! production.

use super::alipay::{ALIPAY, Alipay, signing_content};
use super::provider::{ApiError, Callback, Opened, OrderAnswer, RefundAnswer};
use crate::signing::rsa_keys;
use domain::billing::answer::{
    OrderAsked, RefundAnswered, RefundAsked, check_opened, check_refund,
};
use domain::billing::channel::OrderShape;
use domain::billing::notice::{CURRENCY, alipay_amount, alipay_yuan};
use serde_json::Value;
use std::time::Duration;

/// How long we wait for Alipay to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The sandbox's gateway route, below our server's own address.
pub const SANDBOX_GATEWAY: &str = "/sandbox-provider/alipay/gateway.do";

/// The name of the answer object of `method` (`alipay.trade.query` →
/// `alipay_trade_query_response`).
pub fn response_name(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

/// The exact text of the answer object `name` and the answer's `sign`, cut from
/// the raw answer as Alipay's own SDKs do (the signature is over those bytes).
fn signed_part<'a>(raw: &'a str, name: &str) -> Option<(&'a str, String)> {
    let key = format!("\"{name}\":");
    let start = raw.find(&key)? + key.len();
    let end = raw.rfind(",\"sign\":")?;
    let part = raw.get(start..end)?.trim();
    let v: Value = serde_json::from_str(raw).ok()?;
    Some((part, v.get("sign")?.as_str()?.to_string()))
}

fn beijing(now_ms: i64) -> Option<String> {
    Some(
        jiff::Timestamp::from_millisecond(now_ms)
            .ok()?
            .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").ok()?)
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string(),
    )
}

impl Alipay {
    /// Lets the sandbox's gateway answer at our own server's `base`
    /// (`http://127.0.0.1:8080`); a real account keeps its configured gateway.
    pub fn serve_sandbox_at(&self, base: &str) {
        if self.is_sandbox() {
            let base = base.trim_end_matches('/');
            let _ = self.gateway.set(format!("{base}{SANDBOX_GATEWAY}"));
            let _ = self
                .notify_url
                .set(format!("{base}/api/v1/payments/notify/alipay"));
        }
    }

    /// Sandbox only: our own server's address, where its cashier page is.
    pub fn sandbox_server(&self) -> Option<String> {
        if !self.is_sandbox() {
            return None;
        }
        Some(
            self.gateway
                .get()?
                .strip_suffix(SANDBOX_GATEWAY)?
                .to_string(),
        )
    }

    /// The signed parameters of a gateway request.
    pub fn request(&self, method: &str, biz: &Value, now_ms: i64) -> Vec<(String, String)> {
        self.request_notified(method, biz, None, now_ms)
    }

    /// The signed parameters of a gateway request whose outcome Alipay notifies
    /// to `notify_url`.
    fn request_notified(
        &self,
        method: &str,
        biz: &Value,
        notify_url: Option<&str>,
        now_ms: i64,
    ) -> Vec<(String, String)> {
        let extra: Vec<(&str, &str)> = notify_url.map(|u| ("notify_url", u)).into_iter().collect();
        self.request_with(method, biz, &extra, now_ms)
    }

    /// The signed parameters of a gateway request with further common
    /// parameters (`notify_url`, `return_url`), all covered by the signature.
    fn request_with(
        &self,
        method: &str,
        biz: &Value,
        extra: &[(&str, &str)],
        now_ms: i64,
    ) -> Vec<(String, String)> {
        let mut params: Vec<(String, String)> = [
            ("app_id", self.app_id.clone()),
            ("method", method.to_string()),
            ("format", "JSON".into()),
            ("charset", "utf-8".into()),
            ("sign_type", "RSA2".into()),
            ("timestamp", beijing(now_ms).unwrap_or_default()),
            ("version", "1.0".into()),
            ("biz_content", biz.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for (k, v) in extra {
            params.push(((*k).to_string(), (*v).to_string()));
        }
        let sign = rsa_keys::sign(&self.app_key, signing_content(&params).as_bytes());
        params.push(("sign".into(), sign));
        params
    }

    /// Posts one signed request and answers the response object once the
    /// platform's signature of it checks.
    pub(super) async fn call(
        &self,
        http: &reqwest::Client,
        method: &str,
        biz: Value,
        now_ms: i64,
    ) -> Result<Value, ApiError> {
        self.call_notified(http, method, biz, None, now_ms).await
    }

    /// [`Alipay::call`] with the `notify_url` Alipay posts the outcome to.
    async fn call_notified(
        &self,
        http: &reqwest::Client,
        method: &str,
        biz: Value,
        notify_url: Option<&str>,
        now_ms: i64,
    ) -> Result<Value, ApiError> {
        let gateway = self
            .gateway
            .get()
            .ok_or_else(|| ApiError::Unreachable("alipay_gateway not known yet".into()))?;
        let params = self.request_notified(method, &biz, notify_url, now_ms);
        let form =
            serde_urlencoded::to_string(params).map_err(|e| ApiError::Refused(e.to_string()))?;
        let raw = http
            .post(gateway)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded;charset=utf-8",
            )
            .body(form)
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| ApiError::Unreachable(e.to_string()))?
            .text()
            .await
            .map_err(|e| ApiError::Unreachable(e.to_string()))?;
        let (part, sign) =
            signed_part(&raw, &response_name(method)).ok_or(ApiError::Unsigned("sign"))?;
        if !self.platform_signed(part, &sign) {
            return Err(ApiError::Unsigned("sign"));
        }
        serde_json::from_str(part).map_err(|_| ApiError::Refused(format!("unreadable: {raw}")))
    }

    /// Asks Alipay about order `out_trade_no` (`alipay.trade.query`).
    pub async fn query(
        &self,
        http: &reqwest::Client,
        out_trade_no: &str,
        now_ms: i64,
    ) -> Result<OrderAnswer, ApiError> {
        let r = self
            .call(
                http,
                "alipay.trade.query",
                serde_json::json!({ "out_trade_no": out_trade_no }),
                now_ms,
            )
            .await?;
        let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default();
        match (s("code"), s("sub_code")) {
            ("10000", _) => {}
            // The payer never opened the cashier: Alipay has no such trade.
            (_, "ACQ.TRADE_NOT_EXIST") => return Ok(OrderAnswer::Unpaid),
            (code, sub) => return Err(ApiError::Refused(format!("{code} {sub}"))),
        }
        if s("out_trade_no") != out_trade_no {
            return Err(ApiError::Refused("another order's answer".into()));
        }
        match s("trade_status") {
            "TRADE_SUCCESS" | "TRADE_FINISHED" => {}
            // WAIT_BUYER_PAY, TRADE_CLOSED: no money taken.
            _ => return Ok(OrderAnswer::Unpaid),
        }
        let amount = alipay_amount(s("total_amount"))
            .map_err(|e| ApiError::Refused(format!("total_amount: {e}")))?;
        Ok(OrderAnswer::Settled(Callback {
            provider: ALIPAY.into(),
            payment_ref: out_trade_no.into(),
            provider_ref: s("trade_no").into(),
            amount_fen: amount,
            status: "paid".into(),
        }))
    }

    /// Closes order `out_trade_no` so no one can pay it any more
    /// (`alipay.trade.close`); a trade Alipay never opened needs no closing.
    pub async fn close(
        &self,
        http: &reqwest::Client,
        out_trade_no: &str,
        now_ms: i64,
    ) -> Result<(), ApiError> {
        let r = self
            .call(
                http,
                "alipay.trade.close",
                serde_json::json!({ "out_trade_no": out_trade_no }),
                now_ms,
            )
            .await?;
        let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default();
        match (s("code"), s("sub_code")) {
            ("10000", _) | (_, "ACQ.TRADE_NOT_EXIST") => Ok(()),
            (code, sub) => Err(ApiError::Refused(format!("{code} {sub}"))),
        }
    }

    /// Opens a QR-code order (`alipay.trade.precreate`) for `amount_fen` payable
    /// until `expire_ms` and answers its `qr_code` link. Alipay answers the same
    /// order asked again with the same terms with the same link.
    pub async fn precreate(
        &self,
        order_no: &str,
        subject: &str,
        amount_fen: i64,
        expire_ms: i64,
        now_ms: i64,
    ) -> Result<Opened, ApiError> {
        let notify_url = self
            .notify_url
            .get()
            .ok_or_else(|| ApiError::Unreachable("alipay_notify_url not known yet".into()))?;
        let expire = beijing(expire_ms).ok_or_else(|| ApiError::Refused("time_expire".into()))?;
        let r = self
            .call_notified(
                &self.http,
                "alipay.trade.precreate",
                serde_json::json!({
                    "out_trade_no": order_no,
                    "total_amount": alipay_yuan(amount_fen),
                    "subject": subject.chars().take(128).collect::<String>(),
                    "time_expire": expire,
                }),
                Some(notify_url),
                now_ms,
            )
            .await?;
        let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default();
        if s("code") != "10000" {
            return Err(ApiError::Refused(format!(
                "{} {}",
                s("code"),
                s("sub_code")
            )));
        }
        check_opened(
            Some(s("out_trade_no")),
            s("qr_code"),
            &OrderAsked { order_no },
        )
        .map_err(|e| ApiError::Refused(format!("{}: {}", e.field, e.rule)))?;
        Ok(Opened {
            code_url: s("qr_code").to_string(),
        })
    }

    /// The link that takes the payer's browser to Alipay's cashier for order
    /// `order_no` (`alipay.trade.wap.pay` on a phone, `alipay.trade.page.pay` on
    /// a computer): the gateway with the whole signed request in its query, as
    /// Alipay's own SDKs build it for a GET. Nothing is asked over the network:
    /// Alipay opens the trade when the browser arrives, checks our signature and
    /// afterwards sends the payer back to `return_url` and the notice to our
    /// `notify_url`. Any other shape is refused.
    #[allow(clippy::too_many_arguments)]
    pub fn page_pay(
        &self,
        shape: OrderShape,
        order_no: &str,
        subject: &str,
        amount_fen: i64,
        expire_ms: i64,
        return_url: Option<&str>,
        now_ms: i64,
    ) -> Result<Opened, ApiError> {
        let (method, product) = match shape {
            OrderShape::WapPay => ("alipay.trade.wap.pay", "QUICK_WAP_WAY"),
            OrderShape::PagePay => ("alipay.trade.page.pay", "FAST_INSTANT_TRADE_PAY"),
            other => return Err(ApiError::Refused(format!("shape {}", other.code()))),
        };
        let gateway = self
            .gateway
            .get()
            .ok_or_else(|| ApiError::Unreachable("alipay_gateway not known yet".into()))?;
        let notify_url = self
            .notify_url
            .get()
            .ok_or_else(|| ApiError::Unreachable("alipay_notify_url not known yet".into()))?;
        let expire = beijing(expire_ms).ok_or_else(|| ApiError::Refused("time_expire".into()))?;
        let biz = serde_json::json!({
            "out_trade_no": order_no,
            "total_amount": alipay_yuan(amount_fen),
            "subject": subject.chars().take(128).collect::<String>(),
            "product_code": product,
            "time_expire": expire,
        });
        let mut extra = vec![("notify_url", notify_url.as_str())];
        if let Some(r) = return_url {
            extra.push(("return_url", r));
        }
        let params = self.request_with(method, &biz, &extra, now_ms);
        let query =
            serde_urlencoded::to_string(params).map_err(|e| ApiError::Refused(e.to_string()))?;
        Ok(Opened {
            code_url: format!("{gateway}?{query}"),
        })
    }

    /// Asks Alipay to give `asked.refund_fen` of order `asked.order_no` back
    /// (`alipay.trade.refund`, `out_request_no` = our refund reference, so asking
    /// again refunds once). Alipay answers at once: the refund succeeded (this
    /// request's amount in `send_back_fee`, checked against ours with
    /// [`check_refund`]) or was refused with a business code.
    pub async fn refund(
        &self,
        http: &reqwest::Client,
        asked: &RefundAsked<'_>,
        reason: &str,
        now_ms: i64,
    ) -> Result<RefundAnswer, ApiError> {
        let r = self
            .call(
                http,
                "alipay.trade.refund",
                serde_json::json!({
                    "out_trade_no": asked.order_no,
                    "out_request_no": asked.refund_no,
                    "refund_amount": alipay_yuan(asked.refund_fen),
                    "refund_reason": reason.chars().take(256).collect::<String>(),
                }),
                now_ms,
            )
            .await?;
        let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default();
        match (s("code"), s("sub_code")) {
            ("10000", _) => {}
            // Asked of a trade Alipay never took money for, or more than it took:
            // asking again changes nothing.
            (
                "40004",
                sub @ ("ACQ.TRADE_NOT_EXIST"
                | "ACQ.TRADE_STATUS_ERROR"
                | "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
                | "ACQ.SELLER_BALANCE_NOT_ENOUGH_CLOSED"),
            ) => return Ok(RefundAnswer::Failed(sub.to_string())),
            (code, sub) => return Err(ApiError::Refused(format!("{code} {sub}"))),
        }
        let amount =
            |k: &str| alipay_amount(s(k)).map_err(|e| ApiError::Refused(format!("{k}: {e}")));
        let answered = RefundAnswered {
            order_no: s("out_trade_no").to_string(),
            refund_no: String::new(),
            refund_fen: amount("send_back_fee")?,
            total_fen: None,
            currency: CURRENCY.into(),
        };
        check_refund(&answered, asked)
            .map_err(|v| ApiError::Refused(format!("{}: {}", v.field, v.rule)))?;
        Ok(RefundAnswer::Succeeded(s("trade_no").to_string()))
    }

    /// Sandbox: whether a gateway request is signed by our app key and names our
    /// app, as Alipay checks it.
    pub fn sandbox_check(&self, params: &[(String, String)]) -> bool {
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let (Some(app_id), Some("RSA2"), Some(sign)) =
            (get("app_id"), get("sign_type"), get("sign"))
        else {
            return false;
        };
        app_id == self.app_id
            && rsa_keys::verify(
                &self.app_key.to_public_key(),
                signing_content(params).as_bytes(),
                sign,
            )
    }

    /// Sandbox: the gateway's answer to `method`, signed by the platform as
    /// Alipay signs it; `None` outside the sandbox.
    pub fn sandbox_answer(&self, method: &str, response: &Value) -> Option<String> {
        let key = self.sandbox_platform()?;
        let part = response.to_string();
        let sign = rsa_keys::sign(key, part.as_bytes());
        Some(format!(
            "{{\"{}\":{part},\"sign\":{}}}",
            response_name(method),
            Value::String(sign)
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_signed_by_our_app_key_and_answers_by_the_platform() {
        let a = Alipay::sandbox();
        let mut p = a.request(
            "alipay.trade.query",
            &serde_json::json!({"out_trade_no": "abc"}),
            1_764_000_000_000,
        );
        assert!(a.sandbox_check(&p));
        assert!(
            p.iter()
                .any(|(k, v)| k == "timestamp" && v == "2025-11-25 00:00:00")
        );
        for (k, v) in p.iter_mut() {
            if k == "biz_content" {
                *v = "{\"out_trade_no\":\"xyz\"}".into();
            }
        }
        assert!(!a.sandbox_check(&p), "a changed parameter breaks the sign");

        let answer = a
            .sandbox_answer(
                "alipay.trade.query",
                &serde_json::json!({"code": "10000", "total_amount": "1.00"}),
            )
            .unwrap();
        let (part, sign) = signed_part(&answer, "alipay_trade_query_response").unwrap();
        assert!(a.platform_signed(part, &sign));
        assert!(!a.platform_signed(&part.replace("1.00", "9.00"), &sign));
    }
}
