//! The KPI engine against an independent computation (issue 11, "tests that must
//! exist"): for a month, every KPI with a data source (first-time fix, repair time,
//! on-time delivery, complaint 1 h / 2 h response, 3-day closure; CSI, NPS and audit
//! compliance in `kpi/quality.rs`) read from the
//! monthly counters equals plain SQL over the raw rows, on SQLite and on PostgreSQL
//! when `TEST_DATABASE_URL` is set. The counters are first kept by the workflows
//! themselves (a delivery, a comeback, complaints answered, closed and moved), then
//! rebuilt after raw rows are written behind the workflows' back; the stars batch
//! runs twice to the same rows and flags a station two quarters below.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::complaint::FileInput;
use app::complaint::action::{AnalysisInput, FollowUpInput, NoteInput, ReassignInput, ZeroInput};
use app::repair_order::WalkInInput;
use domain::kpi::{KpiKey, Period, YearMonth};
use domain::permission::Action;

use crate::common;
use crate::desk;
use crate::kpi_sql;
use common::{Env, at};
use desk::*;
use kpi_sql::{Sums, engine, plain_sql};

on_both_backends!(
    counters_equal_plain_sql_after_the_workflows_and_after_a_rebuild,
    stars_are_idempotent_and_flag_two_quarters_below,
    bad_periods_are_refused_naming_the_field,
    csi_nps_and_audit_compliance_equal_plain_sql,
);

#[path = "kpi/quality.rs"]
mod quality;
use quality::csi_nps_and_audit_compliance_equal_plain_sql;

fn ms(y: i16, m: i8, d: i8, h: i8, min: i8) -> i64 {
    at(y, m, d, h, min).as_millisecond()
}

fn month_bounds(y: i16, m: i8) -> (i64, i64) {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (ms(y, m, 1, 0, 0), ms(ny, nm, 1, 0, 0))
}

