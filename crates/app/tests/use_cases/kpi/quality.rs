//! CSI, NPS and audit compliance in the KPI engine against plain SQL over the raw
//! answer rows and audit visits: first as the workflows keep them (the owner's link,
//! the agent's call, an audit submitted), then after rows written behind their back
//! and a rebuild of the month.

use super::*;
use app::survey::answer::{self, CallInput, CallOutcome};
use serde_json::json;
use std::collections::BTreeMap;

/// The engine's CSI, NPS and audit-compliance counters of a month.
async fn quality_counters(env: &Env, month: &str) -> Sums {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let rows: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT station_id, kpi, numerator, denominator, total FROM kpi_monthly \
         WHERE month = $1 AND kpi IN ('csi', 'nps', 'audit_compliance')",
    )
    .bind(month)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    rows.into_iter()
        .filter(|r| r.3 != 0)
        .map(|(s, k, n, d, t)| ((s, k), (n, d, t)))
        .collect()
}

/// The default questionnaire's scored questions as SQL rows `(key, weight, lo, hi)`.
fn questions_cte() -> (String, String) {
    let q = domain::survey::default::questionnaire().unwrap();
    let rows: Vec<String> = q
        .questions()
        .iter()
        .filter(|x| x.factor.is_some())
        .filter_map(|x| {
            let (lo, hi) = x.scale.range()?;
            Some(format!("('{}', {}, {lo}, {hi})", x.key, x.weight_bp))
        })
        .collect();
    (rows.join(", "), q.recommend().unwrap().key.clone())
}

/// CSI per station in plain SQL: each finished survey's weighted mean of its scored
/// answers moved onto 0–100 (weights renormalised over what was answered), then the
/// mean over the station's surveys. Answers `(station, surveys, csi)`.
async fn csi_sql(env: &Env, from: i64, to: i64) -> Vec<(i64, i64, f64)> {
    let (values, _) = questions_cte();
    let sql = format!(
        "WITH q(k, w, lo, hi) AS (VALUES {values}), \
         r AS (SELECT i.id AS id, i.station_id AS station_id, \
           SUM(q.w * (a.score - q.lo) * 100.0 / (q.hi - q.lo)) / SUM(q.w) AS csi \
           FROM survey_invitations i JOIN survey_answers a ON a.invitation_id = i.id \
           JOIN q ON q.k = a.question_key \
           WHERE i.state = 'answered' AND i.answered_at >= $1 AND i.answered_at < $2 \
             AND a.score IS NOT NULL \
           GROUP BY i.id, i.station_id) \
         SELECT station_id, CAST(COUNT(*) AS BIGINT), CAST(AVG(csi) AS DOUBLE PRECISION) \
         FROM r GROUP BY station_id ORDER BY station_id"
    );
    let mut c = env.app.db.pool.acquire().await.unwrap();
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(from)
        .bind(to)
        .fetch_all(&mut *c)
        .await
        .unwrap()
}

/// NPS counters per station in plain SQL: promoters, answers, detractors.
async fn nps_sql(env: &Env, from: i64, to: i64) -> Sums {
    let (_, recommend) = questions_cte();
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT i.station_id, CAST(SUM(CASE WHEN a.score >= 9 THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(COUNT(*) AS BIGINT), CAST(SUM(CASE WHEN a.score <= 6 THEN 1 ELSE 0 END) AS BIGINT) \
         FROM survey_invitations i JOIN survey_answers a ON a.invitation_id = i.id \
         WHERE i.state = 'answered' AND i.answered_at >= $1 AND i.answered_at < $2 \
           AND a.question_key = $3 AND a.score IS NOT NULL GROUP BY i.station_id",
    )
    .bind(from)
    .bind(to)
    .bind(&recommend)
    .fetch_all(&mut *c)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(s, p, n, d)| ((s, "nps".to_string()), (p, n, d)))
        .collect()
}

/// Audit compliance per station in plain SQL: passed and applicable summed over the
/// submitted visits of the month.
async fn audit_sql(env: &Env, month: &str) -> Sums {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT station_id, CAST(SUM(passed) AS BIGINT), CAST(SUM(passed + failed) AS BIGINT) \
         FROM audit_visits WHERE state = 'submitted' AND visited_on LIKE $1 GROUP BY station_id",
    )
    .bind(format!("{month}-%"))
    .fetch_all(&mut *c)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(s, p, a)| ((s, "audit_compliance".to_string()), (p, a, 0)))
        .collect()
}

