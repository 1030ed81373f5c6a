//! Callback surveys end to end through the use cases, on SQLite, and on PostgreSQL
//! when `TEST_DATABASE_URL` is set: a delivery queues the invitation job, the owner
//! answers on the one-time link, the month's CSI/NPS change; the monthly batch asks
//! nobody twice; a hot alert's timers remind and escalate once; bad input is refused
//! with nothing changed.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;

use app::job::handler::Registry;
use app::job::worker::Worker;
use app::survey::{self, alert, answer, report, sample};
use domain::permission::Action;
use serde_json::json;

use crate::common;
use crate::desk;
use common::{Env, at};
use desk::*;

on_both_backends!(
    delivery_invites_and_the_answer_moves_the_figures,
    answers_outside_the_scale_change_nothing,
    the_monthly_batch_asks_nobody_twice,
    a_hot_alert_reminds_then_escalates_once_and_becomes_a_complaint,
    a_questionnaire_whose_weights_miss_one_is_refused,
    the_agent_records_refusals_and_unreachable_calls,
    no_invitation_without_survey_consent,
    a_batch_reads_consent_as_each_invitation_would,
);

/// The survey kinds only: messages stay in the outbox unsent (delivery would redact
/// the link the test reads back).
fn worker(env: &Env) -> Worker {
    let mut r = Registry::new();
    r.register(survey::AFTER_DELIVERY_KIND, survey::AfterDelivery)
        .register(alert::KIND, alert::Tick)
        .register(sample::KIND, sample::MonthlySample);
    Worker::with_client(env.app.clone(), r, reqwest::Client::new(), "t".into())
}

async fn run_due(env: &Env) {
    let w = worker(env);
    while w.run_once().await.unwrap() > 0 {}
}

async fn consent(env: &Env, fx: &Fx, granted: bool) {
    let input = app::privacy::consent::ConsentInput {
        purpose: json!("surveys"),
        granted: json!(granted),
        source: json!("call"),
        evidence: json!("REC-0001"),
    };
    app::privacy::consent::record(
        &env.app,
        &grant(app::privacy::consent::WRITE),
        fx.customer,
        &input,
    )
    .await
    .unwrap();
}

/// The one-time token sent in the invitation message of `invitation`.
async fn token_of(env: &Env, invitation: i64) -> String {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let m = store::outbox::for_customer(&mut c, invitation_customer(env, invitation).await, 50)
        .await
        .unwrap()
        .into_iter()
        .find(|m| {
            m.template == "survey_invitation" && m.payload["invitation_id"] == json!(invitation)
        })
        .expect("the invitation message");
    m.payload["link"]
        .as_str()
        .unwrap()
        .trim_start_matches("/owner/survey/")
        .to_string()
}

async fn invitation_customer(env: &Env, id: i64) -> i64 {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    store::survey::get(&mut c, &domain::permission::Reach::All, id)
        .await
        .unwrap()
        .customer_id
}

async fn invitation_of(env: &Env, order: i64) -> store::survey::InvitationRow {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    store::survey::by_order(&mut c, order)
        .await
        .unwrap()
        .expect("an invitation for the delivered order")
}

fn answers(scored: u8, recommend: u8, comment: &str) -> BTreeMap<String, String> {
    let q = domain::survey::default::questionnaire().unwrap();
    let mut m = BTreeMap::new();
    for x in q.questions() {
        let v = match x.scale {
            domain::survey::Scale::Five => scored.clamp(1, 5).to_string(),
            domain::survey::Scale::Ten => scored.clamp(1, 10).to_string(),
            domain::survey::Scale::Recommend => recommend.to_string(),
            domain::survey::Scale::Text => comment.to_string(),
        };
        m.insert(x.key.clone(), v);
    }
    m
}

async fn delivered_and_invited(env: &Env) -> (Fx, i64, store::survey::InvitationRow, String) {
    let fx = fixture(env).await;
    consent(env, &fx, true).await;
    let ro = delivered_order(env, &fx).await;
    run_due(env).await;
    let inv = invitation_of(env, ro).await;
    let token = token_of(env, inv.id).await;
    (fx, ro, inv, token)
}

