//! Bills and payments (at the desk, online with signed callbacks) and the rating at the
//! desk, on SQLite, and on
//! PostgreSQL when `TEST_DATABASE_URL` is set (a fresh database per test, dropped at
//! the end).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::AppError;
use app::billing::DeskPaymentInput;
use app::billing::provider::{Callback, SANDBOX, Sandbox};
use app::rating::RatingInput;
use app::repair_order::WalkInInput;
use domain::permission::Action;
use serde_json::json;

use crate::common;
use crate::desk;
use common::{Env, at};
use desk::*;

on_both_backends!(
    bill_desk_payment_and_rating,
    online_payment_signed_callbacks,
);

async fn bill_desk_payment_and_rating(env: &Env) {
    use app::billing;
    let fx = fixture(env).await;
    // Not billable before delivery.
    let open = app::repair_order::open_walk_in(
        &env.app,
        &grant(Action::RepairOrderWrite),
        &WalkInInput {
            // Tests may leave an earlier order of the car open.
            second_order_reason: Some("test: another order of the car may be open".into()),
            station_id: fx.station,
            vehicle_id: fx.vehicle,
            vin: None,
            concern: "异响".into(),
            concern_code: None,
            service_type: None,
        },
    )
    .await
    .unwrap();
    let e = billing::issue(&env.app, &grant(billing::WRITE), open)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "bill.not_delivered");
    let e = app::rating::rate_at_desk(
        &env.app,
        &grant(app::rating::WRITE),
        open,
        &RatingInput {
            stars: json!(5),
            comment: json!(null),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "rating.not_delivered");

    let ro = delivered_order(env, &fx).await;
    // Delivery issued the bill in its own transaction.
    let b = billing::view(&env.app, &grant(billing::READ), ro)
        .await
        .unwrap();
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let (issued_events, delivered_at): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM events WHERE entity = 'repair_order' AND entity_id = $1 AND kind = 'bill_issued'), \
         (SELECT delivered_at FROM repair_orders WHERE id = $1)",
    )
    .bind(ro)
    .fetch_one(&mut *c)
    .await
    .unwrap();
    drop(c);
    assert_eq!(issued_events, 1);
    assert_eq!(b.bill.issued_at, delivered_at);
    assert_eq!(
        (b.bill.net_fen, b.bill.vat_fen, b.bill.gross_fen),
        (41_000, 5_330, 46_330)
    );
    assert_eq!(b.bill.state, "unpaid");
    assert_eq!(b.outstanding_fen, 46_330);
    assert_eq!(b.bill.lines.as_array().unwrap().len(), 2);
    assert_eq!(b.bill.lines[1]["amount_fen"], 36_000);
    // Issuing (again) gives the same bill.
    let again = billing::issue(&env.app, &grant(billing::WRITE), ro)
        .await
        .unwrap();
    assert_eq!(again.bill.id, b.bill.id);
    // Another station cannot see it.
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let region_b = store::network::insert_region(&mut c, "WEST", "西部", "West")
        .await
        .unwrap();
    drop(c);
    let outsider = other_station(app::billing::WRITE, fx.station + 1000, region_b);
    assert!(matches!(
        billing::pay_at_desk(
            &env.app,
            &outsider,
            ro,
            &DeskPaymentInput {
                method: json!("cash"),
                reference: json!(null),
                amount_fen: json!(46_330),
            }
        )
        .await
        .unwrap_err(),
        AppError::NotFound
    ));

    // Bad desk input: unknown method, card without reference, wrong amount.
    let pay = |method: &str, reference: serde_json::Value, amount: i64| DeskPaymentInput {
        method: json!(method),
        reference,
        amount_fen: json!(amount),
    };
    let e = billing::pay_at_desk(
        &env.app,
        &grant(billing::WRITE),
        ro,
        &pay("cheque", json!("1"), 46_330),
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "payment.method");
    let e = billing::pay_at_desk(
        &env.app,
        &grant(billing::WRITE),
        ro,
        &pay("card", json!(null), 46_330),
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "required");
    let e = billing::pay_at_desk(
        &env.app,
        &grant(billing::WRITE),
        ro,
        &pay("wechat", json!("WX1"), 46_000),
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "payment.amount_mismatch");
    assert!(matches!(
        billing::pay_at_desk(
            &env.app,
            &grant(billing::READ),
            ro,
            &pay("cash", json!(null), 46_330)
        )
        .await
        .unwrap_err(),
        AppError::Forbidden
    ));
    // A pending online payment is cancelled by the desk payment.
    let online = billing::start_online(&env.app, &grant(billing::WRITE), ro, None)
        .await
        .unwrap();
    let p = billing::pay_at_desk(
        &env.app,
        &grant(billing::WRITE),
        ro,
        &pay("wechat", json!("4200001234202611240001"), 46_330),
    )
    .await
    .unwrap();
    assert_eq!((p.state.as_str(), p.method.as_str()), ("paid", "wechat"));
    let b = billing::view(&env.app, &grant(billing::READ), ro)
        .await
        .unwrap();
    assert_eq!(
        (b.bill.state.as_str(), b.bill.paid_fen, b.outstanding_fen),
        ("paid", 46_330, 0)
    );
    assert_eq!(
        b.bill.paid_at,
        Some(at(2026, 11, 24, 13, 0).as_millisecond())
    );
    let cancelled = b
        .payments
        .iter()
        .find(|x| x.payment_ref == online.payment_ref)
        .unwrap();
    assert_eq!(cancelled.state, "cancelled");
    let e = billing::pay_at_desk(
        &env.app,
        &grant(billing::WRITE),
        ro,
        &pay("cash", json!(null), 1),
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "bill.paid");
    // The late callback for the cancelled online payment is real money: it is kept
    // as `paid_late`, the bill stays at its total, the excess is a refund to make.
    let cb = Callback {
        provider: SANDBOX.into(),
        payment_ref: online.payment_ref.clone(),
        provider_ref: "SBX-LATE".into(),
        amount_fen: online.amount_fen,
        status: "paid".into(),
    };
    let s = Sandbox::for_app(&env.app)
        .unwrap()
        .sign(&cb, env.app.now_ms())
        .unwrap();
    let out = billing::callback(&env.app, &s.signature, &s.body, None)
        .await
        .unwrap();
    assert_eq!((out.state.as_str(), out.changed), ("paid_late", true));
    let b = billing::view(&env.app, &grant(billing::READ), ro)
        .await
        .unwrap();
    assert_eq!((b.bill.paid_fen, b.bill.refund_fen), (46_330, 46_330));
    assert!(b.bill.needs_reconciliation);

    // Rating: range checked, once per order.
    let rate = |stars: serde_json::Value| RatingInput {
        stars,
        comment: json!("服务很好，准时交车"),
    };
    for bad in [json!(0), json!(6), json!("x")] {
        let e = app::rating::rate_at_desk(&env.app, &grant(app::rating::WRITE), ro, &rate(bad))
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Invalid(_)), "{e:?}");
    }
    let r = app::rating::rate_at_desk(&env.app, &grant(app::rating::WRITE), ro, &rate(json!(5)))
        .await
        .unwrap();
    assert_eq!((r.stars, r.channel.as_str()), (5, "desk"));
    let e = app::rating::rate_at_desk(&env.app, &grant(app::rating::WRITE), ro, &rate(json!(4)))
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "rating.once");
    let b = billing::view(&env.app, &grant(billing::READ), ro)
        .await
        .unwrap();
    assert_eq!(b.rating.unwrap().stars, 5);
    let log = events(env, "repair_order", ro).await;
    for kind in [
        "bill_issued",
        "payment_started",
        "payment_cancelled",
        "payment_recorded",
        "rated",
    ] {
        assert_eq!(
            log.iter().filter(|k| *k == kind).count(),
            1,
            "one {kind} event in {log:?}"
        );
    }
}

