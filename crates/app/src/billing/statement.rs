//! Downloading the providers' daily statement files over HTTP, for the nightly
//! reconciliation ([`super::nightly`]), and the sandboxes' side of the same
//! downloads.
//!
//! - WeChat Pay: `GET /v3/bill/tradebill?bill_date=…&bill_type=ALL` (signed by our
//!   merchant key, answered signed by the platform) gives a `download_url` and the
//!   file's SHA1; the file is fetched from that URL (a signed request as well;
//!   the file itself is not signed) and believed only when its SHA1 matches.
//!   `NO_STATEMENT_EXIST` is a day without transactions.
//! - Alipay: `alipay.data.dataservice.bill.downloadurl.query` (signed both ways)
//!   gives a short-lived `bill_download_url`, fetched as is. Alipay's real file is
//!   a zip of GBK CSVs; the sandbox serves the trade CSV itself in UTF-8, and this
//!   build reads only that shape.
//!
//! The file is read by [`domain::billing::statement`] and kept with its lines
//! (`provider_statements`, `provider_statement_lines`) in a transaction of its
//! own, replacing an earlier download of the same day. The sandboxes answer at
//! our own server's `/sandbox-provider/…` routes from what they took and gave
//! back (`sandbox_transactions`).

use super::alipay::{ALIPAY, Alipay};
use super::provider::ApiError;
use super::reconciliation::bounds;
use super::wechat::{WECHAT, WechatPay};
use super::wechat_api::SANDBOX_PREFIX;
use crate::signing::rsa_keys;
use crate::{App, AppError, AppResult, conn};
use domain::billing::statement::{FileRow, StatementLine, read_alipay, read_wechat};
use jiff::civil::Date;
use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use store::billing::statement::NewLine;

/// The sandbox's Alipay bill download route, below our server's own address.
pub const ALIPAY_BILL_ROUTE: &str = "/sandbox-provider/alipay/bill";

fn sha1_hex(text: &str) -> String {
    hex::encode(Sha1::digest(text.as_bytes()))
}

impl WechatPay {
    /// Downloads the trade bill of `day` (`YYYY-MM-DD`, Beijing); `None` when
    /// WeChat Pay has no statement for the day (no transactions).
    pub async fn trade_bill(
        &self,
        http: &reqwest::Client,
        day: Date,
        now_ms: i64,
    ) -> Result<Option<String>, ApiError> {
        let path = format!("/v3/bill/tradebill?bill_date={day}&bill_type=ALL");
        let (status, body) = self
            .call(http, reqwest::Method::GET, &path, "", now_ms)
            .await?;
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        if status == 400 && v["code"] == "NO_STATEMENT_EXIST" {
            return Ok(None);
        }
        if status != 200 {
            return Err(ApiError::Refused(format!("{status}: {body}")));
        }
        let (Some(url), Some("SHA1"), Some(hash)) = (
            v["download_url"].as_str(),
            v["hash_type"].as_str(),
            v["hash_value"].as_str(),
        ) else {
            return Err(ApiError::Refused(format!(
                "an unreadable bill answer: {body}"
            )));
        };
        // Our signed request goes only to WeChat Pay's own API.
        let base = self
            .api_base
            .get()
            .ok_or_else(|| ApiError::Unreachable("wechat_api_base not known yet".into()))?;
        let file_path = url
            .strip_prefix(base.as_str())
            .filter(|p| p.starts_with('/'))
            .ok_or_else(|| ApiError::Refused("download_url: not WeChat Pay's API".into()))?;
        let nonce = &crate::auth::new_secret()[..32];
        let auth = self.authorization("GET", file_path, "", now_ms / 1000, nonce);
        let r = http
            .get(url)
            .header(reqwest::header::AUTHORIZATION, auth)
            .timeout(super::wechat_api::TIMEOUT)
            .send()
            .await
            .map_err(|e| ApiError::Unreachable(e.to_string()))?;
        if !r.status().is_success() {
            return Err(ApiError::Refused(format!("bill file: {}", r.status())));
        }
        let text = r
            .text()
            .await
            .map_err(|e| ApiError::Unreachable(e.to_string()))?;
        if !sha1_hex(&text).eq_ignore_ascii_case(hash) {
            return Err(ApiError::Unsigned("hash_value"));
        }
        Ok(Some(text))
    }
}