async fn second_station(env: &Env) -> (i64, i64) {
    let mut tx = env.app.db.begin().await.unwrap();
    let region = store::network::insert_region(&mut tx, "WEST", "西部", "West")
        .await
        .unwrap();
    let station = store::network::insert_station(
        &mut tx,
        &store::network::StationFields {
            code: "CD-0001".into(),
            name_zh: "成都武侯服务站".into(),
            name_en: "Chengdu Wuhou".into(),
            region_id: region,
            address: "成都市武侯区1号".into(),
            adcode: "510107".into(),
            city: "成都".into(),
            lon_e6: 104_060_000,
            lat_e6: 30_670_000,
            opening_hours: "08:30-17:30".into(),
            bays: 2,
            capabilities: vec![],
            labour_rate_fen: 20_000,
        },
        0,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (station, region)
}

fn complaint_input(fx: &Fx) -> FileInput {
    FileInput {
        station_id: fx.station,
        customer_id: Some(fx.customer),
        vehicle_id: Some(fx.vehicle),
        repair_order_id: None,
        channel: "hotline".into(),
        source_link: None,
        category: "repair_quality".into(),
        severity: "normal".into(),
        urgent_reason: None,
        description: "保养后仍有异响".into(),
        part_number: None,
    }
}

async fn close(env: &Env, id: i64) {
    use app::complaint::action as a;
    let w = grant(Action::ComplaintWrite);
    let note = NoteInput {
        note: "处理".into(),
    };
    a::act(&env.app, &w, id, "start_analysis", &note)
        .await
        .unwrap();
    a::analyse(
        &env.app,
        &w,
        id,
        &AnalysisInput {
            responsibility: "station".into(),
            cause: "安装不当".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    for ev in [
        "propose_solution",
        "customer_accepts",
        "start_work",
        "finish_work",
    ] {
        a::act(&env.app, &w, id, ev, &note).await.unwrap();
    }
    for (z, s, t) in [
        ("complaint", "done", "客户确认"),
        ("management", "done", "培训"),
        ("technical", "not_applicable", "非产品问题"),
    ] {
        app::complaint::closure::set_zero(
            &env.app,
            &w,
            id,
            &ZeroInput {
                zero: z.into(),
                status: s.into(),
                text: t.into(),
            },
        )
        .await
        .unwrap();
    }
    app::complaint::closure::follow_up(
        &env.app,
        &w,
        id,
        &FollowUpInput {
            satisfaction: 5,
            accepts_closure: true,
            note: "满意".into(),
        },
    )
    .await
    .unwrap();
    a::act(&env.app, &w, id, "close", &note).await.unwrap();
}

/// Raw orders and complaints written straight into the tables (as a bulk import or a
/// repair would), spread over stations, October to December, with comebacks inside
/// and outside the window, orders with and without a promise, complaints answered
/// late or never.
async fn raw_rows(env: &Env, fx: &Fx, stations: &[i64], policy_id: i64) {
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let mut seed: u64 = 7;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let mut delivered: Vec<(i64, i64)> = Vec::new();
    for i in 0..120 {
        let station = stations[next(stations.len() as u64) as usize];
        let day = 1 + next(28) as i8;
        let month = [10i8, 11, 12][next(3) as usize];
        let received = ms(2026, month, day, 8, 0) + (next(600) as i64) * 60_000;
        let delivered_at = received + (30 + next(2000) as i64) * 60_000 + (next(60) as i64) * 1000;
        let promised = match next(3) {
            0 => None,
            _ => Some(received + (next(1500) as i64 + 30) * 60_000),
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO repair_orders (station_id, customer_id, vehicle_id, concern, state, \
             standard_version, hourly_rate_fen, vat_bp, promised_at, received_at, delivered_at, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, 'delivered', 1, 20000, 1300, $5, $6, $7, $6, $7) \
             RETURNING id",
        )
        .bind(station)
        .bind(fx.customer)
        .bind(fx.vehicle)
        .bind(format!("raw {i}"))
        .bind(promised)
        .bind(received)
        .bind(delivered_at)
        .fetch_one(&mut *c)
        .await
        .unwrap();
        delivered.push((id, delivered_at));
    }
    // Comebacks: some a few days later, some two years later (outside the window).
    for k in 0..30 {
        let (of, d) = delivered[next(delivered.len() as u64) as usize];
        let later = if k % 4 == 0 {
            730 * 86_400_000
        } else {
            (1 + next(20) as i64) * 86_400_000
        };
        sqlx::query(
            "INSERT INTO repair_orders (station_id, customer_id, vehicle_id, concern, state, \
             standard_version, hourly_rate_fen, vat_bp, received_at, comeback_of, created_at, updated_at) \
             VALUES ($1, $2, $3, 'comeback', 'open', 1, 20000, 1300, $4, $5, $4, $4)",
        )
        .bind(stations[0])
        .bind(fx.customer)
        .bind(fx.vehicle)
        .bind(d + later)
        .bind(of)
        .execute(&mut *c)
        .await
        .unwrap();
    }
    for _ in 0..60 {
        let station = stations[next(stations.len() as u64) as usize];
        let month = [10i8, 11, 12][next(3) as usize];
        let received = ms(2026, month, 1 + next(28) as i8, 9, 0);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO complaints (station_id, region_id, channel, category, severity, description, \
             state, policy_id, clock_no, clock_started_at, received_at, created_by) \
             SELECT id, region_id, 'hotline', 'repair_quality', 'normal', 'raw', 'received', $2, 1, $3, $3, 1 \
             FROM stations WHERE id = $1 RETURNING id",
        )
        .bind(station)
        .bind(policy_id)
        .bind(received)
        .fetch_one(&mut *c)
        .await
        .unwrap();
        let event = |kind: &'static str, at: i64| (kind, at);
        let mut evs = Vec::new();
        match next(4) {
            0 => {}
            1 => evs.push(event("responded", received + (next(50) as i64) * 60_000)),
            2 => evs.push(event(
                "acknowledge",
                received + (61 + next(58) as i64) * 60_000,
            )),
            _ => evs.push(event(
                "responded",
                received + (121 + next(500) as i64) * 60_000,
            )),
        }
        if next(2) == 0 {
            evs.push(event("close", received + (next(5 * 24) as i64) * 3_600_000));
        }
        for (kind, at) in evs {
            sqlx::query(
                "INSERT INTO complaint_events (complaint_id, at, kind, actor_role, actor_id, detail) \
                 VALUES ($1, $2, $3, 'station_manager', 1, '{}')",
            )
            .bind(id)
            .bind(at)
            .bind(kind)
            .execute(&mut *c)
            .await
            .unwrap();
        }
    }
}

async fn counters_equal_plain_sql_after_the_workflows_and_after_a_rebuild(env: &Env) {
    let fx = fixture(env).await;
    let (west, _) = second_station(env).await;
    let w = grant(Action::ComplaintWrite);
    let note = NoteInput {
        note: "已致电".into(),
    };
    // Complaints through the workflow: answered in 40 min, acknowledged in 90 min and
    // closed the same day, never answered and moved to the western station.
    env.set(at(2026, 11, 20, 9, 0));
    let c1 = app::complaint::file(&env.app, &w, &complaint_input(&fx))
        .await
        .unwrap()
        .id;
    env.set(at(2026, 11, 20, 9, 40));
    app::complaint::action::respond(&env.app, &w, c1, &note)
        .await
        .unwrap();
    env.set(at(2026, 11, 20, 10, 0));
    let c2 = app::complaint::file(&env.app, &w, &complaint_input(&fx))
        .await
        .unwrap()
        .id;
    env.set(at(2026, 11, 20, 11, 30));
    app::complaint::action::act(&env.app, &w, c2, "acknowledge", &note)
        .await
        .unwrap();
    close(env, c2).await;
    let c3 = app::complaint::file(&env.app, &w, &complaint_input(&fx))
        .await
        .unwrap()
        .id;
    app::complaint::action::reassign(&env.app, &w, c3, &ReassignInput { station_id: west })
        .await
        .unwrap();
    // An order delivered 24 Nov 13:00 (3 h, parts only), and its comeback the next day.
    let first = delivered_order_for(env, &fx, "刹车异响").await;
    env.set(at(2026, 11, 25, 9, 0));
    let back = app::repair_order::open_walk_in(
        &env.app,
        &grant(Action::RepairOrderWrite),
        &WalkInInput {
            second_order_reason: Some("返修".into()),
            station_id: fx.station,
            vehicle_id: fx.vehicle,
            vin: None,
            concern: "刹车异响".into(),
            concern_code: None,
            service_type: None,
        },
    )
    .await
    .unwrap();
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let of: Option<i64> = sqlx::query_scalar("SELECT comeback_of FROM repair_orders WHERE id = $1")
        .bind(back)
        .fetch_one(&mut *c)
        .await
        .unwrap();
    drop(c);
    assert_eq!(
        of,
        Some(first),
        "the second order is a comeback of the first"
    );

    let (from, to) = month_bounds(2026, 11);
    let kept = engine(env, "2026-11").await;
    let s = fx.station;
    // Hand-checked before comparing with SQL, so an empty pair cannot pass.
    assert_eq!(kept.get(&(s, "ffv".into())), Some(&(0, 1, 0)));
    assert_eq!(kept.get(&(s, "mdt".into())), Some(&(0, 1, 180)));
    // Parts only: no labour line, so no promise, so not on time.
    assert_eq!(kept.get(&(s, "on_time".into())), Some(&(0, 1, 0)));
    assert_eq!(
        kept.get(&(s, "complaint_response_1h".into())),
        Some(&(1, 2, 0))
    );
    assert_eq!(
        kept.get(&(s, "complaint_response_2h".into())),
        Some(&(2, 2, 0))
    );
    assert_eq!(
        kept.get(&(s, "complaint_closure_3d".into())),
        Some(&(1, 2, 0))
    );
    assert_eq!(
        kept.get(&(west, "complaint_response_1h".into())),
        Some(&(0, 1, 0))
    );
    assert_eq!(kept, plain_sql(env, from, to).await);

    // A rebuild of the month from the raw rows changes nothing.
    let admin = grant(Action::JobAdmin);
    let nov = YearMonth {
        year: 2026,
        month: 11,
    };
    app::kpi::rebuild(&env.app, &admin, nov).await.unwrap();
    assert_eq!(engine(env, "2026-11").await, kept);

    // Raw rows behind the workflows' back, then a rebuild of each month.
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let policy: i64 = sqlx::query_scalar("SELECT policy_id FROM complaints WHERE id = $1")
        .bind(c1)
        .fetch_one(&mut *c)
        .await
        .unwrap();
    drop(c);
    raw_rows(env, &fx, &[fx.station, west], policy).await;
    for m in [10i8, 11, 12] {
        let ym = YearMonth {
            year: 2026,
            month: m,
        };
        app::kpi::rebuild(&env.app, &admin, ym).await.unwrap();
        let (from, to) = month_bounds(2026, m);
        let sql = plain_sql(env, from, to).await;
        assert!(
            sql.len() >= 10,
            "{m}: the data covers both stations and every KPI"
        );
        assert_eq!(engine(env, &ym.to_string()).await, sql, "month {ym}");
    }

    // The figures read back: the network is the sum of the two stations, and the
    // station page's numbers are the counters'.
    let read = grant(Action::KpiRead);
    let p = Period::Month(nov);
    let net = app::kpi::figures(&env.app, &read, app::kpi::Scope::Network, p)
        .await
        .unwrap();
    let east = app::kpi::figures(&env.app, &read, app::kpi::Scope::Station(s), p)
        .await
        .unwrap();
    let wst = app::kpi::figures(&env.app, &read, app::kpi::Scope::Station(west), p)
        .await
        .unwrap();
    for ((n, e), x) in net.iter().zip(&east).zip(&wst) {
        assert_eq!(n.counter, e.counter + x.counter, "{}", n.kpi);
    }
    let ffv = net.iter().find(|f| f.kpi == "ffv").unwrap();
    assert!(ffv.counter.denominator > 1 && ffv.value.is_some());
    let parts = net.iter().find(|f| f.kpi == "parts_fill").unwrap();
    assert_eq!(parts.value, None, "no data source yet: no figure, never 0");
    let k = app::kpi::station_kpis(&env.app, &read, s, nov)
        .await
        .unwrap();
    let e_ffv = east.iter().find(|f| f.kpi == "ffv").unwrap().counter;
    assert_eq!(k.first_time_fix.denominator as i64, e_ffv.denominator);
    let d = app::kpi::dashboard(&env.app, &read, app::kpi::Scope::Network, p)
        .await
        .unwrap();
    assert_eq!(d.trend.len(), 12);
    assert_eq!(d.stations.len(), 2);
    let tile = d.tiles.iter().find(|t| t.now.kpi == "ffv").unwrap();
    assert_eq!(tile.now.counter, ffv.counter);
    assert!(tile.before.counter.denominator > 0, "October has orders");
}

async fn stars_are_idempotent_and_flag_two_quarters_below(env: &Env) {
    let fx = fixture(env).await;
    let (west, _) = second_station(env).await;
    let mut c = env.app.db.pool.acquire().await.unwrap();
    // East: every order fixed first time and on time; West: half and never.
    for (month, station, num) in [
        ("2026-07", fx.station, 10),
        ("2026-10", fx.station, 10),
        ("2026-07", west, 5),
        ("2026-10", west, 5),
    ] {
        for (kpi, n, t) in [
            ("ffv", num, 0),
            ("on_time", if num == 10 { 10 } else { 0 }, 0),
        ] {
            store::kpi::add(&mut c, month, kpi, station, (n, 10, t))
                .await
                .unwrap();
        }
    }
    drop(c);
    let admin = grant(Action::NetworkWrite);
    let q3 = Period::Quarter {
        year: 2026,
        quarter: 3,
    };
    let q4 = Period::Quarter {
        year: 2026,
        quarter: 4,
    };
    let first = app::kpi::stars::run_quarter(&env.app, &admin, q3)
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    let q4rows = app::kpi::stars::run_quarter(&env.app, &admin, q4)
        .await
        .unwrap();
    let again = app::kpi::stars::run_quarter(&env.app, &admin, q4)
        .await
        .unwrap();
    let strip = |v: &[app::kpi::stars::StarRow]| {
        v.iter()
            .map(|r| (r.station_id, r.stars, r.score_permille, r.flagged))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        strip(&q4rows),
        strip(&again),
        "a re-run writes the same rows"
    );
    let read = grant(Action::KpiRead);
    let east = q4rows.iter().find(|r| r.station_id == fx.station).unwrap();
    let wst = q4rows.iter().find(|r| r.station_id == west).unwrap();
    assert_eq!((east.stars, east.flagged), (5, false));
    // West: FFV 50 % (250) and on time 0 % (150) -> 31.25 -> 1 star, twice: flagged.
    assert_eq!((wst.stars, wst.score_permille, wst.flagged), (1, 313, true));
    let hist = app::kpi::stars::history(&env.app, &read, west)
        .await
        .unwrap();
    assert_eq!(
        hist.iter().map(|h| h.quarter.as_str()).collect::<Vec<_>>(),
        ["2026Q4", "2026Q3"]
    );
    assert!(
        !hist[1].flagged,
        "the first quarter below is not yet flagged"
    );
    // A policy whose weights do not add up to 1 is refused and nothing changes.
    let mut bad = app::kpi::stars::policy(&env.app, &read).await.unwrap();
    bad.weights[0].1 += 1;
    let e = app::kpi::stars::publish(&env.app, &admin, bad)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "kpi.weights_sum");
    assert_eq!(
        app::kpi::stars::policy(&env.app, &read)
            .await
            .unwrap()
            .version,
        1
    );
    // The timer: the quarterly batch is armed on the job machinery and runs by itself.
    app::kpi::stars::ensure(&env.app).await.unwrap();
    let mut c = env.app.db.pool.acquire().await.unwrap();
    let armed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM timers WHERE kind = 'kpi.stars'")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!(armed, 1);
    let _ = KpiKey::Csi;
}

async fn bad_periods_are_refused_naming_the_field(env: &Env) {
    for (text, rule_code) in [
        ("2026-13", "kpi.period_malformed"),
        ("2026Q7", "kpi.period_malformed"),
        ("next month", "kpi.period_malformed"),
        ("2026-12", "kpi.period_future"),
        ("2027Q1", "kpi.period_future"),
    ] {
        let e = app::kpi::parse_period(&env.app, text).unwrap_err();
        // A malformed period is bad input (422); one still to come depends on the
        // clock and is refused (409).
        match &e {
            app::AppError::Invalid(v) if rule_code != "kpi.period_future" => assert_eq!(
                (v.0[0].field.as_str(), v.0[0].rule),
                ("period", rule_code),
                "{text}"
            ),
            app::AppError::Refused(v) if rule_code == "kpi.period_future" => assert_eq!(
                (v.0[0].field.as_str(), v.0[0].rule),
                ("period", rule_code),
                "{text}"
            ),
            other => panic!("{text}: {other:?}"),
        }
    }
    assert!(app::kpi::parse_period(&env.app, "2026Q4").is_ok());
    assert!(app::kpi::parse_period(&env.app, "2026-11").is_ok());
}
