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
use super::provider::{ApiAnswer, ProviderNotice};
use super::wechat::{WECHAT, WechatPay};
use crate::{App, AppError, AppResult, conn};
use domain::billing::notice::{alipay_amount, alipay_yuan};
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

/// What a sandbox API route answers, and what the provider does afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxReply {
    /// The signed answer to the request.
    pub answer: ApiAnswer,
    /// A notice the provider posts after answering (WeChat Pay's refund notice),
    /// with the full URL it goes to (our server's notice route).
    pub then: Option<(String, ProviderNotice)>,
}

impl From<ApiAnswer> for SandboxReply {
    fn from(answer: ApiAnswer) -> Self {
        SandboxReply { answer, then: None }
    }
}

/// The provider's refund id the sandbox gives our refund `refund_ref`: the same
/// every time it is asked, as a provider answers a repeated request with the same
/// refund.
pub(super) fn sandbox_refund_id(provider: &str, refund_ref: &str) -> String {
    let tail: String = refund_ref
        .bytes()
        .map(|b| char::from(b'0' + b % 10))
        .take(24)
        .collect();
    match provider {
        WECHAT => format!("50{tail}"),
        ALIPAY => format!("2088{tail}"),
        _ => format!("SBXR-{}", &refund_ref[..refund_ref.len().min(24)]),
    }
}

/// The sandbox's record of a refund: the one it made for `refund_ref` before, or
/// a new one of `amount_fen` (`Ok(true)` when this call made it).
async fn record_refund(
    app: &App,
    provider: &str,
    refund_ref: &str,
    amount_fen: i64,
) -> AppResult<(SandboxTransaction, bool)> {
    let mut c = conn(app).await?;
    if let Some(t) = store::billing::sandbox::refund_of(&mut c, provider, refund_ref).await? {
        return Ok((t, false));
    }
    let t = SandboxTransaction {
        payment_ref: refund_ref.into(),
        provider_ref: sandbox_refund_id(provider, refund_ref),
        amount_fen,
        status: "refunded".into(),
        at: app.now_ms(),
    };
    match store::billing::sandbox::insert_for(&mut c, provider, "refund", &t).await {
        Ok(()) => Ok((t, true)),
        // The same request twice at once: the other one made it.
        Err(store::StoreError::Duplicate(_)) => Ok((t, false)),
        Err(e) => Err(e.into()),
    }
}

/// WeChat Pay's refund request (`POST /v3/refund/domestic/refunds`) as its
/// sandbox answers it: a new refund is `PROCESSING` and its `REFUND.SUCCESS`
/// notice follows; the same `out_refund_no` again is answered with the refund
/// already made, now `SUCCESS`.
async fn wechat_refund(
    app: &App,
    w: &WechatPay,
    body: &str,
    now: i64,
) -> AppResult<Result<(Value, Option<Value>), (u16, &'static str, &'static str)>> {
    let b: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let no = b["out_trade_no"].as_str().unwrap_or_default();
    let refund_no = b["out_refund_no"].as_str().unwrap_or_default();
    let (refund, total) = (&b["amount"]["refund"], &b["amount"]["total"]);
    let (Some(refund), Some(total)) = (refund.as_i64(), total.as_i64()) else {
        return Ok(Err((400, "PARAM_ERROR", "amount")));
    };
    if refund_no.is_empty() || b["amount"]["currency"] != "CNY" {
        return Ok(Err((400, "PARAM_ERROR", "out_refund_no")));
    }
    let paid = match order(app, WECHAT, no).await? {
        Some((_, Some(t))) if t.status == "paid" => t,
        _ => return Ok(Err((404, "RESOURCE_NOT_EXISTS", "订单不存在"))),
    };
    if total != paid.amount_fen || refund <= 0 || refund > total {
        return Ok(Err((
            400,
            "INVALID_REQUEST",
            "订单金额或退款金额与之前请求不一致",
        )));
    }
    let (t, new) = record_refund(app, WECHAT, refund_no, refund).await?;
    if t.amount_fen != refund {
        return Ok(Err((400, "INVALID_REQUEST", "退款金额与之前请求不一致")));
    }
    let amount = json!({
        "total": total, "refund": refund, "payer_total": total, "payer_refund": refund,
        "settlement_refund": refund, "settlement_total": total, "discount_refund": 0,
        "currency": "CNY", "refund_fee": 0,
    });
    let answer = json!({
        "refund_id": t.provider_ref, "out_refund_no": refund_no,
        "transaction_id": paid.provider_ref, "out_trade_no": no,
        "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
        "create_time": jiff::Timestamp::from_millisecond(t.at).map(|x| x.to_string()).unwrap_or_default(),
        "status": if new { "PROCESSING" } else { "SUCCESS" },
        "funds_account": "AVAILABLE", "amount": amount,
    });
    let notice = new.then(|| {
        json!({
            "mchid": w.mch_id, "out_trade_no": no, "transaction_id": paid.provider_ref,
            "out_refund_no": refund_no, "refund_id": t.provider_ref,
            "refund_status": "SUCCESS",
            "success_time": jiff::Timestamp::from_millisecond(now).map(|x| x.to_string()).unwrap_or_default(),
            "user_received_account": "支付用户零钱",
            "amount": {"total": total, "refund": refund, "payer_total": total, "payer_refund": refund},
        })
    });
    Ok(Ok((answer, notice)))
}

