//! Daily reconciliation against the sandbox provider's statement, over real HTTP
//! on SQLite or (with TEST_DATABASE_URL) PostgreSQL: matched, missing (a lost
//! notice), extra (money in our books only), amount mismatch; the station sees its
//! own lines, head office also statement lines naming no payment of ours; the CSV
//! export; a malformed day named.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::billing::provider::{Callback, SANDBOX, Sandbox};
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestApp;

const DAY: &str = "2026-11-24";

async fn start(t: &TestApp, tok: &str, ro: i64) -> (String, i64) {
    let r = t
        .client()
        .post(format!(
            "{}/api/v1/repair-orders/{ro}/payments/online",
            t.base
        ))
        .bearer_auth(tok)
        .json(&json!({"provider": "sandbox"}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert!(v["payment_ref"].is_string(), "{v}");
    (
        v["payment_ref"].as_str().unwrap().to_string(),
        v["amount_fen"].as_i64().unwrap(),
    )
}

async fn post(t: &TestApp, body: &str, signature: &str) {
    let r = t
        .client()
        .post(format!("{}/api/v1/payments/callback", t.base))
        .header("x-aftersales-signature", signature)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

async fn sandbox_row(t: &TestApp, pref: &str, provider_ref: &str, amount: i64) {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    store::billing::sandbox::insert(
        &mut c,
        &store::billing::sandbox::SandboxTransaction {
            payment_ref: pref.into(),
            provider_ref: provider_ref.into(),
            amount_fen: amount,
            status: "paid".into(),
            at: t.app.now_ms(),
        },
    )
    .await
    .unwrap();
}

async fn get(c: &reqwest::Client, url: String) -> (StatusCode, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

fn count(html: &str, outcome: &str) -> usize {
    html.matches(&format!("<tr data-outcome=\"{outcome}\""))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_is_reconciled_line_by_line_for_the_station_and_head_office() {
    let t = TestApp::spawn().await;
    let tok = t.token(domain::role::Role::ServiceAdvisor).await;
    let sandbox = Sandbox::for_app(&t.app).unwrap();
    // Matched: the whole sandbox flow.
    let (ro, _) = t.delivered_order().await;
    let (pref, amount) = start(&t, &tok, ro).await;
    let s = app::billing::sandbox_submit(&t.app, &pref, true)
        .await
        .unwrap();
    post(&t, &s.body, &s.signature).await;
    // Missing: the provider took the money again, its notice was lost.
    sandbox_row(&t, &pref, "SBX-LOST", amount).await;
    // Extra and mismatch: second payments in our books that the statement does not
    // carry as we booked them.
    for (provider_ref, statement) in [("SBX-EXTRA", None), ("SBX-MISMATCH", Some(1))] {
        let cb = Callback {
            provider: SANDBOX.into(),
            payment_ref: pref.clone(),
            provider_ref: provider_ref.into(),
            amount_fen: amount,
            status: "paid".into(),
        };
        let signed = sandbox.sign(&cb, t.app.now_ms()).unwrap();
        post(&t, &signed.body, &signed.signature).await;
        if let Some(d) = statement {
            sandbox_row(&t, &pref, provider_ref, amount + d).await;
        }
    }
    // A statement line naming no payment of ours: head office's alone.
    sandbox_row(&t, "not-ours", "SBX-STRAY", 999).await;

    let (station, _) = t.login("service_advisor").await;
    let (s, html) = get(
        &station,
        format!("{}/console/reconciliation?day={DAY}", t.base),
    )
    .await;
    assert_eq!(s, 200, "{html}");
    assert_eq!(
        ["matched", "missing", "extra", "amount_mismatch"].map(|o| count(&html, o)),
        [1, 1, 1, 1],
        "{html}"
    );
    assert!(!html.contains("SBX-STRAY"));
    assert!(!html.contains("recon-all-matched"));
    let (head, _) = t.login("administrator").await;
    let (_, html) = get(
        &head,
        format!("{}/console/reconciliation?day={DAY}", t.base),
    )
    .await;
    assert_eq!(count(&html, "missing"), 2, "{html}");
    assert!(html.contains("SBX-STRAY"));
    // Another day: nothing.
    let (_, html) = get(
        &station,
        format!("{}/console/reconciliation?day=2026-11-20", t.base),
    )
    .await;
    assert!(html.contains("id=\"no-recon\""));
    // The export.
    let r = station
        .get(format!("{}/console/reconciliation.csv?day={DAY}", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let body = r.text().await.unwrap();
    assert!(body.starts_with('\u{feff}'));
    assert_eq!(body.lines().count(), 5, "{body}");
    assert!(body.contains("amount_mismatch,SBX-MISMATCH"));
    // A malformed day is named.
    let (s, html) = get(
        &station,
        format!("{}/console/reconciliation?day=24.11.2026", t.base),
    )
    .await;
    assert_eq!(s, 422, "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_paid_through_the_sandbox_reconciles_matched() {
    let t = TestApp::spawn().await;
    let tok = t.token(domain::role::Role::ServiceAdvisor).await;
    let (ro, _) = t.delivered_order().await;
    let (pref, _) = start(&t, &tok, ro).await;
    let s = app::billing::sandbox_submit(&t.app, &pref, true)
        .await
        .unwrap();
    post(&t, &s.body, &s.signature).await;
    let (c, _) = t.login("service_advisor").await;
    let (_, html) = get(&c, format!("{}/console/reconciliation?day={DAY}", t.base)).await;
    assert!(html.contains("id=\"recon-all-matched\""), "{html}");
    assert_eq!(count(&html, "matched"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_neutralise_cells_a_spreadsheet_would_evaluate() {
    let t = TestApp::spawn().await;
    // A statement line whose references an outsider chose: formulas.
    sandbox_row(&t, "@SUM(A1:A9)", "=HYPERLINK(\"http://x\")", 100).await;
    let (head, _) = t.login("administrator").await;
    let r = head
        .get(format!("{}/console/reconciliation.csv?day={DAY}", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("'=HYPERLINK"), "{body}");
    assert!(body.contains("'@SUM(A1:A9)"), "{body}");
    assert!(!body.contains(",=HYPERLINK"), "{body}");
    let r = head
        .get(format!("{}/console/reconciliation.xlsx?day={DAY}", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = r.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK", "an XLSX is a zip archive");
    // A station user without the line sees an empty workbook, still a workbook.
    let (station, _) = t.login("service_advisor").await;
    let r = station
        .get(format!("{}/console/reconciliation.xlsx?day={DAY}", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nightly_job_reconciles_yesterday_flags_bills_and_arms_the_next_night() {
    let t = TestApp::spawn().await;
    let tok = t.token(domain::role::Role::ServiceAdvisor).await;
    let (ro, _) = t.delivered_order().await;
    // The server arms tonight's run when it starts.
    app::billing::nightly::ensure(&t.app).await.unwrap();
    // A paid order, then a second charge whose notice was lost: the statement
    // has money our books do not.
    let (pref, amount) = start(&t, &tok, ro).await;
    let s = app::billing::sandbox_submit(&t.app, &pref, true)
        .await
        .unwrap();
    post(&t, &s.body, &s.signature).await;
    sandbox_row(&t, &pref, "SBX-LOST-NIGHT", amount).await;
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let due: Vec<(String, i64)> =
        sqlx::query_as("SELECT dedupe_key, due_at FROM timers WHERE kind = 'billing.reconcile'")
            .fetch_all(&mut *c)
            .await
            .unwrap();
    // 2026-11-25 02:00 Shanghai, for the 24th.
    assert_eq!(
        due,
        [(
            format!("billing.reconcile:{DAY}"),
            "2026-11-24T18:00:00Z"
                .parse::<jiff::Timestamp>()
                .unwrap()
                .as_millisecond()
        )]
    );
    drop(c);
    let w = app::job::worker::Worker::with_client(
        t.app.clone(),
        app::job::handler::Registry::standard(),
        reqwest::Client::new(),
        "test".into(),
    );
    // Other due work (the owner link's message) may run; the reconciliation may not.
    w.run_once().await.unwrap();
    let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reconciliation_runs")
        .fetch_one(&t.app.db.pool)
        .await
        .unwrap();
    assert_eq!(runs, 0, "not yet");
    t.clock.advance_ms(17 * 3_600_000 + 60_000);
    assert!(w.run_once().await.unwrap() >= 1);
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let run: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT matched, amount_mismatch, missing, extra FROM reconciliation_runs WHERE day = $1 AND provider = 'sandbox'",
    )
    .bind(DAY)
    .fetch_one(&mut *c)
    .await
    .unwrap();
    assert_eq!(run, (1, 0, 1, 0));
    let flagged: i64 = sqlx::query_scalar("SELECT needs_reconciliation FROM bills")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!(flagged, 1, "the bill of the missing line is flagged");
    let next: Vec<String> = sqlx::query_scalar(
        "SELECT dedupe_key FROM timers WHERE kind = 'billing.reconcile' AND state = 'queued'",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    assert_eq!(next, ["billing.reconcile:2026-11-25"]);
    drop(c);
    // The page shows what the night found.
    let (head, _) = t.login("administrator").await;
    let (_, html) = get(
        &head,
        format!("{}/console/reconciliation?day={DAY}", t.base),
    )
    .await;
    assert!(html.contains("id=\"recon-nightly\""), "{html}");
}
