//! The privacy matrix over PAGES (issue 17 leftover 6, issue 21): every console page
//! type, GET as every staff role, and the owner's pages as an owner, must not carry a
//! whole phone, ID number or home address that the field policy
//! ([`domain::privacy::see`]) does not let that role see whole in a view. A whole
//! value leaves only through the audited reveal (a POST), never on a page load. On
//! SQLite, and PostgreSQL with TEST_DATABASE_URL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::privacy::{Field, Purpose, Relation, Visibility, see};
use domain::role::Role;
use serde_json::{Value, json};
use testkit::TestApp;

/// The whole personal values the fixture and this test hold, each with its field.
const WHOLE: &[(&str, Field)] = &[
    ("13800000001", Field::CustomerPhone),
    ("13800000002", Field::CustomerPhone),
    ("110101199003077777", Field::CustomerIdNumber),
    ("13900000000", Field::StaffPhone),
    ("北京市朝阳区建国路88号", Field::PickupAddress),
];

/// Whether `role` may see `field` whole on a page in any relation a page can hold.
fn whole_allowed(role: Role, field: Field, own: bool) -> bool {
    let rels: &[Relation] = if own {
        &[Relation::Own]
    } else {
        &[Relation::InReach, Relation::Assigned]
    };
    rels.iter()
        .any(|rel| see(role, field, *rel, Purpose::View) == Visibility::Whole)
}

/// Fails naming the role, page and field when `body` carries a whole value the
/// role may not see; `own` lists the values that are the reader's own.
fn check(role: Role, page: &str, body: &str, own: &[&str]) {
    for (value, field) in WHOLE {
        let is_own = own.contains(value);
        if body.contains(value) && !whole_allowed(role, *field, is_own) {
            panic!("{role:?} sees {field:?} whole ({value}) on {page}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_shows_a_whole_phone_id_number_or_address_to_a_role_that_may_not_see_it() {
    let t = TestApp::spawn().await;
    let a = t.fx.customer_a;
    // A pick-up with a home address, an order and a bill: the pages that carry them.
    let (order, _) = t.delivered_order().await;
    let tok = t.token(Role::ServiceAdvisor).await;
    let r = t
        .client()
        .post(format!("{}/api/v1/pickups", t.base))
        .bearer_auth(&tok)
        .json(&json!({
            "repair_order_id": order, "address": "北京市朝阳区建国路88号",
            "window_start": "2026-11-24 17:00", "window_end": "2026-11-24 19:00",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let pickup = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let mut conn = t.app.db.pool.acquire().await.unwrap();
    let advisor: i64 =
        sqlx::query_scalar("SELECT id FROM staff WHERE username = 'service_advisor'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    drop(conn);
    let v = t.fx.vehicle_a;
    let pages = [
        "/console".to_string(),
        "/console/customers".into(),
        "/console/customers?q=0001".into(),
        format!("/console/customers/{a}"),
        format!("/console/customers/{a}/edit"),
        "/console/vehicles".into(),
        format!("/console/vehicles/{v}"),
        "/console/staff".into(),
        format!("/console/staff/{advisor}"),
        format!("/console/staff/{advisor}/edit"),
        "/console/pickups".into(),
        format!("/console/pickups/{pickup}"),
        format!("/console/orders/{order}"),
        format!("/console/orders/{order}/bill"),
        "/console/board".into(),
        "/console/jobs".into(),
        "/console/appointments".into(),
        "/console/audit".into(),
        "/console/privacy-requests".into(),
        "/console/complaints".into(),
    ];
    let mut shown = 0;
    let mut masked_seen = false;
    for role in Role::staff() {
        let (c, _) = t.login(role.code()).await;
        for page in &pages {
            let r = c.get(format!("{}{page}", t.base)).send().await.unwrap();
            if r.status() != 200 {
                continue;
            }
            let body = r.text().await.unwrap();
            check(role, page, &body, &[]);
            masked_seen |= body.contains("138****0001");
            shown += 1;
        }
    }
    assert!(shown > 100, "pages were read: {shown}");
    assert!(masked_seen, "the customer's masked phone is on some page");

    // The owner's pages: their own values as the policy says for their own record,
    // nobody else's.
    let (c, _) = t.owner_session("+8613800000001").await;
    for page in [
        "/owner",
        "/owner/data",
        "/owner/privacy",
        "/owner/appointments",
        "/owner/pickups",
        "/owner/book",
    ] {
        let r = c.get(format!("{}{page}", t.base)).send().await.unwrap();
        if r.status() != 200 {
            continue;
        }
        let body = r.text().await.unwrap();
        check(
            Role::Owner,
            page,
            &body,
            &[
                "13800000001",
                "110101199003077777",
                "北京市朝阳区建国路88号",
            ],
        );
    }
}

/// The check itself fails on a leak: a page carrying another customer's whole
/// number for a technician is caught (so the test above can fail).
#[test]
#[should_panic(expected = "sees CustomerPhone whole")]
fn the_page_check_catches_a_whole_number() {
    check(Role::Technician, "/console/x", "<td>13800000002</td>", &[]);
}
