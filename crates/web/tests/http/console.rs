//! The staff console and owner pages over real HTTP, without a browser.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use testkit::TestApp;

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .map(|i| i + marker.len())
        .expect("hidden field");
    html[start..].split('"').next().unwrap().to_string()
}

async fn console_login(t: &TestApp, username: &str) -> (reqwest::Client, String) {
    let c = t.client();
    let page = c
        .get(format!("{}/console/login", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("lang=\"zh-CN\""), "Chinese by default");
    let csrf = hidden(&page, "csrf");
    let r = c
        .post(format!("{}/console/login", t.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", testkit::PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let home = c
        .get(format!("{}/console", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (c, hidden(&home, "csrf"))
}

#[tokio::test]
async fn sign_in_needs_the_form_token_and_the_right_password() {
    let t = TestApp::spawn().await;
    let c = t.client();
    let r = c
        .post(format!("{}/console/login", t.base))
        .form(&[
            ("csrf", "forged"),
            ("username", "administrator"),
            ("password", testkit::PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = c
        .get(format!("{}/console/login", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf");
    let r = c
        .post(format!("{}/console/login", t.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "administrator"),
            ("password", "nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("用户名或密码错误"));
    let r = c
        .get(format!("{}/console/vehicles", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "pages send strangers to sign in"
    );
}

#[tokio::test]
async fn vehicle_form_shows_the_vin_error_beside_the_field_and_keeps_the_input() {
    let t = TestApp::spawn().await;
    let (c, csrf) = console_login(&t, "service_advisor").await;
    let good = domain::vin::Vin::with_check_digit("LHGCM826", "33A00004")
        .unwrap()
        .to_string();
    let mut bad: Vec<char> = good.chars().collect();
    bad[8] = if bad[8] == '7' { '8' } else { '7' };
    let bad: String = bad.into_iter().collect();
    let owner = t.fx.customer_a.to_string();
    let station = t.fx.station_a.to_string();
    let form = |vin: &str| {
        vec![
            ("csrf".to_string(), csrf.clone()),
            ("vin".into(), vin.to_string()),
            ("brand".into(), "广汽本田".into()),
            ("model".into(), "雅阁".into()),
            ("model_year".into(), "2021".into()),
            ("plate".into(), "粤A88888".into()),
            ("purchase_date".into(), "2021-06-01".into()),
            ("owner_id".into(), owner.clone()),
            ("station_id".into(), station.clone()),
        ]
    };
    let r = c
        .post(format!("{}/console/vehicles/new", t.base))
        .form(&form(&bad))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("class=\"field-error\" data-field=\"vin\""),
        "{html}"
    );
    assert!(html.contains("车架号第 9 位校验位错误"));
    assert!(html.contains("value=\"雅阁\""), "other input kept");
    // In English after switching language.
    let r = c
        .get(format!("{}/lang/en?back=/console/vehicles/new", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/console/vehicles/new");
    let html = c
        .post(format!("{}/console/vehicles/new", t.base))
        .form(&form(&bad))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("lang=\"en\""));
    assert!(html.contains("The VIN check digit (position 9) is wrong"));
    // A forged form token changes nothing.
    let mut forged = form(&good);
    forged[0].1 = "forged".into();
    let r = c
        .post(format!("{}/console/vehicles/new", t.base))
        .form(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A form stays lenient where the JSON API is strict: a pasted VIN with spaces,
    // numbers and a checkbox as strings.
    let mut padded = form(&format!(" {good} "));
    padded.push(("is_ev".into(), "on".into()));
    let r = c
        .post(format!("{}/console/vehicles/new", t.base))
        .form(&padded)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let html = c
        .get(format!("{}{location}", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("<h1>{good}</h1>")));
    // The open-redirect guard of the language switch.
    let r = c
        .get(format!("{}/lang/zh-CN?back=//evil.example", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/console");
}

#[tokio::test]
async fn lists_are_scoped_masked_and_paged() {
    let t = TestApp::spawn().await;
    let (c, _) = console_login(&t, "advisor_b").await;
    let html = c
        .get(format!("{}/console/customers", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("李四"));
    assert!(!html.contains("张三"), "another station's customer");
    assert!(html.contains("138****0002"));
    assert!(!html.contains("13800000002"));
    let r = c
        .get(format!("{}/console/customers/{}", t.base, t.fx.customer_a))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // The sidebar only offers what the role may open.
    assert!(!html.contains("href=\"/console/staff\""));
    let (admin, _) = console_login(&t, "administrator").await;
    let html = admin
        .get(format!("{}/console/staff", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("href=\"/console/staff\""));
    assert!(html.contains("advisor_b"));
}

#[tokio::test]
async fn customer_page_reveals_whole_phone_only_with_a_reason() {
    let t = TestApp::spawn().await;
    let (c, csrf) = console_login(&t, "service_advisor").await;
    let url = format!("{}/console/customers/{}", t.base, t.fx.customer_a);
    let html = c.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("138****0001"));
    let html = c
        .post(format!("{url}/reveal"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("field", "phone"),
            ("purpose", "callback"),
            ("note", "核实"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("13800000001"),
        "whole number after giving a reason"
    );
    let mut conn = t.app.db.pool.acquire().await.unwrap();
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE entity = 'customer'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(n.0, 1);
}

#[tokio::test]
async fn owner_pages_sign_in_with_a_code_and_show_my_vehicles() {
    let t = TestApp::spawn().await;
    let c = t.client();
    let page = c
        .get(format!("{}/owner/login", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf");
    let r = c
        .post(format!("{}/owner/code", t.base))
        .form(&[("csrf", csrf.as_str()), ("phone", "13800000001")])
        .send()
        .await
        .unwrap();
    // Post–redirect–get: the address bar never holds `/owner/code` (posts only).
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/owner/login?sent=1");
    let page = c
        .get(format!("{}/owner/login?sent=1", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("验证码已发送"));
    assert!(
        page.contains("13800000001"),
        "the number asked for is kept in the form"
    );
    let csrf = hidden(&page, "csrf");
    let mut conn = t.app.db.pool.acquire().await.unwrap();
    let row: (String,) = sqlx::query_as("SELECT payload FROM outbox ORDER BY id DESC LIMIT 1")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let code = serde_json::from_str::<serde_json::Value>(&row.0).unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    let r = c
        .post(format!("{}/owner/login", t.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("phone", "13800000001"),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = c
        .get(format!("{}/owner", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&t.fx.vin_a));
    assert!(!html.contains(&t.fx.vin_b));
    // Owners are not let into the staff console.
    let r = c
        .get(format!("{}/console/vehicles", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/owner");
}

#[tokio::test]
async fn the_desk_opens_a_walk_in_by_vin_for_a_car_from_anywhere() {
    let t = TestApp::spawn().await;
    let (c, csrf) = console_login(&t, "service_advisor").await;
    let station = t.fx.station_a.to_string();
    let board = c
        .get(format!("{}/console/board?station={station}", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        board.contains(&format!("href=\"/console/orders/new?station={station}\"")),
        "the board links to the walk-in form"
    );
    let form = |vin: &str, service_type: &str| {
        vec![
            ("csrf".to_string(), csrf.clone()),
            ("station_id".into(), station.clone()),
            ("vin".into(), vin.to_string()),
            ("service_type".into(), service_type.to_string()),
            ("concern".into(), "方向盘抖动".into()),
            ("concern_code".into(), "".into()),
        ]
    };
    let post = |f: Vec<(String, String)>| {
        c.post(format!("{}/console/orders/new", t.base))
            .form(&f)
            .send()
    };
    // A mistyped VIN is refused beside its field; nothing is opened.
    let mut bad = t.fx.vin_b.clone();
    bad.replace_range(16..17, if bad.ends_with('0') { "1" } else { "0" });
    let r = post(form(&bad, "repair")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("class=\"field-error\" data-field=\"vin\""),
        "{html}"
    );
    assert!(html.contains("方向盘抖动"), "input kept");
    let r = post(form(&t.fx.vin_b, "tuning")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("class=\"field-error\" data-field=\"service_type\"")
    );
    let mut db = t.app.db.pool.acquire().await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM repair_orders")
        .fetch_one(&mut *db)
        .await
        .unwrap();
    assert_eq!(n, 0);
    // Station B's customer's car walks into station A: opened there, as warranty.
    let r = post(form(&t.fx.vin_b, "warranty")).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/console/orders/"), "{location}");
    let (vehicle, station_id, service_type): (i64, i64, String) = sqlx::query_as(
        "SELECT vehicle_id, station_id, service_type FROM repair_orders ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&mut *db)
    .await
    .unwrap();
    assert_eq!(
        (vehicle, station_id, service_type.as_str()),
        (t.fx.vehicle_b, t.fx.station_a, "warranty")
    );
    let html = c
        .get(format!("{}{location}", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("方向盘抖动") && html.contains("保修"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_submitted_form_makes_one_record_and_both_answers_show_it() {
    let t = TestApp::spawn().await;
    let (c, csrf) = console_login(&t, "service_advisor").await;
    let page = c
        .get(format!("{}/console/vehicles/new", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = hidden(&page, "form_token");
    assert_eq!(token.len(), 32, "a one-time token in the form");
    let vin = domain::vin::Vin::with_check_digit("LHGCM826", "33A00077")
        .unwrap()
        .to_string();
    let form = vec![
        ("csrf".to_string(), csrf.clone()),
        ("form_token".into(), token.clone()),
        ("vin".into(), vin.clone()),
        ("brand".into(), "广汽本田".into()),
        ("model".into(), "雅阁".into()),
        ("model_year".into(), "2021".into()),
        ("purchase_date".into(), "2021-06-01".into()),
        ("owner_id".into(), t.fx.customer_a.to_string()),
        ("station_id".into(), t.fx.station_a.to_string()),
    ];
    let submit = || {
        c.post(format!("{}/console/vehicles/new", t.base))
            .form(&form)
            .send()
    };
    let (a, b) = tokio::join!(submit(), submit());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        b.status(),
        StatusCode::SEE_OTHER,
        "the repeat is shown the record too"
    );
    assert_eq!(a.headers()["location"], b.headers()["location"]);
    // Resubmitted later (the back button): the same answer, still one vehicle.
    let again = submit().await.unwrap();
    assert_eq!(again.headers()["location"], a.headers()["location"]);
    let mut conn = t.app.db.pool.acquire().await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM vehicles WHERE vin = $1")
        .bind(&vin)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(n, 1);
    // A page rendered again carries a new token.
    let page = c
        .get(format!("{}/console/vehicles/new", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_ne!(hidden(&page, "form_token"), token);
}
