//! SPEC §6, the holiday plan running out, on SQLite and (with `TEST_DATABASE_URL`)
//! PostgreSQL: from 60 days before the loaded plan's last day a timer warns head
//! office's administrators once (their inbox, SMS and WeChat); a business-hours
//! deadline past the plan is computed on the regular week and stored as provisional;
//! loading the next plan recomputes it.

use app::complaint::FileInput;
use app::job::handler::Registry;
use app::job::worker::Worker;
use domain::permission::Action;

use crate::common;
use crate::desk;
use common::{Env, at};
use desk::*;

on_both_backends!(the_plan_running_out_warns_once_and_makes_deadlines_provisional);

async fn run_due(env: &Env, name: &str) {
    let w = Worker::with_client(
        env.app.clone(),
        Registry::standard(),
        reqwest::Client::new(),
        name.into(),
    );
    while w.run_once().await.unwrap() > 0 {}
}

async fn texts(env: &Env, sql: &str) -> Vec<String> {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_all(&mut *c)
        .await
        .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

async fn first_response(env: &Env, id: i64) -> (Option<i64>, bool, bool) {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let row = store::complaint::get(&mut c, &domain::permission::Reach::All, id)
        .await
        .unwrap()
        .unwrap();
    let stages = store::complaint::clock::stages(&mut c, id, row.clock_no)
        .await
        .unwrap();
    let st = stages.iter().find(|s| s.stage == "first_response").unwrap();
    assert_eq!(st.deadline_at, row.next_deadline_at);
    (
        row.next_deadline_at,
        st.provisional,
        row.deadline_provisional,
    )
}

async fn the_plan_running_out_warns_once_and_makes_deadlines_provisional(env: &Env) {
    let fx = fixture(env).await;
    let ho = {
        let mut tx = env.app.db.begin().await.unwrap();
        let id = store::people::insert_staff(
            &mut tx,
            &store::people::NewStaff {
                username: "ho".into(),
                name: "王主任".into(),
                role: "administrator".into(),
                station_id: None,
                region_id: None,
                phone: "+8613700000003".into(),
                password_hash: "x".into(),
            },
            0,
        )
        .await
        .unwrap();
        store::people::set_wechat_id(&mut tx, id, Some("wx_headoffice"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    };
    // China's built-in plan ends 2026-12-31: the warning starts 2026-11-01 00:00.
    env.set(at(2026, 10, 31, 23, 59));
    app::calendar::ensure_holidays(&env.app).await.unwrap();
    run_due(env, "a").await;
    let warned = "SELECT plan_end FROM holiday_plan_warnings";
    assert!(texts(env, warned).await.is_empty(), "not before 60 days");
    let read = grant(Action::ComplaintRead);
    assert_eq!(
        app::calendar::plan_end::warning(&env.app, &read)
            .await
            .unwrap(),
        None
    );
    env.set(at(2026, 11, 1, 0, 1));
    run_due(env, "a").await;
    run_due(env, "b").await;
    assert_eq!(texts(env, warned).await, ["2026-12-31"]);
    let sent =
        "SELECT dedupe_key FROM outbox WHERE template = 'holiday_plan_ending' ORDER BY dedupe_key";
    assert_eq!(
        texts(env, sent).await,
        [
            format!("outbox:calendar.plan_end:2026-12-31:sms:{ho}"),
            format!("outbox:calendar.plan_end:2026-12-31:wechat:{ho}"),
        ],
        "once per plan end, by each kind the record holds"
    );
    assert_eq!(
        app::calendar::plan_end::warning(&env.app, &read)
            .await
            .unwrap()
            .map(|d| d.to_string()),
        Some("2026-12-31".into())
    );
    // Thursday 2026-12-31 17:00, open until 17:30: the 1 h first response needs 30
    // minutes of 2027, which the plan does not cover — Friday 2027-01-01 09:00 on the
    // regular week, provisional.
    env.set(at(2026, 12, 31, 17, 0));
    let id = app::complaint::file(
        &env.app,
        &grant(Action::ComplaintWrite),
        &FileInput {
            station_id: fx.station,
            customer_id: Some(fx.customer),
            vehicle_id: Some(fx.vehicle),
            channel: "hotline".into(),
            category: "repair_quality".into(),
            severity: "normal".into(),
            description: "保养后异响".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    assert_eq!(
        first_response(env, id).await,
        (Some(at(2027, 1, 1, 9, 0).as_millisecond()), true, true)
    );
    // The 2027 plan is loaded: New Year's Day off until Sunday, so the deadline moves
    // to Monday 09:00 and is no longer provisional; the warning is over.
    let mut text = app::calendar::plan_text(&env.app, &grant(Action::NetworkRead))
        .await
        .unwrap();
    text.push_str("\n2027-01-01..2027-01-03 holiday 元旦\n");
    app::calendar::replace_plan(&env.app, &grant(Action::NetworkWrite), &text)
        .await
        .unwrap();
    assert_eq!(
        first_response(env, id).await,
        (Some(at(2027, 1, 4, 9, 0).as_millisecond()), false, false)
    );
    assert_eq!(
        app::calendar::plan_end::warning(&env.app, &read)
            .await
            .unwrap(),
        None
    );
}
