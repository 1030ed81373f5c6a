//! The sandboxes' API side: what WeChat Pay's APIv3 and Alipay's gateway answer,
//! played on our own server (`/sandbox-provider/…`) from the sandbox's own record
//! of what the payer did (`sandbox_transactions`). Our clients
//! ([`super::wechat_api`], [`super::alipay_api`]) call these routes over HTTP
//! exactly as they call the real providers: the requests are checked for our
//! merchant's signature, the answers signed with the sandbox platform's key.
//!
//! Only a provider configured as a sandbox answers here; a real account's routes
//! answer 404.

use super::alipay::ALIPAY;
use super::alipay_api::response_name;
use super::provider::ApiAnswer;
use super::wechat::WECHAT;
use crate::{App, AppError, AppResult, conn};
use domain::billing::notice::alipay_yuan;
use serde_json::{Value, json};
use store::billing::PaymentRow;
use store::billing::sandbox::SandboxTransaction;

/// Lets every sandbox provider of `app` answer at our own server's `base`
/// (`http://127.0.0.1:8080`), called once the server listens.
pub fn serve_sandboxes_at(app: &App, base: &str) {
    if let Some(w) = &app.settings.wechat {
        w.serve_sandbox_at(base);
    }
    if let Some(a) = &app.settings.alipay {
        a.serve_sandbox_at(base);
    }
}

/// The order `out_trade_no` of `provider` as the sandbox knows it: our payment
/// (the order it was asked to open) and the payer's latest transaction on it.
async fn order(
    app: &App,
    provider: &str,
    out_trade_no: &str,
) -> AppResult<Option<(PaymentRow, Option<SandboxTransaction>)>> {
    let mut c = conn(app).await?;
    let p = match store::billing::payment_by_ref(&mut c, out_trade_no).await {
        Ok(p) if p.provider.as_deref() == Some(provider) => p,
        Ok(_) | Err(store::StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let t = store::billing::sandbox::latest(&mut c, out_trade_no).await?;
    Ok(Some((p, t)))
}

/// WeChat Pay's APIv3 as the sandbox answers it: `method` and `path` (with its
/// query string, as signed), the `Authorization` header and the raw body.
pub async fn wechat_api(
    app: &App,
    method: &str,
    path: &str,
    authorization: &str,
    body: &str,
) -> AppResult<ApiAnswer> {
    let w = app
        .settings
        .wechat
        .as_ref()
        .filter(|w| w.is_sandbox())
        .ok_or(AppError::NotFound)?;
    let now = app.now_ms();
    let answer = |status: u16, body: Value| {
        let text = if status == 204 {
            String::new()
        } else {
            body.to_string()
        };
        w.sandbox_answer(status, text, now)
            .ok_or(AppError::NotFound)
    };
    let error = |status: u16, code: &str, message: &str| {
        answer(status, json!({"code": code, "message": message}))
    };
    if !w.sandbox_check(method, path, body, authorization, now) {
        return error(401, "SIGN_ERROR", "签名错误");
    }
    let (route, query) = path.split_once('?').unwrap_or((path, ""));
    let Some(rest) = route.strip_prefix("/v3/pay/transactions/out-trade-no/") else {
        return error(404, "NOT_FOUND", "无此接口");
    };
    let (no, close) = match rest.strip_suffix("/close") {
        Some(no) => (no, true),
        None => (rest, false),
    };
    let Some((p, t)) = order(app, WECHAT, no).await? else {
        return error(404, "ORDER_NOT_EXIST", "订单不存在");
    };
    let paid = t.as_ref().is_some_and(|t| t.status == "paid");
    match (method, close) {
        ("POST", true) => {
            let b: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            if b["mchid"] != w.mch_id.as_str() {
                return error(400, "PARAM_ERROR", "mchid");
            }
            if paid {
                return error(400, "ORDERPAID", "订单已支付");
            }
            answer(204, Value::Null)
        }
        ("GET", false) => {
            if query != format!("mchid={}", w.mch_id) {
                return error(400, "PARAM_ERROR", "mchid");
            }
            let tx = match t {
                Some(t) => w.sandbox_transaction(no, &t.provider_ref, t.amount_fen, paid),
                None => json!({
                    "appid": w.app_id, "mchid": w.mch_id, "out_trade_no": no,
                    "trade_state": if p.state == "closed" { "CLOSED" } else { "NOTPAY" },
                    "trade_state_desc": "订单未支付",
                    "amount": {"total": p.amount_fen, "currency": "CNY"},
                }),
            };
            answer(200, tx)
        }
        _ => error(404, "NOT_FOUND", "无此接口"),
    }
}

/// Alipay's gateway as the sandbox answers it: the posted form's parameters in,
/// the signed JSON answer out.
pub async fn alipay_gateway(app: &App, params: &[(String, String)]) -> AppResult<String> {
    let a = app
        .settings
        .alipay
        .as_ref()
        .filter(|a| a.is_sandbox())
        .ok_or(AppError::NotFound)?;
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let method = get("method");
    let signed = |r: Value| a.sandbox_answer(method, &r).ok_or(AppError::NotFound);
    let fail = |code: &str, sub: &str| {
        signed(json!({"code": code, "msg": "Business Failed", "sub_code": sub, "sub_msg": sub}))
    };
    if !a.sandbox_check(params) {
        return signed(
            json!({"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature", "sub_msg": "验签出错"}),
        );
    }
    let biz: Value = serde_json::from_str(get("biz_content")).unwrap_or(Value::Null);
    let no = biz["out_trade_no"].as_str().unwrap_or_default();
    let Some((_, t)) = order(app, ALIPAY, no).await? else {
        return fail("40004", "ACQ.TRADE_NOT_EXIST");
    };
    let paid = t.as_ref().filter(|t| t.status == "paid");
    match method {
        "alipay.trade.query" => match paid {
            Some(t) => signed(json!({
                "code": "10000", "msg": "Success", "out_trade_no": no,
                "trade_no": t.provider_ref, "trade_status": "TRADE_SUCCESS",
                "total_amount": alipay_yuan(t.amount_fen), "buyer_logon_id": "158****1562",
            })),
            // The payer never reached the cashier, or gave up there.
            None => fail("40004", "ACQ.TRADE_NOT_EXIST"),
        },
        "alipay.trade.close" => match paid {
            Some(_) => fail("40004", "ACQ.TRADE_STATUS_ERROR"),
            None => fail("40004", "ACQ.TRADE_NOT_EXIST"),
        },
        _ => signed(
            json!({"code": "40004", "msg": "Business Failed", "sub_code": "isv.invalid-method", "sub_msg": response_name(method)}),
        ),
    }
}