/// Compares the engine's counters of November 2026 with the plain SQL.
async fn assert_equal_to_sql(env: &Env) -> Sums {
    let (from, to) = month_bounds(2026, 11);
    let kept = quality_counters(env, "2026-11").await;
    let csi = csi_sql(env, from, to).await;
    assert!(!csi.is_empty(), "surveys to compare");
    for (s, n, mean) in &csi {
        let (_, d, total) = kept[&(*s, "csi".to_string())];
        assert_eq!(d, *n, "station {s}: surveys counted");
        let figure = KpiKey::Csi
            .value(&domain::kpi::Counter {
                numerator: 0,
                denominator: d,
                total,
            })
            .unwrap();
        // Each respondent is kept to 0.01 point, so the mean is within 0.005.
        assert!(
            (figure - mean).abs() < 0.006,
            "station {s}: {figure} vs {mean}"
        );
    }
    let nps: Sums = kept
        .iter()
        .filter(|((_, k), _)| k == "nps")
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    assert_eq!(nps, nps_sql(env, from, to).await);
    let audits: Sums = kept
        .iter()
        .filter(|((_, k), _)| k == "audit_compliance")
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    assert_eq!(audits, audit_sql(env, "2026-11").await);
    kept
}

async fn survey_consent(env: &Env, customer: i64) {
    let input = app::privacy::consent::ConsentInput {
        purpose: json!("surveys"),
        granted: json!(true),
        source: json!("call"),
        evidence: json!("REC-0001"),
    };
    app::privacy::consent::record(
        &env.app,
        &grant(app::privacy::consent::WRITE),
        customer,
        &input,
    )
    .await
    .unwrap();
}

fn survey_answers(scored: u8, recommend: u8) -> BTreeMap<String, String> {
    let q = domain::survey::default::questionnaire().unwrap();
    q.questions()
        .iter()
        .filter_map(|x| {
            let v = match x.scale {
                domain::survey::Scale::Five => scored.clamp(1, 5),
                domain::survey::Scale::Ten => scored.clamp(1, 10),
                domain::survey::Scale::Recommend => recommend,
                domain::survey::Scale::Text => return None,
            };
            Some((x.key.clone(), v.to_string()))
        })
        .collect()
}

/// A monthly-sample invitation of `station` written straight into the store.
async fn raw_invitation(env: &Env, fx: &Fx, station: i64, month: &str, hash: &str) -> i64 {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let region: i64 = sqlx::query_scalar("SELECT region_id FROM stations WHERE id = $1")
        .bind(station)
        .fetch_one(&mut *c)
        .await
        .unwrap();
    store::survey::insert(
        &mut c,
        &store::survey::NewInvitation {
            customer_id: fx.customer,
            vehicle_id: None,
            repair_order_id: None,
            station_id: station,
            region_id: region,
            reason: "monthly",
            sample_month: Some(month),
            version: 1,
            token_hash: hash,
            expires_at: ms(2026, 12, 31, 0, 0),
            due_at: ms(2026, 12, 31, 0, 0),
        },
        env.app.now_ms(),
    )
    .await
    .unwrap()
    .unwrap()
}

async fn audit_visit(env: &Env, station: i64, day: &str, failed: &[&str]) {
    use app::quality_audit::{AnswerInput, SubmitInput, VisitInput};
    let w = grant(Action::QualityAuditWrite);
    let v = app::quality_audit::start(
        &env.app,
        &w,
        &VisitInput {
            station_id: station,
            kind: "mystery_shopper".into(),
            visited_on: day.into(),
        },
    )
    .await
    .unwrap();
    let answers: Vec<AnswerInput> = domain::quality_audit::checklist::Checklist::default_list()
        .checkpoints()
        .iter()
        .map(|c| {
            let fail = failed.contains(&c.code.as_str());
            AnswerInput {
                code: c.code.clone(),
                verdict: match (fail, c.code.as_str()) {
                    (true, _) => "fail",
                    (false, "X12") => "not_applicable",
                    _ => "pass",
                }
                .into(),
                finding: fail.then(|| format!("{} 未执行", c.code)),
            }
        })
        .collect();
    app::quality_audit::answer(&env.app, &w, v.id, &answers)
        .await
        .unwrap();
    app::quality_audit::submit(&env.app, &w, v.id, &SubmitInput { summary: None })
        .await
        .unwrap();
}

