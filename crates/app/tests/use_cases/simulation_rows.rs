//! What the simulator's rows carry besides the KPI sources (issue 11 item 10, on
//! SQLite and, with `TEST_DATABASE_URL`, PostgreSQL): every simulated order has the
//! checkpoints the published standard requires and an estimate approved by the owner
//! whose invoice is its bill; every answer that calls for a hot alert opened one
//! (closed with its timers cancelled, or still open with them armed); the real
//! monthly sample drew and answered last month's customers, and re-running the
//! simulator draws nobody again.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::clock::Clock;
use app::simulation::{Options, Summary, run};
use std::collections::BTreeMap;

use crate::common;
use crate::desk;
use common::Env;
use desk::*;
use domain::estimate::DEFAULT_VAT_BP;
use domain::money::Money;
use domain::repair_order::{CheckRule, default_standard};
use domain::simulation::order::WORK_STAGES;
use domain::survey::Answer;
use sqlx::AnyConnection;

on_both_backends!(
    orders_carry_checkpoints_and_an_approved_estimate_that_is_the_bill,
    low_scores_open_alerts_and_a_monthly_sample_is_drawn_once,
);

async fn simulate(env: &Env) -> Summary {
    let o = Options {
        stations: 5,
        months: 2,
        volume_percent: 40,
        seed: 7,
        spare_station: None,
    };
    run(
        &env.app.db,
        env.app.settings.as_ref().clone(),
        &o,
        env.clock.now(),
        &|_, _, _| {},
    )
    .await
    .unwrap()
}

async fn count(c: &mut AnyConnection, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM {sql}"
    )))
    .fetch_one(c)
    .await
    .unwrap()
}

async fn orders_carry_checkpoints_and_an_approved_estimate_that_is_the_bill(env: &Env) {
    let sum = simulate(env).await;
    assert!(sum.orders > 300 && sum.comebacks > 0, "{sum:?}");
    let mut c = env.app.db.pool.acquire().await.unwrap();
    // The work stages' (the follow-up call is the survey's business).
    let required = default_standard()
        .stages
        .iter()
        .filter(|s| WORK_STAGES.contains(&s.stage))
        .flat_map(|s| &s.checkpoints)
        .filter(|k| k.rule == CheckRule::Required)
        .count() as i64;
    assert!(required >= 14, "{required}");
    assert_eq!(count(&mut c, "repair_orders").await, sum.orders as i64);
    // Every order has exactly the required checkpoints.
    let short = format!(
        "repair_orders o WHERE (SELECT COUNT(*) FROM repair_order_checkpoints k \
         WHERE k.repair_order_id = o.id) <> {required}"
    );
    assert_eq!(count(&mut c, &short).await, 0);
    let checks = count(&mut c, "repair_order_checkpoints").await;
    assert_eq!(checks, required * sum.orders as i64);
    // Each inside its stage: after the stage started, before it completed.
    let outside = count(
        &mut c,
        "repair_order_checkpoints k WHERE NOT EXISTS (SELECT 1 FROM events s JOIN events e \
           ON e.entity_id = s.entity_id AND e.entity = 'repair_order' AND e.kind = 'stage_completed' \
           AND e.data = s.data \
         WHERE s.entity = 'repair_order' AND s.entity_id = k.repair_order_id AND s.kind = 'stage_started' \
           AND s.data = '{\"stage\":\"' || k.stage || '\"}' AND s.at <= k.checked_at AND k.checked_at <= e.at)",
    )
    .await;
    assert_eq!(outside, 0);
    // Every line approved by the owner with its record, worked or fitted.
    let lines = count(&mut c, "estimate_lines").await;
    assert!(lines > sum.orders as i64, "labour and parts lines: {lines}");
    assert!(count(&mut c, "estimate_lines WHERE kind = 'part'").await > 0);
    let undecided = "estimate_lines WHERE decision <> 'approved' OR decided_at IS NULL \
                     OR decided_by IS NULL OR decision_channel IS NULL OR done <> 1";
    assert_eq!(count(&mut c, undecided).await, 0);
    assert_eq!(
        count(&mut c, "events WHERE kind = 'line_approved'").await,
        lines
    );
    // A comeback's lines are free; every other labour line is hours × the rate.
    let free = "estimate_lines l JOIN repair_orders o ON o.id = l.repair_order_id \
                WHERE o.comeback_of IS NOT NULL AND (l.comeback <> 1 OR l.amount_fen <> 0)";
    assert_eq!(count(&mut c, free).await, 0);
    assert!(count(&mut c, "estimate_lines WHERE comeback = 1").await >= sum.comebacks as i64);
    let labour: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT hundredths, unit_price_fen, amount_fen FROM estimate_lines \
         WHERE kind = 'labour' AND comeback = 0",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    for (h, rate, amount) in labour {
        assert_eq!(amount, Money::from_fen(rate).times_hundredths(h).fen());
    }
    // The bill is the invoice of the estimate: its net the approved lines, VAT on top.
    let bills: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT b.net_fen, b.vat_fen, b.gross_fen, \
           CAST((SELECT COALESCE(SUM(l.amount_fen), 0) FROM estimate_lines l \
                 WHERE l.repair_order_id = b.repair_order_id AND l.decision = 'approved' \
                 AND l.done = 1) AS BIGINT) \
         FROM bills b",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    assert_eq!(bills.len() as u64, sum.orders);
    for (net, vat, gross, lines) in bills {
        assert_eq!(net, lines);
        assert_eq!(
            vat,
            Money::from_fen(net)
                .times_basis_points(DEFAULT_VAT_BP)
                .fen()
        );
        assert_eq!(gross, net + vat);
    }
}