impl Alipay {
    /// Downloads the trade bill of `day`; `None` when Alipay has none for it.
    pub async fn trade_bill(
        &self,
        http: &reqwest::Client,
        day: Date,
        now_ms: i64,
    ) -> Result<Option<String>, ApiError> {
        let r = self
            .call(
                http,
                "alipay.data.dataservice.bill.downloadurl.query",
                json!({"bill_type": "trade", "bill_date": day.to_string()}),
                now_ms,
            )
            .await?;
        let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default();
        match (s("code"), s("sub_code")) {
            ("10000", _) => {}
            (_, "isp.bill_not_exist") => return Ok(None),
            (code, sub) => return Err(ApiError::Refused(format!("{code} {sub}"))),
        }
        let url = s("bill_download_url");
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(ApiError::Refused("bill_download_url".into()));
        }
        let resp = http
            .get(url)
            .timeout(super::alipay_api::TIMEOUT)
            .send()
            .await
            .map_err(|e| ApiError::Unreachable(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(ApiError::Refused(format!("bill file: {}", resp.status())));
        }
        resp.text()
            .await
            .map(Some)
            .map_err(|e| ApiError::Unreachable(e.to_string()))
    }

    /// Sandbox: the token of the download link for `day` (the platform key's
    /// signature of the day, hashed): only the gateway's answer carries it.
    fn sandbox_bill_token(&self, day: &str) -> Option<String> {
        let key = self.sandbox_platform()?;
        let sig = rsa_keys::sign(key, format!("alipay-bill:{day}").as_bytes());
        Some(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            sig.as_bytes(),
        )))
    }
}

/// Downloads the statement files of `day` of every provider with a statement
/// API (WeChat Pay, Alipay) and keeps them with their lines. Errors leave the
/// nightly job to be tried again.
pub async fn download(app: &App, http: &reqwest::Client, day: Date) -> AppResult<()> {
    let now = app.now_ms();
    let fail = |e: ApiError| AppError::Internal(e.to_string());
    let mut files: Vec<(&str, String, Vec<StatementLine>)> = Vec::new();
    if let Some(w) = &app.settings.wechat {
        let text = w.trade_bill(http, day, now).await.map_err(fail)?;
        let lines = match &text {
            Some(t) => read_wechat(t)
                .map_err(|v| AppError::Internal(format!("wechat bill {}: {}", v.field, v.rule)))?,
            None => Vec::new(),
        };
        files.push((WECHAT, text.unwrap_or_default(), lines));
    }
    if let Some(a) = &app.settings.alipay {
        let text = a.trade_bill(http, day, now).await.map_err(fail)?;
        let lines = match &text {
            Some(t) => read_alipay(t)
                .map_err(|v| AppError::Internal(format!("alipay bill {}: {}", v.field, v.rule)))?,
            None => Vec::new(),
        };
        files.push((ALIPAY, text.unwrap_or_default(), lines));
    }
    let files = &files;
    let d = day.to_string();
    let d = &d;
    crate::transaction::run(app, "billing.statement_save", move |mut tx| async move {
        for (code, text, lines) in files {
            let lines: Vec<NewLine> = lines
                .iter()
                .map(|l| NewLine {
                    provider_ref: l.provider_ref.clone(),
                    payment_ref: l.order_no.clone(),
                    amount_fen: l.amount_fen,
                })
                .collect();
            store::billing::statement::save(&mut tx, code, d, text, &lines, now).await?;
        }
        Ok((tx, ()))
    })
    .await
}