/// WeChat Pay's APIv3 as the sandbox answers it: `method` and `path` (with its
/// query string, as signed), the `Authorization` header and the raw body.
pub async fn wechat_api(
    app: &App,
    method: &str,
    path: &str,
    authorization: &str,
    body: &str,
) -> AppResult<SandboxReply> {
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
        return error(401, "SIGN_ERROR", "签名错误").map(Into::into);
    }
    let (route, query) = path.split_once('?').unwrap_or((path, ""));
    if (method, route) == ("POST", "/v3/refund/domestic/refunds") {
        return match wechat_refund(app, w, body, now).await? {
            Err((status, code, message)) => error(status, code, message).map(Into::into),
            Ok((a, resource)) => Ok(SandboxReply {
                answer: answer(200, a)?,
                then: resource.and_then(|r| {
                    let n = w.sandbox_notice("REFUND.SUCCESS", &r, now)?;
                    Some((format!("{}{}", w.sandbox_server()?, n.path), n))
                }),
            }),
        };
    }
    if (method, route) == ("GET", "/v3/bill/tradebill") {
        let (status, a) = super::statement::wechat_bill_answer(app, w, query).await?;
        return answer(status, a).map(Into::into);
    }
    if (method, route) == ("GET", "/v3/billdownload/file") {
        // The file itself is not signed: its SHA1 came in the signed answer.
        return match super::statement::wechat_bill_file(app, w, query).await? {
            Some(text) => Ok(ApiAnswer {
                status: 200,
                content_type: "text/csv; charset=utf-8",
                headers: Vec::new(),
                body: text,
            }
            .into()),
            None => error(404, "NOT_FOUND", "token").map(Into::into),
        };
    }
    if (method, route) == ("POST", "/v3/pay/transactions/native") {
        let (status, a) = wechat_open(app, w, body).await?;
        return answer(status, a).map(Into::into);
    }
    if (method, route) == ("POST", "/v3/pay/transactions/jsapi") {
        let b: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        if b["payer"]["openid"].as_str().is_none_or(str::is_empty) {
            return error(400, "PARAM_ERROR", "payer.openid").map(Into::into);
        }
        let (status, mut a) = wechat_open(app, w, body).await?;
        if status == 200 {
            // The same order asked again gets the same prepay id.
            let no = b["out_trade_no"].as_str().unwrap_or_default();
            a = json!({"prepay_id": format!("wx{}", sandbox_refund_id(WECHAT, no))});
        }
        return answer(status, a).map(Into::into);
    }
    wechat_order_api(app, w, method, route, query, body)
        .await
        .map(Into::into)
}

/// Records on the sandbox's side that our order was opened or closed there.
async fn mark(app: &App, provider: &str, kind: &str, p: &PaymentRow) -> AppResult<()> {
    let mut c = conn(app).await?;
    store::billing::sandbox::mark_order(
        &mut c,
        provider,
        kind,
        &p.payment_ref,
        &format!("{kind}-{}", crate::shared::new_ref()),
        p.amount_fen,
        app.now_ms(),
    )
    .await?;
    Ok(())
}

