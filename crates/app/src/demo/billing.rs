//! The small demo's money, made through the billing use cases so the bill pages,
//! the payment notices and the reconciliation page are not empty: a bill of
//! yesterday paid online through the sandbox provider and last night's
//! reconciliation of yesterday (matched); and, once the server listens (the
//! providers' sandboxes answer on it), two bills of today paid online through
//! WeChat Pay and Alipay over HTTP — order API, checkout, signed notice posted
//! to our notice route twice, the second a duplicate — and a partial refund of
//! one line back through WeChat Pay, asked by the server's job worker. The
//! working day ([`super::day`]) leaves a bill unpaid.

use super::internal;
use crate::clock::ManualClock;
use crate::{App, AppResult, AppSettings};
use domain::permission::{Action, ActorKind, Grant, Principal, Unit};
use domain::role::Role;
use jiff::Timestamp;
use jiff::civil::Time;
use serde::Serialize;
use std::sync::Arc;
use store::Db;

/// The demo's bills made before the server listens, paid once it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoBills {
    /// The order whose bill yesterday's online payment paid.
    pub yesterday_order: i64,
    /// The order of today paid through WeChat Pay (and partly refunded).
    pub wechat_order: i64,
    /// The order of today paid through Alipay.
    pub alipay_order: i64,
    /// Lines of last night's reconciliation that matched.
    pub matched_last_night: i64,
}

/// What paying today's bills did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaidOnline {
    /// Bills paid online today.
    pub paid: usize,
    /// Notices posted (each twice).
    pub notices: usize,
    /// Refunds asked of a provider.
    pub refunds: usize,
}

fn head_office(action: Action) -> AppResult<Grant> {
    Principal {
        kind: ActorKind::Person,
        id: 0,
        name: "demo".into(),
        role: Role::Administrator,
        unit: Unit::HeadOffice,
    }
    .grant(action)
    .map_err(internal)
}

/// Yesterday's side and today's bills, before the server listens (no provider
/// API is reachable yet): three orders delivered (yesterday, and twice today),
/// yesterday's bill paid online through the sandbox provider's checkout and
/// signed callback, and last night's reconciliation of yesterday run. Meant for
/// a small demo whose working day was just filled.
pub async fn before_serving(
    db: &Db,
    settings: AppSettings,
    seed: u64,
    now: Timestamp,
) -> AppResult<DemoBills> {
    let clock = Arc::new(ManualClock::new(now));
    let app = App::new(db.clone(), clock.clone(), settings);
    let zone = crate::appointment::zone_of(&app, 1).await?;
    let today = now.to_zoned(zone.clone()).date();
    let yesterday = today.yesterday().map_err(internal)?;
    let local = |d: jiff::civil::Date, h: i8| -> AppResult<Timestamp> {
        Ok(d.to_datetime(Time::constant(h, 0, 0, 0))
            .to_zoned(zone.clone())
            .map_err(internal)?
            .timestamp())
    };
    let hours_ago = |h: i64| Timestamp::from_millisecond(now.as_millisecond() - h * 3_600_000);
    let opened = [
        local(yesterday, 10)?,
        hours_ago(5).map_err(internal)?,
        hours_ago(4).map_err(internal)?,
    ];
    let ids = super::day::delivered_orders(db, &app, &clock, seed, &opened).await?;
    let [yesterday_order, wechat_order, alipay_order] = ids[..] else {
        return Err(internal("three demo orders"));
    };
    // Yesterday afternoon the owner paid online through the sandbox provider.
    clock.set(local(yesterday, 14)?);
    let g = head_office(Action::BillingWrite)?;
    let started = crate::billing::start_online(
        &app,
        &g,
        yesterday_order,
        Some(crate::billing::provider::SANDBOX),
    )
    .await?;
    let signed = crate::billing::sandbox_submit(&app, &started.payment_ref, true).await?;
    crate::billing::callback(&app, &signed.signature, &signed.body, Some("sandbox")).await?;
    // Last night at two the reconciliation ran for yesterday.
    clock.set(local(today, 2)?);
    let a = &app;
    let runs = crate::transaction::run(&app, "demo.reconcile", move |mut tx| async move {
        let runs = crate::billing::nightly::run(a, &mut tx, yesterday).await?;
        Ok((tx, runs))
    })
    .await?;
    Ok(DemoBills {
        yesterday_order,
        wechat_order,
        alipay_order,
        matched_last_night: runs.iter().map(|r| r.matched).sum(),
    })
}

/// Pays today's bills once the server listens at `base` (`http://127.0.0.1:8080`),
/// on the server's own application: WeChat Pay's and Alipay's orders opened over
/// their APIs, paid at their sandboxes' checkouts, the signed notices posted to
/// our notice routes over HTTP twice (the second is kept as a duplicate), and one
/// line of the WeChat Pay bill refunded back through WeChat Pay (the server's job
/// worker asks it; its refund notice settles it).
pub async fn once_serving(app: &App, base: &str, bills: &DemoBills) -> AppResult<PaidOnline> {
    let http = reqwest::Client::new();
    let g = head_office(Action::BillingWrite)?;
    let mut done = PaidOnline {
        paid: 0,
        notices: 0,
        refunds: 0,
    };
    for (order, provider) in [
        (bills.wechat_order, crate::billing::wechat::WECHAT),
        (bills.alipay_order, crate::billing::alipay::ALIPAY),
    ] {
        let started = crate::billing::start_online(app, &g, order, Some(provider)).await?;
        let n = crate::billing::sandbox_notice(app, &started.payment_ref, true).await?;
        for _ in 0..2 {
            let mut req = http
                .post(format!("{base}{}", n.path))
                .header(reqwest::header::CONTENT_TYPE, n.content_type)
                .body(n.body.clone());
            for (k, v) in &n.headers {
                req = req.header(*k, v);
            }
            req.send().await.map_err(internal)?;
            done.notices += 1;
        }
        done.paid += 1;
    }
    let bill =
        crate::billing::view(app, &head_office(Action::BillingRead)?, bills.wechat_order).await?;
    let line = bill.bill.lines.get(0).cloned().unwrap_or_default();
    let line_no = line["line_no"].as_i64().unwrap_or(1);
    let input = crate::billing::RefundInput {
        lines: vec![crate::billing::RefundLineInput {
            line_no: line_no.into(),
            amount_fen: 1000.into(),
        }],
        method: "provider".into(),
        reason: "洗车未做，退还该项费用".into(),
        ..Default::default()
    };
    crate::billing::refund(
        app,
        &head_office(crate::billing::REFUND)?,
        bills.wechat_order,
        &input,
    )
    .await?;
    done.refunds += 1;
    Ok(done)
}