pub(super) async fn csi_nps_and_audit_compliance_equal_plain_sql(env: &Env) {
    let fx = fixture(env).await;
    let (west, _) = second_station(env).await;
    survey_consent(env, fx.customer).await;
    // The owner answers the delivery survey on the link: low scores, a detractor.
    let ro = delivered_order(env, &fx).await;
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let inv = app::survey::invite_delivery(&mut c, ro, env.app.now_ms())
        .await
        .unwrap()
        .expect("invited");
    drop(c);
    env.set(at(2026, 11, 25, 10, 0));
    answer::owner_answer(&env.app, &inv.token, &survey_answers(2, 3), true)
        .await
        .unwrap();
    // The agent records two calls: a promoter at the station, a passive in the west.
    let agent = grant(Action::SurveyWrite);
    for (station, scored, rec, hash) in [(fx.station, 9, 10, "h-a"), (west, 7, 8, "h-b")] {
        let id = raw_invitation(
            env,
            &fx,
            station,
            if hash == "h-a" { "2026-10" } else { "2026-09" },
            hash,
        )
        .await;
        let input = CallInput {
            outcome: CallOutcome::Answered,
            reason: None,
            answers: survey_answers(scored, rec),
            finish: true,
        };
        answer::call(&env.app, &agent, id, &input).await.unwrap();
    }
    // An auditor fails two checkpoints (one more is not applicable).
    audit_visit(env, fx.station, "2026-11-23", &["A01", "R03"]).await;

    let kept = assert_equal_to_sql(env).await;
    // Hand-checked first, so an empty pair could not pass: two surveys and one
    // promoter and one detractor at the station; 68 checkpoints, 1 not applicable.
    let s = fx.station;
    assert_eq!(kept[&(s, "nps".to_string())], (1, 2, 1));
    assert_eq!(kept[&(s, "csi".to_string())].1, 2);
    assert_eq!(kept[&(west, "nps".to_string())], (0, 1, 0));
    assert_eq!(kept[&(s, "audit_compliance".to_string())], (65, 67, 0));
    // The figures read them: NPS 0 at the station, compliance 65 ÷ 67.
    let nov = YearMonth {
        year: 2026,
        month: 11,
    };
    let f = app::kpi::figures(
        &env.app,
        &grant(Action::KpiRead),
        app::kpi::Scope::Station(s),
        Period::Month(nov),
    )
    .await
    .unwrap();
    let value = |k: &str| f.iter().find(|x| x.kpi == k).and_then(|x| x.value);
    assert_eq!(value("nps"), Some(0.0));
    let compliance = value("audit_compliance").unwrap();
    assert!((compliance - 6500.0 / 67.0).abs() < 1e-9);
    assert!(value("csi").is_some_and(|v| v > 0.0 && v < 100.0));

    // A rebuild from the raw rows changes nothing.
    let admin = grant(Action::JobAdmin);
    app::kpi::rebuild(&env.app, &admin, nov).await.unwrap();
    assert_eq!(quality_counters(env, "2026-11").await, kept);

    // Rows behind the workflows' back: a finished survey with its answers and a
    // submitted visit of the western station, then a rebuild.
    let id = raw_invitation(env, &fx, west, "2026-08", "h-c").await;
    let mut c = env.app.db.pool.acquire().await.unwrap();
    for (k, v) in survey_answers(4, 9) {
        store::survey::answer::save(
            &mut c,
            &store::survey::answer::AnswerRow {
                invitation_id: id,
                question_key: k,
                version: 1,
                score: v.parse().ok(),
                text: None,
                answered_at: ms(2026, 11, 26, 9, 0),
            },
        )
        .await
        .unwrap();
    }
    store::survey::close(
        &mut c,
        id,
        "answered",
        None,
        Some("agent"),
        None,
        ms(2026, 11, 26, 9, 0),
    )
    .await
    .unwrap();
    let checklist: i64 = sqlx::query_scalar("SELECT MIN(id) FROM audit_checklists")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    let region: i64 = sqlx::query_scalar("SELECT region_id FROM stations WHERE id = $1")
        .bind(west)
        .fetch_one(&mut *c)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO audit_visits (station_id, region_id, checklist_id, kind, auditor_id, visited_on, \
         state, passed, failed, not_applicable, created_at, submitted_at) \
         VALUES ($1, $2, $3, 'head_office', 7, '2026-11-30', 'submitted', 40, 20, 8, 0, 0)",
    )
    .bind(west)
    .bind(region)
    .bind(checklist)
    .execute(&mut *c)
    .await
    .unwrap();
    drop(c);
    app::kpi::rebuild(&env.app, &admin, nov).await.unwrap();
    let after = assert_equal_to_sql(env).await;
    assert_eq!(after[&(west, "nps".to_string())], (1, 2, 0));
    assert_eq!(after[&(west, "audit_compliance".to_string())], (40, 60, 0));
}