async fn online_payment_signed_callbacks(env: &Env) {
    use app::billing;
    let fx = fixture(env).await;
    let ro = delivered_order(env, &fx).await;
    billing::issue(&env.app, &grant(billing::WRITE), ro)
        .await
        .unwrap();
    // The owner pays from the transparent-workshop link.
    let token = app::repair_order::issue_owner_link(&env.app, &grant(Action::RepairOrderWrite), ro)
        .await
        .unwrap();
    let e = billing::owner_start_online(&env.app, &token, Some("paypal"))
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "payment.provider_unknown");
    let online = billing::owner_start_online(&env.app, &token, None)
        .await
        .unwrap();
    assert_eq!(online.amount_fen, 46_330);
    assert_eq!(
        online.pay_url,
        format!("/sandbox-pay/{}", online.payment_ref)
    );
    assert!(online.payment_ref.len() >= 32);
    let page = billing::sandbox_checkout(&env.app, &online.payment_ref)
        .await
        .unwrap();
    assert_eq!((page.amount_fen, page.state.as_str()), (46_330, "pending"));
    assert!(matches!(
        billing::sandbox_checkout(&env.app, "0123456789abcdef0123456789abcdef")
            .await
            .unwrap_err(),
        AppError::NotFound
    ));

    let sandbox = Sandbox::for_app(&env.app).unwrap();
    let now = env.app.now_ms();
    let cb = |amount: i64, provider_ref: &str| Callback {
        provider: SANDBOX.into(),
        payment_ref: online.payment_ref.clone(),
        provider_ref: provider_ref.into(),
        amount_fen: amount,
        status: "paid".into(),
    };
    // Forged: signed with a guessed secret.
    let forged = Sandbox::new(app::signing::KeyRing::random())
        .sign(&cb(46_330, "SBX-1"), now)
        .unwrap();
    let e = billing::callback(&env.app, &forged.signature, &forged.body, None)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "payment.signature_invalid");
    // Tampered body under a genuine signature.
    let genuine = sandbox.sign(&cb(46_330, "SBX-1"), now).unwrap();
    let tampered = genuine.body.replace("46330", "1");
    let e = billing::callback(&env.app, &genuine.signature, &tampered, None)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "payment.signature_invalid");
    // Stale: a genuine signature from 10 minutes ago (a replay).
    let stale = sandbox.sign(&cb(46_330, "SBX-1"), now - 600_000).unwrap();
    let e = billing::callback(&env.app, &stale.signature, &stale.body, None)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "payment.signature_stale");
    // Amount mismatch, correctly signed.
    let short = sandbox.sign(&cb(100, "SBX-1"), now).unwrap();
    let e = billing::callback(&env.app, &short.signature, &short.body, None)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "payment.amount_mismatch");
    let b = billing::owner_view(&env.app, &token).await.unwrap();
    assert_eq!((b.bill.state.as_str(), b.bill.paid_fen), ("unpaid", 0));
    assert_eq!(b.payments[0].state, "pending", "nothing changed");

    // The sandbox's own callback settles it exactly once.
    let signed = billing::sandbox_submit(&env.app, &online.payment_ref, true)
        .await
        .unwrap();
    let out = billing::callback(&env.app, &signed.signature, &signed.body, None)
        .await
        .unwrap();
    assert_eq!((out.state.as_str(), out.changed), ("paid", true));
    let again = billing::callback(&env.app, &signed.signature, &signed.body, None)
        .await
        .unwrap();
    assert_eq!((again.state.as_str(), again.changed), ("paid", false));
    // A different provider reference for the settled payment is money taken twice:
    // kept as a payment of its own, a refund to make, never dropped.
    let other = sandbox.sign(&cb(46_330, "SBX-OTHER"), now).unwrap();
    let out = billing::callback(&env.app, &other.signature, &other.body, None)
        .await
        .unwrap();
    assert_eq!((out.state.as_str(), out.changed), ("paid_late", true));
    let b = billing::view(&env.app, &grant(billing::READ), ro)
        .await
        .unwrap();
    assert_eq!((b.bill.state.as_str(), b.bill.paid_fen), ("paid", 46_330));
    assert_eq!(
        (b.bill.refund_fen, b.bill.needs_reconciliation),
        (46_330, true)
    );
    assert_eq!(b.payments.len(), 2);
    assert_eq!(b.payments[1].provider_ref.as_deref(), Some("SBX-OTHER"));
    assert!(
        b.payments[0]
            .provider_ref
            .as_deref()
            .unwrap()
            .starts_with("SBX-")
    );
    let log = events(env, "repair_order", ro).await;
    assert_eq!(
        log.iter().filter(|k| *k == "payment_recorded").count(),
        1,
        "{log:?}"
    );
    // The sandbox will not sign for a closed payment; owner cannot start another.
    let e = billing::sandbox_submit(&env.app, &online.payment_ref, true)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "payment.not_pending");
    let e = billing::owner_start_online(&env.app, &token, None)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "bill.paid");

    // The owner rates from the link: once.
    let r = app::rating::rate_by_owner(
        &env.app,
        &token,
        &RatingInput {
            stars: json!(4),
            comment: json!("不错"),
        },
    )
    .await
    .unwrap();
    assert_eq!((r.stars, r.channel.as_str()), (4, "owner_page"));
    let e = app::rating::rate_by_owner(
        &env.app,
        &token,
        &RatingInput {
            stars: json!(5),
            comment: json!(null),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "rating.once");
    assert!(matches!(
        app::rating::rate_by_owner(
            &env.app,
            &"f".repeat(64),
            &RatingInput {
                stars: json!(5),
                comment: json!(null)
            }
        )
        .await
        .unwrap_err(),
        AppError::NotFound
    ));

    // The same concern again within 12 months is a free comeback: its bill is
    // issued paid, with nothing to pay online.
    let comeback = delivered_order(env, &fx).await;
    let b = billing::issue(&env.app, &grant(billing::WRITE), comeback)
        .await
        .unwrap();
    assert_eq!((b.bill.gross_fen, b.bill.state.as_str()), (0, "paid"));
    let e = billing::start_online(&env.app, &grant(billing::WRITE), comeback, None)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "bill.paid");

    // A failed sandbox payment on another order's bill.
    let ro2 = delivered_order_for(env, &fx, "空调不制冷").await;
    billing::issue(&env.app, &grant(billing::WRITE), ro2)
        .await
        .unwrap();
    let p2 = billing::start_online(&env.app, &grant(billing::WRITE), ro2, Some("sandbox"))
        .await
        .unwrap();
    let s = billing::sandbox_submit(&env.app, &p2.payment_ref, false)
        .await
        .unwrap();
    let out = billing::callback(&env.app, &s.signature, &s.body, None)
        .await
        .unwrap();
    assert_eq!((out.state.as_str(), out.changed), ("failed", true));
    let b = billing::view(&env.app, &grant(billing::READ), ro2)
        .await
        .unwrap();
    assert_eq!(
        (b.bill.state.as_str(), b.outstanding_fen),
        ("unpaid", 46_330)
    );
}