async fn delivery_invites_and_the_answer_moves_the_figures(env: &Env) {
    let (fx, _ro, inv, token) = delivered_and_invited(env).await;
    assert_eq!(inv.reason, "delivery");
    assert_eq!(inv.state, "pending");
    assert_eq!(inv.station_id, fx.station);
    // Due within 3 days of the hand-over.
    assert_eq!(inv.due_at, at(2026, 11, 27, 13, 0).as_millisecond());

    let before = report::month(&env.app, &grant(survey::READ), "2026-11")
        .await
        .unwrap();
    assert!(before.network.csi.is_none() && before.network.nps.is_none());

    // A partial answer is kept and the link stays open.
    let mut first = BTreeMap::new();
    first.insert("booking_ease".to_string(), "9".to_string());
    let st = answer::owner_answer(&env.app, &token, &first, false)
        .await
        .unwrap();
    assert_eq!(st, answer::LinkStatus::Open);
    let view = answer::owner_view(&env.app, &token).await.unwrap();
    assert_eq!(view.answers.len(), 1);
    assert_eq!(view.questions.len(), 15);

    // Finishing with a low score.
    env.set(at(2026, 11, 25, 10, 0));
    let st = answer::owner_answer(&env.app, &token, &answers(3, 2, "等太久了"), true)
        .await
        .unwrap();
    assert_eq!(st, answer::LinkStatus::Done);
    let after = report::month(&env.app, &grant(survey::READ), "2026-11")
        .await
        .unwrap();
    let csi = after.network.csi.unwrap();
    let nps = after.network.nps.unwrap();
    assert_eq!((csi.n, nps.n), (1, 1));
    assert!(csi.value < 30.0, "{csi:?}");
    assert_eq!(nps.value, -100.0);
    assert_eq!(after.stations.len(), 1);
    assert!(!after.stations[0].ranked, "one answer is too few to rank");
    assert_eq!(after.stations[0].rank, None);

    // The link is used now: answering again is refused, the page says so.
    let e = answer::owner_answer(&env.app, &token, &answers(9, 9, ""), true)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "survey.closed");
    let view = answer::owner_view(&env.app, &token).await.unwrap();
    assert_eq!(view.status, answer::LinkStatus::Done);
    let again = report::month(&env.app, &grant(survey::READ), "2026-11")
        .await
        .unwrap();
    assert_eq!(again.network.nps.unwrap().n, 1, "nothing counted twice");
}

async fn answers_outside_the_scale_change_nothing(env: &Env) {
    let (_fx, _ro, inv, token) = delivered_and_invited(env).await;
    let mut bad = answers(8, 8, "");
    bad.insert("lounge_comfort".into(), "6".into());
    bad.insert("recommend".into(), "11".into());
    let e = answer::owner_answer(&env.app, &token, &bad, true)
        .await
        .unwrap_err();
    let app::AppError::Invalid(v) = &e else {
        panic!("expected 422, got {e:?}")
    };
    let fields: Vec<&str> = v.0.iter().map(|x| x.field.as_str()).collect();
    assert_eq!(fields, vec!["answers.lounge_comfort", "answers.recommend"]);
    assert!(v.0.iter().all(|x| x.rule == "survey.answer_out_of_scale"));
    let (_q, saved) = answer::answers(&env.app, &grant(survey::READ), inv.id)
        .await
        .unwrap();
    assert!(saved.is_empty(), "nothing half-written");
    assert_eq!(
        invitation_of(env, inv.repair_order_id.unwrap()).await.state,
        "pending"
    );
    // Finishing without the scored questions is refused, naming the first missing one.
    let mut one = BTreeMap::new();
    one.insert("recommend".to_string(), "10".to_string());
    let e = answer::owner_answer(&env.app, &token, &one, true)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "survey.incomplete");
    // An unknown token is not found.
    assert!(matches!(
        answer::owner_view(&env.app, "nope").await,
        Err(app::AppError::NotFound)
    ));
}

async fn invitations(env: &Env) -> Vec<store::survey::InvitationRow> {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    store::survey::list(
        &mut c,
        &domain::permission::Reach::All,
        &store::survey::Filter::default(),
        1000,
    )
    .await
    .unwrap()
}