/// The sandbox's file rows of `provider` for `day`.
async fn file_rows(app: &App, provider: &str, day: Date) -> AppResult<Vec<FileRow>> {
    let (from, to) = bounds(day)?;
    let mut c = conn(app).await?;
    let tz =
        jiff::tz::TimeZone::get("Asia/Shanghai").map_err(|e| AppError::Internal(e.to_string()))?;
    let rows = store::billing::sandbox::file_between(&mut c, provider, from, to).await?;
    rows.into_iter()
        .map(|(t, refund)| {
            let at = jiff::Timestamp::from_millisecond(t.at)
                .map_err(|e| AppError::Internal(e.to_string()))?
                .to_zoned(tz.clone())
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string();
            Ok(FileRow {
                at,
                provider_ref: t.provider_ref,
                order_no: t.payment_ref,
                amount_fen: t.amount_fen,
                refund,
            })
        })
        .collect()
}

fn day_of(s: &str) -> Option<Date> {
    s.parse().ok()
}

/// WeChat Pay's sandbox, `GET /v3/bill/tradebill?…`: the signed answer's JSON
/// (status, body) naming the download URL and the file's SHA1.
pub(super) async fn wechat_bill_answer(
    app: &App,
    w: &WechatPay,
    query: &str,
) -> AppResult<(u16, Value)> {
    let params: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let Some(day) = get("bill_date").and_then(day_of) else {
        return Ok((400, json!({"code": "PARAM_ERROR", "message": "bill_date"})));
    };
    let rows = file_rows(app, WECHAT, day).await?;
    if rows.is_empty() {
        return Ok((
            400,
            json!({"code": "NO_STATEMENT_EXIST", "message": "账单不存在"}),
        ));
    }
    let text = domain::billing::statement::write_wechat(&w.app_id, &w.mch_id, &rows);
    let server = w.sandbox_server().unwrap_or_default();
    Ok((
        200,
        json!({
            "hash_type": "SHA1", "hash_value": sha1_hex(&text),
            "download_url": format!("{server}{SANDBOX_PREFIX}/v3/billdownload/file?token={day}"),
        }),
    ))
}

/// WeChat Pay's sandbox, `GET /v3/billdownload/file?token=…`: the file itself.
pub(super) async fn wechat_bill_file(
    app: &App,
    w: &WechatPay,
    query: &str,
) -> AppResult<Option<String>> {
    let day = query.strip_prefix("token=").and_then(day_of);
    let Some(day) = day else {
        return Ok(None);
    };
    let rows = file_rows(app, WECHAT, day).await?;
    Ok(Some(domain::billing::statement::write_wechat(
        &w.app_id, &w.mch_id, &rows,
    )))
}

/// Alipay's sandbox gateway, `alipay.data.dataservice.bill.downloadurl.query`:
/// the response object with the short download link.
pub(super) async fn alipay_bill_answer(app: &App, a: &Alipay, biz: &Value) -> AppResult<Value> {
    let day = biz["bill_date"].as_str().and_then(day_of);
    let fail = |sub: &str| json!({"code": "40004", "msg": "Business Failed", "sub_code": sub, "sub_msg": sub});
    let (Some(day), Some("trade")) = (day, biz["bill_type"].as_str()) else {
        return Ok(fail("isv.invalid-parameter"));
    };
    if file_rows(app, ALIPAY, day).await?.is_empty() {
        return Ok(fail("isp.bill_not_exist"));
    }
    let (Some(server), Some(token)) = (a.sandbox_server(), a.sandbox_bill_token(&day.to_string()))
    else {
        return Err(AppError::NotFound);
    };
    Ok(json!({
        "code": "10000", "msg": "Success",
        "bill_download_url": format!("{server}{ALIPAY_BILL_ROUTE}?day={day}&token={token}"),
    }))
}

/// Alipay's sandbox bill download (`GET /sandbox-provider/alipay/bill`): the file
/// of `day` for the link's `token`; any other token is not found.
pub async fn alipay_bill_file(app: &App, day: &str, token: &str) -> AppResult<String> {
    let a = app
        .settings
        .alipay
        .as_ref()
        .filter(|a| a.is_sandbox())
        .ok_or(AppError::NotFound)?;
    let d = day_of(day).ok_or(AppError::NotFound)?;
    if a.sandbox_bill_token(day).as_deref() != Some(token) {
        return Err(AppError::NotFound);
    }
    let rows = file_rows(app, ALIPAY, d).await?;
    Ok(domain::billing::statement::write_alipay(
        &a.seller_id,
        day,
        &rows,
    ))
}
