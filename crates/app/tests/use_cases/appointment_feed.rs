//! The iCalendar feeds of appointments and the owners' feed tokens, on SQLite, and on
//! PostgreSQL when `TEST_DATABASE_URL` is set (a fresh database per test, dropped at
//! the end).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::AppError;
use jiff::Timestamp;

use crate::common;
use crate::desk;
use common::{Env, at};
use desk::*;

on_both_backends!(calendar_feeds_and_tokens,);

async fn book(env: &Env, fx: &Fx, start: Timestamp, concern: &str) -> i64 {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    store::appointment::insert(
        &mut c,
        &store::appointment::AppointmentRow {
            id: 0,
            station_id: fx.station,
            customer_id: fx.customer,
            vehicle_id: fx.vehicle,
            service_type: "maintenance".into(),
            channel: "hotline".into(),
            start_at: start.as_millisecond(),
            duration_minutes: 90,
            slot_minutes: 30,
            slot_count: 3,
            tech_class: 0,
            operation_codes: String::new(),
            concern: Some(concern.into()),
            state: "booked".into(),
            reschedules: 0,
            checked_in_at: None,
            repair_order_id: None,
            cancel_reason: None,
            closed_at: None,
            created_at: 0,
        },
        env.app.now_ms(),
    )
    .await
    .unwrap()
}

async fn calendar_feeds_and_tokens(env: &Env) {
    use app::appointment::feed;
    let fx = fixture(env).await;
    let long = "车主反映：".to_string() + &"低速行驶时前轮附近有异响，刹车时更明显；".repeat(4);
    let a1 = book(env, &fx, at(2026, 11, 25, 10, 0), &long).await;
    let a2 = book(env, &fx, at(2026, 11, 26, 14, 30), "保养").await;
    let feed = feed::station_feed(&env.app, &grant(feed::READ), fx.station)
        .await
        .unwrap();
    check_ics(&feed, 2);
    assert!(feed.contains(&format!("UID:appointment-{a1}@aftersales\r\n")));
    assert!(feed.contains(&format!("UID:appointment-{a2}@aftersales\r\n")));
    assert!(feed.contains("DTSTART:20261125T020000Z\r\n"), "{feed}");
    assert!(feed.contains("DTEND:20261125T033000Z\r\n"));
    assert!(feed.contains("SUMMARY:保养 · 沪AD12345\r\n"));

    let token = feed::issue_owner_token(&env.app, &grant(feed::WRITE), fx.customer)
        .await
        .unwrap();
    assert!(token.len() >= 32, "at least 128 bits");
    let owner = feed::owner_feed(&env.app, &token).await.unwrap();
    check_ics(&owner, 2);
    assert!(owner.contains("SUMMARY:保养预约 · 上海浦东服务站\r\n"));
    // Only the hash is stored.
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM calendar_tokens WHERE token_hash = $1")
            .bind(&token)
            .fetch_one(&env.app.db.pool)
            .await
            .unwrap();
    assert_eq!(stored, 0);
    assert!(matches!(
        feed::owner_feed(&env.app, &"0".repeat(64))
            .await
            .unwrap_err(),
        AppError::NotFound
    ));
    // A new token replaces the old; revoking ends it.
    let token2 = feed::issue_owner_token(&env.app, &grant(feed::WRITE), fx.customer)
        .await
        .unwrap();
    assert!(matches!(
        feed::owner_feed(&env.app, &token).await.unwrap_err(),
        AppError::NotFound
    ));
    feed::owner_feed(&env.app, &token2).await.unwrap();
    feed::revoke_owner_token(&env.app, &grant(feed::WRITE), fx.customer)
        .await
        .unwrap();
    assert!(matches!(
        feed::owner_feed(&env.app, &token2).await.unwrap_err(),
        AppError::NotFound
    ));
}

/// Checks the iCalendar framing: CRLF everywhere, folded lines at most 75 octets,
/// one VEVENT per appointment.
fn check_ics(feed: &str, events: usize) {
    assert!(feed.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
    assert!(feed.ends_with("END:VCALENDAR\r\n"));
    assert!(!feed.replace("\r\n", "").contains('\n'), "bare LF");
    assert!(!feed.replace("\r\n", "").contains('\r'), "bare CR");
    for line in feed.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
    }
    assert_eq!(feed.matches("BEGIN:VEVENT\r\n").count(), events);
    assert_eq!(feed.matches("END:VEVENT\r\n").count(), events);
    let unfolded = feed.replace("\r\n ", "");
    for line in unfolded.split("\r\n").filter(|l| l.starts_with("DTSTART:")) {
        assert!(line.ends_with('Z'), "{line}");
    }
}