/// The answers of every answered invitation, by invitation.
async fn answers(c: &mut AnyConnection) -> BTreeMap<i64, BTreeMap<String, Answer>> {
    let rows: Vec<(i64, String, Option<i64>, Option<String>)> = sqlx::query_as(
        "SELECT a.invitation_id, a.question_key, a.score, a.text FROM survey_answers a \
         JOIN survey_invitations i ON i.id = a.invitation_id WHERE i.state = 'answered'",
    )
    .fetch_all(c)
    .await
    .unwrap();
    let mut out: BTreeMap<i64, BTreeMap<String, Answer>> = BTreeMap::new();
    for (inv, key, score, text) in rows {
        let a = match (score, text) {
            (Some(s), _) => Answer::Score(s as u8),
            (None, Some(t)) => Answer::Text(t),
            _ => continue,
        };
        out.entry(inv).or_default().insert(key, a);
    }
    out
}

async fn low_scores_open_alerts_and_a_monthly_sample_is_drawn_once(env: &Env) {
    let sum = simulate(env).await;
    let mut c = env.app.db.pool.acquire().await.unwrap();
    // Alerts agree with the answers: one for each answered survey that calls for one.
    let q = domain::survey::default::questionnaire().unwrap();
    let calling: Vec<i64> = answers(&mut c)
        .await
        .into_iter()
        .filter(|(_, a)| !domain::survey::alert::triggers(&q, a).is_empty())
        .map(|(i, _)| i)
        .collect();
    assert!(!calling.is_empty());
    let alerts: Vec<(i64, i64, String)> =
        sqlx::query_as("SELECT id, invitation_id, state FROM survey_alerts ORDER BY invitation_id")
            .fetch_all(&mut *c)
            .await
            .unwrap();
    assert_eq!(alerts.iter().map(|a| a.1).collect::<Vec<_>>(), calling);
    assert_eq!(sum.alerts, alerts.len() as u64);
    let open = alerts.iter().filter(|a| a.2 == "open").count() as u64;
    assert_eq!(open, sum.alerts_open);
    assert!(open < sum.alerts, "past alerts were called back: {sum:?}");
    // Each alert's two timers: cancelled once called back, armed while open.
    for (id, _, state) in &alerts {
        for step in ["deadline", "escalate"] {
            let t: String = sqlx::query_scalar("SELECT state FROM timers WHERE dedupe_key = $1")
                .bind(format!("survey.alert:{id}:{step}"))
                .fetch_one(&mut *c)
                .await
                .unwrap();
            let want = if state == "open" {
                "queued"
            } else {
                "cancelled"
            };
            assert_eq!(t, want, "alert {id} {step}");
        }
    }
    // September's sample was drawn on 1 October (October's falls on 1 November, the
    // end of the simulated world), and answered in part.
    let runs: Vec<(String, i64)> =
        sqlx::query_as("SELECT month, drawn FROM survey_sample_runs ORDER BY month")
            .fetch_all(&mut *c)
            .await
            .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].0, "2026-09");
    assert!(
        runs[0].1 > 0 && runs[0].1 as u64 == sum.sampled,
        "{runs:?} {sum:?}"
    );
    let monthly = count(&mut c, "survey_invitations WHERE reason = 'monthly'").await;
    assert_eq!(monthly as u64, sum.sampled);
    let answered = count(
        &mut c,
        "survey_invitations WHERE reason = 'monthly' AND state = 'answered'",
    )
    .await;
    assert!(
        answered > 0 && answered as u64 == sum.sample_answered,
        "{sum:?}"
    );
    // Only last month's customers with survey consent, each once.
    let strangers = count(
        &mut c,
        "survey_invitations i WHERE i.reason = 'monthly' AND NOT EXISTS (SELECT 1 FROM repair_orders o \
         WHERE o.customer_id = i.customer_id AND o.station_id = i.station_id \
         AND o.delivered_at >= i.created_at - 3024000000 AND o.delivered_at < i.created_at)",
    )
    .await;
    assert_eq!(strangers, 0);
    let twice = count(
        &mut c,
        "(SELECT customer_id FROM survey_invitations WHERE reason = 'monthly' \
         GROUP BY customer_id HAVING COUNT(*) > 1) x",
    )
    .await;
    assert_eq!(twice, 0);
    // The messages went out long ago: none is left to send.
    let pending = count(
        &mut c,
        "outbox WHERE template = 'survey_invitation' AND status = 'pending'",
    )
    .await;
    assert_eq!(pending, 0);
    drop(c);
    // Running it again draws nobody again.
    let again = simulate(env).await;
    assert_eq!(again.sampled, 0, "{again:?}");
    let mut c = env.app.db.pool.acquire().await.unwrap();
    assert_eq!(
        count(&mut c, "survey_invitations WHERE reason = 'monthly'").await,
        monthly
    );
}
