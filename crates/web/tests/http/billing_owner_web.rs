//! The owner's phone pages at the end of the service loop, over real HTTP on SQLite,
//! and on PostgreSQL when `TEST_DATABASE_URL` is set: on the owner link (no sign-in)
//! the electronic bill of a delivered order, online payment through the sandbox
//! provider's checkout and back, the rating once; forged form tokens refused. On
//! "my appointments", the signed-in owner reschedules and cancels with a reason, and
//! reaches no one else's appointments.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use domain::permission::{Action, Grant, Principal, Unit};
use domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::TestApp;

fn admin(a: Action) -> Grant {
    Principal {
        kind: domain::permission::ActorKind::Person,
        id: 1,
        name: "admin".into(),
        role: Role::Administrator,
        unit: Unit::HeadOffice,
    }
    .grant(a)
    .unwrap()
}

async fn estimated_order(t: &TestApp) -> (i64, Vec<u32>) {
    t.estimated_order().await
}

async fn delivered_order(t: &TestApp) -> (i64, String) {
    t.delivered_order().await
}

/// A browser: keeps cookies and follows redirects.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

/// The value of the first hidden input named `name`.
fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no hidden {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

async fn get(c: &reqwest::Client, url: &str) -> (StatusCode, String, String) {
    let r = c.get(url).send().await.unwrap();
    let s = r.status();
    let at = r.url().path().to_string();
    (s, at, r.text().await.unwrap())
}

async fn post(
    c: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let r = c.post(url).form(form).send().await.unwrap();
    let s = r.status();
    let at = r.url().path().to_string();
    (s, at, r.text().await.unwrap())
}

/// The bill as the owner API shows it.
async fn owner_bill(t: &TestApp, token: &str) -> Value {
    let r = t
        .client()
        .get(format!("{}/api/v1/owner-links/{token}/bill", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn events(t: &TestApp, ro: i64, kind: &str) -> usize {
    let mut conn = t.app.db.pool.acquire().await.unwrap();
    store::event::for_entity(&mut conn, "repair_order", ro)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.kind == kind)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_pays_through_the_sandbox_and_rates_once_from_the_link() {
    let t = TestApp::spawn().await;
    let (ro, token) = delivered_order(&t).await;
    let page_url = format!("{}/owner/track/{token}", t.base);
    let c = browser();

    // The delivered order's page shows the electronic bill, issued once.
    let (s, _, html) = get(&c, &page_url).await;
    assert_eq!(s, StatusCode::OK);
    for want in [
        "电子账单",
        "INV-",
        "OIL-FILTER",
        "¥410.00",
        "增值税 (13%)",
        "¥53.30",
        "¥463.30",
        "id=\"pay-online\"",
        "id=\"rate-form\"",
        "name=\"stars\" value=\"5\"",
    ] {
        assert!(html.contains(want), "{want} in {html}");
    }
    let form_token = hidden(&html, "csrf");
    let _ = get(&c, &page_url).await;
    assert_eq!(events(&t, ro, "bill_issued").await, 1);
    assert_eq!(owner_bill(&t, &token).await["bill"]["gross_fen"], 46_330);

    // Forged form tokens: a wrong value, or the right value from a browser without
    // the cookie (another site's form). Refused, nothing started.
    let (s, _, html) = post(
        &c,
        &format!("{page_url}/pay"),
        &[("csrf", "forged-0000000000000000000000000000000000")],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(html.contains("表单已过期"), "{html}");
    let (s, _, _) = post(
        &browser(),
        &format!("{page_url}/pay"),
        &[("csrf", &form_token)],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = post(
        &browser(),
        &format!("{page_url}/rating"),
        &[("csrf", &form_token), ("stars", "1")],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(
        owner_bill(&t, &token).await["payments"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Pay online: to the sandbox checkout (which knows the way back).
    let (s, at, html) = post(&c, &format!("{page_url}/pay"), &[("csrf", &form_token)]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(at.starts_with("/sandbox-pay/"), "{at}");
    assert!(
        html.contains("¥463.30") && html.contains("沙箱支付"),
        "{html}"
    );
    assert_eq!(hidden(&html, "return"), format!("/owner/track/{token}"));
    // The provider's page pays, signs the callback, and comes back to the owner's page.
    let (s, back, html) = post(
        &c,
        &format!("{}{at}", t.base),
        &[
            ("outcome", "pay"),
            ("return", &format!("/owner/track/{token}")),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(back, format!("/owner/track/{token}"));
    assert!(
        html.contains("id=\"paid\"") && html.contains("已付清"),
        "{html}"
    );
    assert!(!html.contains("id=\"pay-online\""));
    let b = owner_bill(&t, &token).await;
    assert_eq!(b["bill"]["state"], "paid");
    assert_eq!(b["outstanding_fen"], 0);
    assert_eq!(b["payments"][0]["provider"], "sandbox");
    assert_eq!(events(&t, ro, "payment_recorded").await, 1);
    // Paying again is refused by rule.
    let (s, _, html) = post(&c, &format!("{page_url}/pay"), &[("csrf", &form_token)]).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(html.contains("账单已结清"), "{html}");

    // The sandbox never sends the payer anywhere but an owner's page.
    let no_redirect = t.client();
    let r = no_redirect
        .post(format!("{}{at}", t.base))
        .form(&[("outcome", "pay"), ("return", "https://evil.example/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.headers().get("location").is_none());

    // Rating: 0 and 6 stars and none refused naming the rule; nothing recorded.
    for stars in ["0", "6"] {
        let (s, _, html) = post(
            &c,
            &format!("{page_url}/rating"),
            &[("csrf", &form_token), ("stars", stars), ("comment", "x")],
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{stars}");
        assert!(html.contains("评分须在 1..5 之间"), "{html}");
    }
    let (s, _, html) = post(&c, &format!("{page_url}/rating"), &[("csrf", &form_token)]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("评分"), "{html}");
    assert!(owner_bill(&t, &token).await["rating"].is_null());
    // Five stars and a comment: recorded, then shown instead of the form.
    let (s, _, html) = post(
        &c,
        &format!("{page_url}/rating"),
        &[
            ("csrf", &form_token),
            ("stars", "5"),
            ("comment", "师傅很专业"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("感谢您的评价") && html.contains("★★★★★"));
    assert!(html.contains("师傅很专业") && !html.contains("id=\"rate-form\""));
    // A second rating is refused, the first stays.
    let (s, _, html) = post(
        &c,
        &format!("{page_url}/rating"),
        &[("csrf", &form_token), ("stars", "1"), ("comment", "改评")],
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(html.contains("每个工单只能评价一次"), "{html}");
    let b = owner_bill(&t, &token).await;
    assert_eq!(b["rating"]["stars"], 5);
    assert_eq!(b["rating"]["channel"], "owner_page");
    assert_eq!(events(&t, ro, "rated").await, 1);

    // A tampered link is not found.
    let (s, _, _) = get(&c, &format!("{}/owner/track/{}x", t.base, token)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_and_decline_forms_need_the_form_token_and_no_bill_before_delivery() {
    let t = TestApp::spawn().await;
    let (ro, lines) = estimated_order(&t).await;
    let token = app::repair_order::issue_owner_link(&t.app, &admin(Action::RepairOrderWrite), ro)
        .await
        .unwrap();
    let page_url = format!("{}/owner/track/{token}", t.base);
    let c = browser();
    let (s, _, html) = get(&c, &page_url).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("data-approve=\"1\"") && !html.contains("电子账单"));
    let form_token = hidden(&html, "csrf");
    let t = &t;
    let decision = |no: u32| async move {
        let mut conn = t.app.db.pool.acquire().await.unwrap();
        let row: (String,) = sqlx::query_as(
            "SELECT decision FROM estimate_lines WHERE repair_order_id = $1 AND line_no = $2",
        )
        .bind(ro)
        .bind(no as i64)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        row.0
    };
    let approve = format!("{page_url}/lines/{}", lines[0]);
    for (client, tok) in [(&c, "forged"), (&browser(), form_token.as_str())] {
        let (s, _, _) = post(client, &approve, &[("csrf", tok), ("decision", "approve")]).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    assert_eq!(decision(lines[0]).await, "proposed");
    let (s, _, _) = post(
        &c,
        &approve,
        &[("csrf", &form_token), ("decision", "approve")],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(decision(lines[0]).await, "approved");
    let (s, _, _) = post(
        &c,
        &format!("{page_url}/lines/{}", lines[1]),
        &[("csrf", &form_token), ("decision", "decline")],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(decision(lines[1]).await, "declined");
    // Before delivery there is nothing to pay or rate.
    let (s, _, html) = post(&c, &format!("{page_url}/pay"), &[("csrf", &form_token)]).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{html}");
    let (s, _, html) = post(
        &c,
        &format!("{page_url}/rating"),
        &[("csrf", &form_token), ("stars", "5")],
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(html.contains("交车后才能评价"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_sandbox_payment_comes_back_and_can_be_paid_again() {
    let t = TestApp::spawn().await;
    let (_, token) = delivered_order(&t).await;
    let page_url = format!("{}/owner/track/{token}", t.base);
    let c = browser();
    let (_, _, html) = get(&c, &page_url).await;
    let form_token = hidden(&html, "csrf");
    let (_, at, _) = post(&c, &format!("{page_url}/pay"), &[("csrf", &form_token)]).await;
    let (s, back, html) = post(
        &c,
        &format!("{}{at}", t.base),
        &[
            ("outcome", "fail"),
            ("return", &format!("/owner/track/{token}")),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(back, format!("/owner/track/{token}"));
    assert!(html.contains("上次支付未成功") && html.contains("id=\"pay-online\""));
    let (_, at2, _) = post(&c, &format!("{page_url}/pay"), &[("csrf", &form_token)]).await;
    assert_ne!(at, at2);
    let (_, _, html) = post(
        &c,
        &format!("{}{at2}", t.base),
        &[
            ("outcome", "pay"),
            ("return", &format!("/owner/track/{token}")),
        ],
    )
    .await;
    assert!(html.contains("已付清"), "{html}");
    // The checkout page of the closed payment links back to the owner's page.
    let (_, _, html) = get(
        &c,
        &format!("{}{at2}?return=%2Fowner%2Ftrack%2F{token}", t.base),
    )
    .await;
    assert!(
        html.contains(&format!("href=\"/owner/track/{token}\"")),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_reschedules_and_cancels_their_own_appointments() {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    let advisor = t.token(Role::ServiceAdvisor).await;
    let api = t.client();
    let book = |vehicle: i64, start: &'static str| {
        let (api, advisor, base, st) =
            (api.clone(), advisor.clone(), t.base.clone(), t.fx.station_a);
        async move {
            let r = api
                .post(format!("{base}/api/v1/appointments"))
                .bearer_auth(&advisor)
                .json(
                    &json!({"station_id": st, "vehicle_id": vehicle, "service_type": "maintenance",
                              "channel": "hotline", "start": start, "concern": "保养"}),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
            r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
        }
    };
    let mine = book(t.fx.vehicle_a, "2026-11-25 10:00").await;
    let theirs = book(t.fx.vehicle_b, "2026-11-25 11:00").await;
    let appt = |id: i64| {
        let (api, advisor, base) = (api.clone(), advisor.clone(), t.base.clone());
        async move {
            api.get(format!("{base}/api/v1/appointments/{id}"))
                .bearer_auth(&advisor)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };

    let (c, csrf) = t.owner_session("13800000001").await;
    let list = format!("{}/owner/appointments", t.base);
    let html = c.get(&list).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains(&format!("data-reschedule=\"{mine}\"")),
        "{html}"
    );
    assert!(html.contains(&format!("data-cancel=\"{mine}\"")));
    assert!(!html.contains(&format!("data-appointment=\"{theirs}\"")));
    // Reschedule is a link to the slot picker, never a free-text time.
    assert!(!html.contains("placeholder=\"2026-11-25 10:00\""), "{html}");
    let picker = format!("{}/owner/appointments/{mine}/reschedule", t.base);
    let html = c.get(&picker).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("class=\"btn btn-primary slot\""), "{html}");
    let html = c
        .get(format!("{picker}?day=2026-11-26"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-start=\"2026-11-26 14:00\""), "{html}");
    assert!(!html.contains("id=\"what-form\""), "{html}");
    let html = c
        .get(format!(
            "{picker}?day=2026-11-26&start=2026-11-26%2014%3A00"
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!(
            "action=\"/owner/appointments/{mine}/reschedule\" id=\"reschedule-form\""
        )) && html.contains("value=\"2026-11-26 14:00\""),
        "{html}"
    );
    // Someone else's appointment has no picker.
    let r = c
        .get(format!("{}/owner/appointments/{theirs}/reschedule", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let send = |path: String, form: Vec<(&'static str, String)>| {
        let (c, base) = (c.clone(), t.base.clone());
        async move {
            let r = c
                .post(format!("{base}{path}"))
                .form(&form)
                .send()
                .await
                .unwrap();
            let s = r.status();
            let loc = r
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            (s, loc, r.text().await.unwrap())
        }
    };

    // A forged form token is refused; nothing moves.
    let (s, _, html) = send(
        format!("/owner/appointments/{mine}/reschedule"),
        vec![
            ("csrf", "forged".into()),
            ("start", "2026-11-26 14:00".into()),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(html.contains("表单已过期"));
    // Into the past: refused, naming the rule.
    let (s, _, html) = send(
        format!("/owner/appointments/{mine}/reschedule"),
        vec![("csrf", csrf.clone()), ("start", "2026-11-20 10:00".into())],
    )
    .await;
    assert!(s.is_client_error(), "{s}");
    assert!(html.contains("不能早于现在"), "{html}");
    assert_eq!(appt(mine).await["reschedules"], 0);
    // Rescheduled.
    let (s, loc, _) = send(
        format!("/owner/appointments/{mine}/reschedule"),
        vec![("csrf", csrf.clone()), ("start", "2026-11-26 14:00".into())],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, "/owner/appointments?rescheduled=1");
    let html = c
        .get(format!("{}{loc}", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("预约已改期") && html.contains("2026-11-26 14:00"),
        "{html}"
    );
    let a = appt(mine).await;
    assert_eq!(a["reschedules"], 1);
    assert_eq!(a["state"], "booked");

    // Someone else's appointment is not found, and stays as it was.
    for action in ["reschedule", "cancel"] {
        let (s, _, _) = send(
            format!("/owner/appointments/{theirs}/{action}"),
            vec![
                ("csrf", csrf.clone()),
                ("start", "2026-11-27 10:00".into()),
                ("reason", "不是我的".into()),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{action}");
    }
    let b = appt(theirs).await;
    assert_eq!(
        (b["state"].as_str(), b["reschedules"].as_i64()),
        (Some("booked"), Some(0))
    );

    // Cancel needs a reason.
    let (s, _, html) = send(
        format!("/owner/appointments/{mine}/cancel"),
        vec![("csrf", csrf.clone()), ("reason", "  ".into())],
    )
    .await;
    assert!(s.is_client_error(), "{s}");
    assert!(html.contains("请填写原因"), "{html}");
    assert_eq!(appt(mine).await["state"], "booked");
    let (s, loc, _) = send(
        format!("/owner/appointments/{mine}/cancel"),
        vec![("csrf", csrf.clone()), ("reason", "临时出差".into())],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, "/owner/appointments?cancelled=1");
    let a = appt(mine).await;
    assert_eq!(a["state"], "cancelled");
    assert_eq!(a["cancel_reason"], "临时出差");
    let html = c
        .get(format!("{}{loc}", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("预约已取消"));
    assert!(!html.contains(&format!("data-cancel=\"{mine}\"")));
}