async fn the_monthly_batch_asks_nobody_twice(env: &Env) {
    let fx = fixture(env).await;
    consent(env, &fx, true).await;
    let ro = delivered_order(env, &fx).await;
    // The delivery survey's job is not run: the customer has not been asked yet.
    let mut c = env.app.db.pool.acquire().await.unwrap();
    sqlx::query("DELETE FROM jobs WHERE kind = 'survey.after_delivery'")
        .execute(&mut *c)
        .await
        .unwrap();
    drop(c);
    env.set(at(2026, 12, 1, 10, 0));
    // The current month cannot be drawn yet.
    let e = sample::start(&env.app, &grant(survey::POLICY), Some("2026-12"), None)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "survey.month_not_over");
    assert!(
        sample::start(&env.app, &grant(survey::POLICY), None, None)
            .await
            .unwrap()
    );
    run_due(env).await;
    let after_first = invitations(env).await;
    assert_eq!(after_first.len(), 1);
    assert_eq!(after_first[0].reason, "monthly");
    assert_eq!(after_first[0].sample_month.as_deref(), Some("2026-11"));
    // Queued again, and the run itself again: nobody is asked twice.
    assert!(
        !sample::start(&env.app, &grant(survey::POLICY), Some("2026-11"), None)
            .await
            .unwrap()
    );
    let mut tx = env.app.db.begin().await.unwrap();
    let month = domain::survey::Month::parse("m", "2026-11").unwrap();
    let s = sample::run_month(&mut tx, month, 5000, env.app.now_ms())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(!s.ran);
    run_due(env).await;
    assert_eq!(invitations(env).await.len(), 1);

    // Not asked again inside the window (90 days) for a later visit, asked after it:
    // the car comes back in December (drawn 1 January, 31 days after the first ask)
    // and in March (drawn 1 April, 121 days after).
    for (month, delivered, drawn, invited) in [
        ("2026-12", at(2026, 12, 10, 15, 0), at(2027, 1, 1, 10, 0), 0),
        ("2027-03", at(2027, 3, 10, 15, 0), at(2027, 4, 1, 10, 0), 1),
    ] {
        sqlx::query("UPDATE repair_orders SET delivered_at = $1 WHERE id = $2")
            .bind(delivered.as_millisecond())
            .bind(ro)
            .execute(&env.app.db.pool)
            .await
            .unwrap();
        env.set(drawn);
        let mut tx = env.app.db.begin().await.unwrap();
        let m = domain::survey::Month::parse("m", month).unwrap();
        let s = sample::run_month(&mut tx, m, 5000, env.app.now_ms())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!((s.candidates, s.invited), (1, invited), "{month}: {s:?}");
    }
}

async fn a_hot_alert_reminds_then_escalates_once_and_becomes_a_complaint(env: &Env) {
    let (fx, _ro, _inv, token) = delivered_and_invited(env).await;
    env.set(at(2026, 11, 25, 10, 0));
    answer::owner_answer(
        &env.app,
        &token,
        &answers(8, 8, "服务态度恶劣，我要投诉"),
        true,
    )
    .await
    .unwrap();
    let g = grant(survey::READ);
    let list = alert::list(&env.app, &g, Some(fx.station), Some("open"))
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    let a = &list[0];
    assert_eq!(a.alert.triggers, "angry_comment");
    assert_eq!(a.alert.due_at, at(2026, 11, 26, 10, 0).as_millisecond());
    assert!(!a.customer_name.is_empty());

    // Past the 24 h deadline: one reminder, no escalation yet.
    env.set(at(2026, 11, 26, 11, 0));
    run_due(env).await;
    assert_eq!(notices(env).await, 1);
    let now = alert::get(&env.app, &g, a.alert.id).await.unwrap();
    assert!(now.overdue && now.alert.escalated_at.is_none());
    // Past 3 days: escalated once, however often the worker runs.
    env.set(at(2026, 11, 28, 11, 0));
    run_due(env).await;
    run_due(env).await;
    assert_eq!(notices(env).await, 2);
    let now = alert::get(&env.app, &g, a.alert.id).await.unwrap();
    assert_eq!(
        now.alert.escalated_at,
        Some(at(2026, 11, 28, 11, 0).as_millisecond())
    );

    // One click: a complaint, linked both ways.
    let cid = alert::to_complaint(&env.app, &grant(survey::WRITE), a.alert.id, None)
        .await
        .unwrap();
    let done = alert::get(&env.app, &g, a.alert.id).await.unwrap();
    assert_eq!(
        (done.alert.state.as_str(), done.alert.complaint_id),
        ("done", Some(cid))
    );
    assert_eq!(
        alert::of_complaint(&env.app, &g, cid).await.unwrap(),
        Some(a.alert.id)
    );
    let d = app::complaint::detail(&env.app, &grant(Action::ComplaintRead), cid)
        .await
        .unwrap();
    assert_eq!(
        d.complaint.source_link.as_deref(),
        Some(format!("/console/survey-alerts/{}", a.alert.id).as_str())
    );
    assert!(d.complaint.description.contains("投诉"));
    // Closed: a second click files nothing.
    let e = alert::to_complaint(&env.app, &grant(survey::WRITE), a.alert.id, None)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "survey.alert_done");
}