/// Opens our order on the sandbox's side, unless the sandbox closed it: a closed
/// order is never opened again (the providers answer `ORDER_CLOSED` /
/// `ACQ.TRADE_HAS_CLOSE`). Asked again for an open order, it stays open.
async fn opened(app: &App, provider: &str, p: &PaymentRow) -> AppResult<bool> {
    let closed = {
        let mut c = conn(app).await?;
        store::billing::sandbox::closed(&mut c, provider, &p.payment_ref).await?
    };
    if closed {
        return Ok(false);
    }
    mark(app, provider, "open", p).await?;
    Ok(true)
}

/// The sandbox's cashier for order `no`: its checkout page on our own server.
fn cashier(server: Option<String>, no: &str) -> String {
    format!("{}/sandbox-pay/{no}", server.unwrap_or_default())
}

/// WeChat Pay's Native order (`POST /v3/pay/transactions/native`) as its sandbox
/// answers it: the order must be one we opened for this provider, for its amount,
/// to be notified at our notice route; the `code_url` is the sandbox's checkout.
async fn wechat_open(app: &App, w: &WechatPay, body: &str) -> AppResult<(u16, Value)> {
    let b: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let no = b["out_trade_no"].as_str().unwrap_or_default();
    let param = |m: &str| (400, json!({"code": "PARAM_ERROR", "message": m}));
    if b["appid"] != w.app_id.as_str() || b["mchid"] != w.mch_id.as_str() {
        return Ok(param("appid和mchid不匹配"));
    }
    if !b["notify_url"]
        .as_str()
        .is_some_and(|u| u.starts_with("http"))
    {
        return Ok(param("notify_url"));
    }
    if b["time_expire"].as_str().is_none_or(str::is_empty) {
        return Ok(param("time_expire"));
    }
    let Some((p, t)) = order(app, WECHAT, no).await? else {
        return Ok(param("out_trade_no"));
    };
    if b["amount"]["total"].as_i64() != Some(p.amount_fen) || b["amount"]["currency"] != "CNY" {
        return Ok((
            400,
            json!({"code": "INVALID_REQUEST", "message": "参数与首次请求时不一致"}),
        ));
    }
    if t.is_some_and(|t| t.status == "paid") {
        return Ok((400, json!({"code": "ORDERPAID", "message": "该订单已支付"})));
    }
    if !opened(app, WECHAT, &p).await? {
        return Ok((
            400,
            json!({"code": "ORDER_CLOSED", "message": "订单已关闭"}),
        ));
    }
    Ok((200, json!({"code_url": cashier(w.sandbox_server(), no)})))
}

/// The sandbox's answers about one order: query and close.
async fn wechat_order_api(
    app: &App,
    w: &WechatPay,
    method: &str,
    route: &str,
    query: &str,
    body: &str,
) -> AppResult<ApiAnswer> {
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
            mark(app, WECHAT, "close", &p).await?;
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
    if method == "alipay.data.dataservice.bill.downloadurl.query" {
        return signed(super::statement::alipay_bill_answer(app, a, &biz).await?);
    }
    let no = biz["out_trade_no"].as_str().unwrap_or_default();
    let Some((p, t)) = order(app, ALIPAY, no).await? else {
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
            None => {
                mark(app, ALIPAY, "close", &p).await?;
                signed(json!({"code": "10000", "msg": "Success", "out_trade_no": no}))
            }
        },
        "alipay.trade.precreate" => {
            let amount = biz["total_amount"].as_str().map(alipay_amount);
            if amount != Some(Ok(p.amount_fen)) {
                return fail("40004", "ACQ.TOTAL_FEE_EXCEED");
            }
            if !get("notify_url").starts_with("http") {
                return fail("40004", "isv.invalid-notify-url");
            }
            if paid.is_some() {
                return fail("40004", "ACQ.TRADE_HAS_SUCCESS");
            }
            if !opened(app, ALIPAY, &p).await? {
                return fail("40004", "ACQ.TRADE_HAS_CLOSE");
            }
            signed(json!({
                "code": "10000", "msg": "Success", "out_trade_no": no,
                "qr_code": cashier(a.sandbox_server(), no),
            }))
        }
        "alipay.trade.refund" => {
            let Some(t) = paid else {
                return fail("40004", "ACQ.TRADE_NOT_EXIST");
            };
            let request_no = biz["out_request_no"].as_str().unwrap_or_default();
            let amount = biz["refund_amount"].as_str().map(alipay_amount);
            let Some(Ok(refund)) = amount else {
                return fail("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL");
            };
            if request_no.is_empty() || refund <= 0 || refund > t.amount_fen {
                return fail("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL");
            }
            let (r, new) = record_refund(app, ALIPAY, request_no, refund).await?;
            if r.amount_fen != refund {
                return fail("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL");
            }
            signed(json!({
                "code": "10000", "msg": "Success", "trade_no": t.provider_ref,
                "out_trade_no": no, "buyer_logon_id": "158****1562",
                // Money moved by this request; a repeat moves none.
                "fund_change": if new { "Y" } else { "N" },
                "refund_fee": alipay_yuan(refund), "send_back_fee": alipay_yuan(refund),
                "gmt_refund_pay": jiff::Timestamp::from_millisecond(r.at).map(|x| x.to_string()).unwrap_or_default(),
            }))
        }
        _ => signed(
            json!({"code": "40004", "msg": "Business Failed", "sub_code": "isv.invalid-method", "sub_msg": response_name(method)}),
        ),
    }
}

