//! Billing pages and exports name a bill by its number, with links to the bill and
//! its repair order, never by the bill's row id (issue 22 follow-up), over real HTTP
//! on SQLite or (with TEST_DATABASE_URL) PostgreSQL: the reconciliation page and its
//! CSV, the payment-notice ledger (which also filters by the number), and the API's
//! ledger filter by number.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestApp;

const DAY: &str = "2026-11-24";

async fn get(c: &reqwest::Client, url: String) -> (StatusCode, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// A delivered order paid through the sandbox: its order id, bill id and number.
async fn paid_order(t: &TestApp) -> (i64, i64, String) {
    let tok = t.token(domain::role::Role::ServiceAdvisor).await;
    let (ro, _) = t.delivered_order().await;
    let v: Value = t
        .client()
        .post(format!(
            "{}/api/v1/repair-orders/{ro}/payments/online",
            t.base
        ))
        .bearer_auth(&tok)
        .json(&json!({"provider": "sandbox"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pref = v["payment_ref"].as_str().unwrap().to_string();
    let s = app::billing::sandbox_submit(&t.app, &pref, true)
        .await
        .unwrap();
    let r = t
        .client()
        .post(format!("{}/api/v1/payments/callback", t.base))
        .header("x-aftersales-signature", &s.signature)
        .body(s.body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let (id, number): (i64, String) =
        sqlx::query_as("SELECT id, number FROM bills WHERE repair_order_id = $1")
            .bind(ro)
            .fetch_one(&mut *c)
            .await
            .unwrap();
    (ro, id, number)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reconciliation_page_and_export_name_the_bill_by_number() {
    let t = TestApp::spawn().await;
    let (ro, bill_id, number) = paid_order(&t).await;
    assert!(number.starts_with("INV-"), "{number}");
    let (c, _) = t.login("service_advisor").await;
    let (s, html) = get(&c, format!("{}/console/reconciliation?day={DAY}", t.base)).await;
    assert_eq!(s, StatusCode::OK);
    let row = html
        .split("<tr data-outcome=\"matched\"")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(
        row.contains(&format!(
            "<a class=\"bill-number\" href=\"/console/orders/{ro}/bill\">{number}</a>"
        )),
        "{row}"
    );
    assert!(
        row.contains(&format!("href=\"/console/orders/{ro}\">工单</a>")),
        "{row}"
    );
    assert!(
        !row.contains(&format!(">{bill_id}<")),
        "no bare bill id: {row}"
    );
    assert!(html.contains("<th>账单号</th>"));
    // The CSV names the number in the bill column.
    let (s, csv) = get(
        &c,
        format!("{}/console/reconciliation.csv?day={DAY}", t.base),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().contains("账单号"));
    let line = lines.next().unwrap();
    let cells: Vec<&str> = line.split(',').collect();
    assert_eq!(cells[0], "matched");
    assert_eq!(cells[3], number, "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notice_ledger_names_and_filters_bills_by_number() {
    let t = TestApp::spawn().await;
    let (ro, bill_id, number) = paid_order(&t).await;
    let (c, _) = t.login("service_advisor").await;
    let (s, html) = get(&c, format!("{}/console/payment-notices", t.base)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains(&format!(
            "<a class=\"bill-number\" href=\"/console/orders/{ro}/bill\">{number}</a>"
        )),
        "{html}"
    );
    assert!(html.contains(&format!("href=\"/console/orders/{ro}\">工单</a>")));
    // Filtered by the number a cashier reads off the bill...
    let (_, html) = get(
        &c,
        format!("{}/console/payment-notices?bill_number={number}", t.base),
    )
    .await;
    assert!(html.contains("data-verdict=\"applied\""), "{html}");
    assert!(
        html.contains(&format!("value=\"{number}\"")),
        "kept in the box"
    );
    let (_, html) = get(
        &c,
        format!(
            "{}/console/payment-notices?bill_number=INV-9999-99999999",
            t.base
        ),
    )
    .await;
    assert!(html.contains("id=\"no-notices\""), "{html}");
    // ...and by the bill page's link, which shows the number in the box.
    let (_, html) = get(
        &c,
        format!("{}/console/payment-notices?bill_id={bill_id}", t.base),
    )
    .await;
    assert!(html.contains("data-verdict=\"applied\""));
    assert!(html.contains(&format!("name=\"bill_number\" value=\"{number}\"")));
    // The API: the same filter, and each notice carries the number and the order.
    let tok = t.token(domain::role::Role::ServiceAdvisor).await;
    let v: Value = t
        .client()
        .get(format!(
            "{}/api/v1/payment-notices?bill_number={number}",
            t.base
        ))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let notices = v["notices"].as_array().unwrap();
    assert!(!notices.is_empty(), "{v}");
    assert!(notices.iter().all(|n| n["bill_number"] == number.as_str()));
    assert!(notices.iter().all(|n| n["repair_order_id"] == ro));
    let r = t
        .client()
        .get(format!(
            "{}/api/v1/payment-notices?bill_number={}",
            t.base,
            "X".repeat(41)
        ))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert!(body.to_string().contains("bill_number"), "{body}");
}