async fn a_questionnaire_whose_weights_miss_one_is_refused(env: &Env) {
    let cur = survey::current(&env.app, &grant(survey::READ))
        .await
        .unwrap();
    assert_eq!(cur.version, 1);
    let mut qs = cur.questions().to_vec();
    qs[0].weight_bp -= 1;
    let e = survey::publish(&env.app, &grant(survey::POLICY), qs.clone())
        .await
        .unwrap_err();
    // A rule across the questions, which no schema states: refused (409).
    let app::AppError::Refused(v) = &e else {
        panic!("expected 409, got {e:?}")
    };
    assert_eq!(v.0[0].rule, "survey.weights_sum");
    assert_eq!(
        survey::current(&env.app, &grant(survey::READ))
            .await
            .unwrap()
            .version,
        1
    );
    qs[1].weight_bp += 1;
    let q = survey::publish(&env.app, &grant(survey::POLICY), qs)
        .await
        .unwrap();
    assert_eq!(q.version, 2);
    // Only head office publishes.
    let relations = domain::permission::Principal {
        kind: domain::permission::ActorKind::Person,
        id: 7,
        name: "cr".into(),
        role: domain::role::Role::CustomerRelations,
        unit: domain::permission::Unit::Station(
            domain::ids::StationId(1),
            domain::ids::RegionId(1),
        ),
    };
    assert!(
        relations.grant(survey::POLICY).is_err(),
        "only head office publishes"
    );
    let e = survey::publish(
        &env.app,
        &relations.grant(survey::READ).unwrap(),
        cur.questions().to_vec(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, app::AppError::Forbidden));
}

async fn the_agent_records_refusals_and_unreachable_calls(env: &Env) {
    let (_fx, _ro, inv, _token) = delivered_and_invited(env).await;
    let w = grant(survey::WRITE);
    let e = answer::call(
        &env.app,
        &w,
        inv.id,
        &answer::CallInput {
            outcome: answer::CallOutcome::Unreachable,
            reason: Some("gone fishing".into()),
            answers: BTreeMap::new(),
            finish: true,
        },
    )
    .await
    .unwrap_err();
    let app::AppError::Invalid(v) = &e else {
        panic!("expected 422, got {e:?}")
    };
    assert_eq!(
        (v.0[0].field.as_str(), v.0[0].rule),
        ("reason", "survey.unreachable_reason_unknown")
    );
    let st = answer::call(
        &env.app,
        &w,
        inv.id,
        &answer::CallInput {
            outcome: answer::CallOutcome::Unreachable,
            reason: Some("no_answer".into()),
            answers: BTreeMap::new(),
            finish: true,
        },
    )
    .await
    .unwrap();
    assert_eq!(st, domain::survey::State::Unreachable);
    let row = invitation_of(env, inv.repair_order_id.unwrap()).await;
    assert_eq!(
        (row.state.as_str(), row.state_reason.as_deref()),
        ("unreachable", Some("no_answer"))
    );
    let e = answer::call(
        &env.app,
        &w,
        inv.id,
        &answer::CallInput {
            outcome: answer::CallOutcome::Answered,
            reason: None,
            answers: answers(9, 9, ""),
            finish: true,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "survey.closed");
}

async fn no_invitation_without_survey_consent(env: &Env) {
    let fx = fixture(env).await;
    consent(env, &fx, false).await;
    let ro = delivered_order(env, &fx).await;
    run_due(env).await;
    let mut c = env.app.db.pool.acquire().await.unwrap();
    assert!(store::survey::by_order(&mut c, ro).await.unwrap().is_none());
}

async fn notices(env: &Env) -> i64 {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE template = 'survey_alert_notice'")
        .fetch_one(&mut *c)
        .await
        .unwrap()
}

/// The monthly batch reads its customers' consent and contact up front
/// (`store::customer::consenting_contacts`): the latest ledger entry decides, as the
/// one-by-one check does, and a customer with no entry (an unknown id) is left out.
async fn a_batch_reads_consent_as_each_invitation_would(env: &Env) {
    let fx = fixture(env).await;
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let ids = [fx.customer, fx.customer + 1_000_000];
    consent(env, &fx, false).await;
    assert!(consenting(&mut c, &ids).await.is_empty(), "a no: nobody");
    consent(env, &fx, true).await;
    let yes = consenting(&mut c, &ids).await;
    let one = store::customer::contact(&mut c, fx.customer).await.unwrap();
    assert_eq!(yes.len(), 1);
    assert_eq!(yes.get(&fx.customer), Some(&one));
    consent(env, &fx, false).await;
    assert!(
        consenting(&mut c, &ids).await.is_empty(),
        "the later no wins"
    );
}

async fn consenting(
    c: &mut sqlx::AnyConnection,
    ids: &[i64],
) -> std::collections::HashMap<i64, store::customer::Contact> {
    store::customer::consenting_contacts(c, ids, "surveys")
        .await
        .unwrap()
}