/// Alipay's cashier for a phone or a computer (`alipay.trade.wap.pay`,
/// `alipay.trade.page.pay`), played by its sandbox: the payer's browser arrives
/// at the gateway with our signed request in the query; the sandbox checks the
/// signature, the order (ours, for its amount, the product code of the method,
/// a notify URL, not closed) and answers the path of its checkout page, carrying
/// the owner's page to go back to from `return_url`. A request it refuses is a
/// 409 naming what was wrong, as Alipay shows an error page.
pub async fn alipay_cashier(app: &App, params: &[(String, String)]) -> AppResult<String> {
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
    let refuse = |what: &str| {
        Err(AppError::Refused(
            domain::Violation::new("alipay", "payment.provider_refused")
                .with_detail(what)
                .into(),
        ))
    };
    if !a.sandbox_check(params) {
        return refuse("isv.invalid-signature");
    }
    let product = match get("method") {
        "alipay.trade.wap.pay" => "QUICK_WAP_WAY",
        "alipay.trade.page.pay" => "FAST_INSTANT_TRADE_PAY",
        _ => return refuse("isv.invalid-method"),
    };
    let biz: Value = serde_json::from_str(get("biz_content")).unwrap_or(Value::Null);
    if biz["product_code"] != product {
        return refuse("isv.invalid-product-code");
    }
    if !get("notify_url").starts_with("http") {
        return refuse("isv.invalid-notify-url");
    }
    let no = biz["out_trade_no"].as_str().unwrap_or_default();
    let Some((p, t)) = order(app, ALIPAY, no).await? else {
        return refuse("ACQ.TRADE_NOT_EXIST");
    };
    if biz["total_amount"].as_str().map(alipay_amount) != Some(Ok(p.amount_fen)) {
        return refuse("ACQ.TOTAL_FEE_EXCEED");
    }
    if t.is_some_and(|t| t.status == "paid") {
        return refuse("ACQ.TRADE_HAS_SUCCESS");
    }
    if !opened(app, ALIPAY, &p).await? {
        return refuse("ACQ.TRADE_HAS_CLOSE");
    }
    let mut to = format!("/sandbox-pay/{no}");
    // Back to the page the payer came from: its path, on our own server.
    let back = get("return_url");
    if let Some(i) = back.find("/owner/track/") {
        let path = &back[i..];
        if path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_".contains(&b))
        {
            to.push_str("?return=");
            to.push_str(path);
        }
    }
    Ok(to)
}

/// Posts a sandbox provider's notice to `url` over HTTP, as the provider would
/// after answering. A notice that does not get through is not sent again: the job
/// that asked finds the outcome by asking again.
pub async fn post_notice(url: String, n: ProviderNotice) {
    let mut req = reqwest::Client::new()
        .post(&url)
        .header(reqwest::header::CONTENT_TYPE, n.content_type)
        .timeout(std::time::Duration::from_secs(5))
        .body(n.body);
    for (k, v) in n.headers {
        req = req.header(k, v);
    }
    if let Err(e) = req.send().await {
        tracing::warn!(error = %e, url, "sandbox provider notice not delivered");
    }
}
