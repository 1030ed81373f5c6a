//! Pick-up and delivery (上门取送车) screens over real HTTP, on SQLite or (with
//! TEST_DATABASE_URL) PostgreSQL: the console flow (schedule from an appointment,
//! driver, checklist, a multipart photo upload, the owner's confirmation at the car),
//! refused uploads that store nothing, and the owner's own confirmation on the phone
//! page — a foreign owner is answered exactly like a missing pick-up.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::pickup::{CHECKLIST, ChecklistItem, PickupInput};
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

fn jpeg(n: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE1];
    v.extend((0..n).map(|i| (i * 13 % 256) as u8));
    v
}

fn png() -> Vec<u8> {
    let mut v = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    v.extend((0..2_000u32).map(|i| (i * 7 % 256) as u8));
    v
}

/// A `multipart/form-data` body as a browser sends the upload form: the CSRF token,
/// then the file part. Returns the content type header and the body.
fn multipart(csrf: &str, content_type: &str, file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----pickupTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Books vehicle A at station A for 2026-11-25 10:00 through the API; returns its id.
async fn booked(t: &TestApp) -> i64 {
    let advisor = t.token(Role::ServiceAdvisor).await;
    let r = t
        .client()
        .post(format!("{}/api/v1/appointments", t.base))
        .bearer_auth(&advisor)
        .json(
            &json!({"station_id": t.fx.station_a, "vehicle_id": t.fx.vehicle_a,
            "service_type": "maintenance", "channel": "hotline",
            "start": "2026-11-25 10:00", "concern": "保养"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// Schedules a pick-up for the appointment directly through the app; returns its id.
async fn scheduled(t: &TestApp, appointment: i64, driver: Option<i64>) -> i64 {
    let input = PickupInput {
        appointment_id: json!(appointment),
        address: json!("北京市朝阳区建国路88号"),
        window_start: json!("2026-11-25 08:00"),
        window_end: json!("2026-11-25 10:00"),
        driver_id: driver.map(|d| json!(d)).unwrap_or(Value::Null),
        ..Default::default()
    };
    app::pickup::schedule(&t.app, &admin(Action::PickupWrite), &input)
        .await
        .unwrap()
}

async fn full_checklist(t: &TestApp, id: i64) {
    let items: Vec<ChecklistItem> = CHECKLIST
        .iter()
        .map(|c| ChecklistItem {
            code: (*c).into(),
            ok: *c != "exterior",
            note: (*c == "exterior").then(|| "左后门划痕".into()),
        })
        .collect();
    app::pickup::set_checklist(&t.app, &admin(Action::PickupWrite), id, &items)
        .await
        .unwrap();
}

async fn count(t: &TestApp, sql: &'static str, id: i64) -> i64 {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let n: (i64,) = sqlx::query_as(sql)
        .bind(id)
        .fetch_one(&mut *c)
        .await
        .unwrap();
    n.0
}

async fn photos(t: &TestApp, id: i64) -> i64 {
    count(
        t,
        "SELECT COUNT(*) FROM pickup_photos WHERE pickup_id = $1",
        id,
    )
    .await
}

async fn state(t: &TestApp, id: i64) -> String {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let r: (String,) = sqlx::query_as("SELECT state FROM pickups WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *c)
        .await
        .unwrap();
    r.0
}

/// Status, `Location` and body of a response.
async fn parts(r: reqwest::Response) -> (StatusCode, String, String) {
    let s = r.status();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (s, loc, r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_schedules_records_uploads_and_confirms_a_pickup() {
    let t = TestApp::spawn().await;
    let fx = t.service_fixture().await;
    let appt = booked(&t).await;
    let (c, csrf) = t.login("service_advisor").await;
    let base = &t.base;

    // The appointment row offers a pick-up; the navigation links the pick-up list.
    let html = c
        .get(format!("{base}/console/appointments?day=2026-11-25"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("href=\"/console/pickups\""), "nav link");
    assert!(html.contains("action=\"/console/pickups/new\""));
    assert!(html.contains(&format!("name=\"appointment_id\" value=\"{appt}\"")));

    // The button opens the form, filled in with a window ending at the appointment.
    let (s, _, html) = parts(
        c.post(format!("{base}/console/pickups/new"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("appointment_id", &appt.to_string()),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("value=\"2026-11-25 08:00\""), "{html}");
    assert!(html.contains("value=\"2026-11-25 10:00\""));
    assert!(html.contains(&format!("<option value=\"{}\"", fx.technician)));

    // A window ending before it starts is refused beside its field; nothing is stored.
    let form = |end: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("appointment_id", appt.to_string()),
            ("repair_order_id", String::new()),
            ("address", "北京市朝阳区建国路88号".to_string()),
            ("window_start", "2026-11-25 08:00".to_string()),
            ("window_end", end.to_string()),
            ("driver_id", String::new()),
        ]
    };
    let (s, _, html) = parts(
        c.post(format!("{base}/console/pickups"))
            .form(&form("2026-11-25 07:00"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("data-field=\"window_end\""), "{html}");
    assert!(html.contains("时间窗结束须晚于开始"));
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM pickups WHERE id > $1", 0).await,
        0
    );
    // Without the CSRF token: 403, nothing stored.
    let mut forged = form("2026-11-25 10:00");
    forged[0].1 = "wrong".into();
    let r = c
        .post(format!("{base}/console/pickups"))
        .form(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM pickups WHERE id > $1", 0).await,
        0
    );

    let (s, loc, _) = parts(
        c.post(format!("{base}/console/pickups"))
            .form(&form("2026-11-25 10:00"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let id: i64 = loc
        .trim_start_matches("/console/pickups/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let page = format!("{base}/console/pickups/{id}");

    // The day's list shows it with window, kind, address, driver and state.
    let html = c
        .get(format!("{base}/console/pickups?day=2026-11-25"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("data-pickup=\"{id}\"")), "{html}");
    assert!(html.contains("2026-11-25 08:00–10:00"));
    // The address is masked in the list (issue 21, finding 2).
    assert!(
        html.contains("上门取车") && html.contains("北京市朝阳区****") && html.contains("未指派")
    );
    assert!(!html.contains("建国路88号"));

    // Assign the driver.
    let (s, ..) = parts(
        c.post(format!("{page}/driver"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("driver_id", &fx.technician.to_string()),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);

    let confirm = |signed_by: &'static str| {
        let (c, page, csrf) = (c.clone(), page.clone(), csrf.clone());
        async move {
            parts(
                c.post(format!("{page}/confirm"))
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("signed_by", signed_by),
                        ("signature_ref", "sig/pickup-1.png"),
                    ])
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    // Before the checklist: refused, naming what is missing.
    let (s, _, html) = confirm("张三").await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(html.contains("交接检查单未完成"), "{html}");

    // A note on an unrecorded item is refused rather than dropped.
    let mut items: Vec<(String, String)> = vec![("csrf".into(), csrf.clone())];
    items.push(("state_exterior".into(), String::new()));
    items.push(("note_exterior".into(), "划痕".into()));
    let (s, _, html) = parts(
        c.post(format!("{page}/checklist"))
            .form(&items)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("外观为必填项"), "{html}");

    let mut items: Vec<(String, String)> = vec![("csrf".into(), csrf.clone())];
    for code in CHECKLIST {
        let st = if code == "exterior" { "issue" } else { "ok" };
        items.push((format!("state_{code}"), st.into()));
        let note = if code == "exterior" {
            "左后门划痕"
        } else {
            ""
        };
        items.push((format!("note_{code}"), note.into()));
    }
    let (s, loc, _) = parts(
        c.post(format!("{page}/checklist"))
            .form(&items)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, format!("/console/pickups/{id}?notice=checklist"));

    // Before any photo: refused.
    let (s, _, html) = confirm("张三").await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(html.contains("车主确认前须至少上传一张交接照片"), "{html}");

    // Upload a photo as the page's form does, and get it back byte for byte.
    let photo = jpeg(300_000);
    let (ct, body) = multipart(&csrf, "image/jpeg", "front.jpg", &photo);
    let (s, loc, _) = parts(
        c.post(format!("{page}/photos"))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, format!("/console/pickups/{id}?notice=photo"));
    assert_eq!(photos(&t, id).await, 1);
    let html = c.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("左后门划痕") && html.contains("测试technician"),
        "{html}"
    );
    let pid = html
        .split("data-photo=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = c.get(format!("{page}/photos/{pid}")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.unwrap().to_vec(), photo);

    // The owner's confirmation at the car closes the hand-over.
    let (s, _, html) = confirm("").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "signed_by is required");
    assert!(html.contains("签字人"), "{html}");
    let (s, loc, _) = confirm("张三").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, format!("/console/pickups/{id}?notice=confirmed"));
    assert_eq!(state(&t, id).await, "confirmed");
    let html = c
        .get(format!("{page}?notice=confirmed"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Who signed is masked and the signature reference (evidence) is not on the page,
    // in the facts or the history: the page is opened in passing (issue 21).
    assert!(html.contains("现场签字"), "{html}");
    assert!(html.contains("张*"), "{html}");
    assert!(
        !html.contains("张三") && !html.contains("sig/pickup-1.png"),
        "{html}"
    );
    assert!(
        !html.contains("id=\"confirm-handover\""),
        "closed: no more forms"
    );
    let (s, _, html) = confirm("张三").await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(html.contains("交接已确认或已取消"));
    // Another station's advisor finds nothing.
    let (other, _) = t.login("advisor_b").await;
    let r = other.get(&page).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = other
        .get(format!("{page}/photos/{pid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_cancels_with_a_reason_and_a_repair_order_link_schedules_a_return() {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    let appt = booked(&t).await;
    let id = scheduled(&t, appt, None).await;
    let (c, csrf) = t.login("service_advisor").await;
    let page = format!("{}/console/pickups/{id}", t.base);
    let (s, _, html) = parts(
        c.post(format!("{page}/cancel"))
            .form(&[("csrf", csrf.as_str()), ("reason", " ")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("原因为必填项"), "{html}");
    let (s, ..) = parts(
        c.post(format!("{page}/cancel"))
            .form(&[("csrf", csrf.as_str()), ("reason", "车主自行到店")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(state(&t, id).await, "cancelled");
    let html = c.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("车主自行到店") && html.contains("已取消"));

    // The order page links the return form, which knows the order.
    let order = t.walk_in_in_diagnosis().await;
    let html = c
        .get(format!("{}/console/orders/{order}", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let href = format!("/console/pickups/new?repair_order_id={order}");
    assert!(html.contains(&href), "{html}");
    let html = c
        .get(format!("{}{href}", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("name=\"repair_order_id\" value=\"{order}\"")));
    // Once scheduled, the order page lists the return with its window and state.
    let order_page = format!("{}/console/orders/{order}", t.base);
    let html = c
        .get(&order_page)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("id=\"order-pickups\""),
        "nothing scheduled yet"
    );
    let input = PickupInput {
        repair_order_id: json!(order),
        address: json!("北京市朝阳区建国路88号"),
        window_start: json!("2026-11-25 16:00"),
        window_end: json!("2026-11-25 18:00"),
        ..Default::default()
    };
    let ret = app::pickup::schedule(&t.app, &admin(Action::PickupWrite), &input)
        .await
        .unwrap();
    let html = c
        .get(&order_page)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"order-pickups\""), "{html}");
    assert!(
        html.contains(&format!("href=\"/console/pickups/{ret}\"")),
        "{html}"
    );
    assert!(html.contains("2026-11-25 16:00–18:00"), "{html}");
}

/// Declared type, file name, bytes, expected status, rule and sentence.
type UploadCase = (
    &'static str,
    &'static str,
    Vec<u8>,
    StatusCode,
    &'static str,
    &'static str,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_uploads_name_the_rule_and_store_nothing() {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    let appt = booked(&t).await;
    let id = scheduled(&t, appt, None).await;
    let (c, csrf) = t.login("service_advisor").await;
    let url = format!("{}/console/pickups/{id}/photos", t.base);
    let send = |csrf: String, ct: &'static str, name: &'static str, bytes: Vec<u8>| {
        let (c, url) = (c.clone(), url.clone());
        async move {
            let (h, body) = multipart(&csrf, ct, name, &bytes);
            parts(
                c.post(&url)
                    .header("content-type", h)
                    .body(body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let cases: [UploadCase; 4] = [
        (
            "image/gif",
            "a.gif",
            b"GIF89a\x01\x00".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "photo.type",
            "照片须为 JPEG、PNG 或 WebP",
        ),
        (
            "image/jpeg",
            "b.jpg",
            png(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "photo.magic",
            "文件内容与声明的图片类型不符",
        ),
        (
            "image/webp",
            "c.webp",
            jpeg(100),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "photo.magic",
            "文件内容与声明的图片类型不符",
        ),
        (
            "image/jpeg",
            "d.jpg",
            jpeg(5 * 1024 * 1024),
            StatusCode::PAYLOAD_TOO_LARGE,
            "photo.size",
            "单张照片不能超过 5 MiB",
        ),
    ];
    for (ct, name, bytes, status, rule, text) in cases {
        let (s, _, html) = send(csrf.clone(), ct, name, bytes).await;
        assert_eq!(s, status, "{rule}");
        assert!(html.contains(&format!("data-rule=\"{rule}\"")), "{html}");
        assert!(html.contains(text), "{rule}: {html}");
    }
    // Far beyond the limit: still refused by the rule, not by a broken connection.
    let (s, _, html) = send(csrf.clone(), "image/jpeg", "e.jpg", jpeg(8 * 1024 * 1024)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(html.contains("data-rule=\"photo.size\""));
    // No file chosen, a wrong form token, not a multipart form at all.
    let (s, _, html) = send(csrf.clone(), "application/octet-stream", "", vec![]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("照片为必填项"), "{html}");
    let (s, ..) = send("forged".into(), "image/jpeg", "f.jpg", jpeg(100)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let r = c
        .post(&url)
        .header("content-type", "image/jpeg")
        .body(jpeg(100))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(photos(&t, id).await, 0, "nothing stored");
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM events WHERE entity = 'pickup' AND kind = 'photo_added' AND entity_id = $1",
            id,
        )
        .await,
        0
    );
    // Exactly 5 MiB (above the general 1 MiB body limit) and a PNG are accepted.
    let (s, ..) = send(
        csrf.clone(),
        "image/jpeg",
        "g.jpg",
        jpeg(5 * 1024 * 1024 - 4),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, ..) = send(csrf.clone(), "image/png", "h.png", png()).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(photos(&t, id).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_confirms_their_own_handover_and_a_foreign_owner_finds_nothing() {
    let t = TestApp::spawn().await;
    let fx = t.service_fixture().await;
    let appt = booked(&t).await;
    let id = scheduled(&t, appt, Some(fx.technician)).await;
    let (a, a_csrf) = t.owner_session("13800000001").await;
    let (b, b_csrf) = t.owner_session("13800000002").await;
    let list = format!("{}/owner/pickups", t.base);
    let confirm = |c: reqwest::Client, csrf: String, id: i64| {
        let base = t.base.clone();
        async move {
            parts(
                c.post(format!("{base}/owner/pickups/{id}/confirm"))
                    .form(&[("csrf", csrf)])
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };

    // The owner sees window, driver and state; no confirm button yet.
    let html = a.get(&list).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("data-pickup=\"{id}\"")), "{html}");
    assert!(html.contains("2026-11-25 08:00 – 10:00") && html.contains("测试technician"));
    assert!(html.contains("待交接"));
    assert!(!html.contains(&format!("data-confirm=\"{id}\"")));
    let home = a
        .get(format!("{}/owner", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("href=\"/owner/pickups\""));

    // Before the checklist, then before any photo: refused, still scheduled.
    let (s, _, html) = confirm(a.clone(), a_csrf.clone(), id).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(html.contains("交接检查单未完成"), "{html}");
    full_checklist(&t, id).await;
    let (s, _, html) = confirm(a.clone(), a_csrf.clone(), id).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(html.contains("车主确认前须至少上传一张交接照片"), "{html}");
    assert_eq!(state(&t, id).await, "scheduled");
    let photo = jpeg(1_000);
    let pid = app::pickup::add_photo(
        &t.app,
        &admin(Action::PickupWrite),
        id,
        "image/jpeg",
        &photo,
    )
    .await
    .unwrap();

    // The checklist as recorded and the photo are shown; the button appears.
    let html = a.get(&list).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("左后门划痕") && html.contains("有异常") && html.contains("随车证件"));
    assert!(html.contains(&format!("/owner/pickups/{id}/photos/{pid}")));
    assert!(html.contains(&format!("data-confirm=\"{id}\"")));
    let r = a
        .get(format!("{list}/{id}/photos/{pid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().to_vec(), photo);

    // Another owner: not listed, and answered exactly like a missing pick-up.
    let html = b.get(&list).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains(&format!("data-pickup=\"{id}\"")));
    let foreign = confirm(b.clone(), b_csrf.clone(), id).await;
    let missing = confirm(b.clone(), b_csrf.clone(), id + 1000).await;
    assert_eq!(foreign.0, StatusCode::NOT_FOUND);
    assert_eq!(foreign.0, missing.0);
    assert_eq!(foreign.2, missing.2);
    assert!(foreign.2.contains("记录不存在"));
    let r = b
        .get(format!("{list}/{id}/photos/{pid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Staff sessions are not owners here.
    let (staff, staff_csrf) = t.login("service_advisor").await;
    let (s, loc, _) = confirm(staff, staff_csrf, id).await;
    assert_eq!((s, loc.as_str()), (StatusCode::SEE_OTHER, "/owner/login"));
    // A forged form token changes nothing.
    let (s, ..) = confirm(a.clone(), "forged".into(), id).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(state(&t, id).await, "scheduled");

    // The owner confirms on the phone: recorded with channel, who and when.
    let (s, loc, _) = confirm(a.clone(), a_csrf.clone(), id).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, "/owner/pickups?confirmed=1");
    assert_eq!(state(&t, id).await, "confirmed");
    let mut conn = t.app.db.pool.acquire().await.unwrap();
    let (by, at): (String, i64) =
        sqlx::query_as("SELECT confirmed_by, confirmed_at FROM pickups WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(by, "张三");
    assert_eq!(at, t.app.now_ms());
    let (role, actor, data): (String, i64, String) = sqlx::query_as(
        "SELECT actor_role, actor_id, data FROM events WHERE entity = 'pickup' AND entity_id = $1 AND kind = 'owner_confirmed'",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    assert_eq!((role.as_str(), actor), ("owner", t.fx.customer_a));
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap()["channel"],
        "owner_page"
    );
    let html = a
        .get(format!("{list}?confirmed=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("已确认交接，谢谢") && html.contains("已确认交接"));
    assert!(!html.contains(&format!("data-confirm=\"{id}\"")));
    // Twice is refused.
    let (s, _, html) = confirm(a.clone(), a_csrf.clone(), id).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(html.contains("交接已确认或已取消"));
    // The console shows how it was confirmed.
    let (c, _) = t.login("service_advisor").await;
    let html = c
        .get(format!("{}/console/pickups/{id}", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("车主手机确认") && html.contains("车主已确认交接"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_requests_a_pickup_before_their_own_booked_appointment() {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    let appt = booked(&t).await;
    let (a, a_csrf) = t.owner_session("13800000001").await;
    let (b, b_csrf) = t.owner_session("13800000002").await;
    let list = format!("{}/owner/pickups", t.base);
    let request = |c: reqwest::Client, csrf: String, appointment: i64, address: &'static str| {
        let base = t.base.clone();
        async move {
            parts(
                c.post(format!("{base}/owner/pickups/request"))
                    .form(&[
                        ("csrf", csrf),
                        ("appointment_id", appointment.to_string()),
                        ("address", address.to_string()),
                        ("window_start", "2026-11-25 08:30".to_string()),
                        ("window_end", "2026-11-25 09:30".to_string()),
                    ])
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let pickups = || count(&t, "SELECT COUNT(*) FROM pickups WHERE id > $1", 0);

    // The booked appointment is offered, with a window ending at its start.
    let html = a.get(&list).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("data-offer=\"{appt}\"")), "{html}");
    assert!(
        html.contains("value=\"2026-11-25 08:00\"") && html.contains("value=\"2026-11-25 10:00\"")
    );
    // Another owner neither sees it nor can ask for it: answered like a missing one.
    let html = b.get(&list).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains(&format!("data-offer=\"{appt}\"")));
    let foreign = request(b.clone(), b_csrf.clone(), appt, "广州市天河路1号").await;
    let missing = request(b.clone(), b_csrf.clone(), appt + 1000, "广州市天河路1号").await;
    assert_eq!(foreign.0, StatusCode::NOT_FOUND);
    assert_eq!((foreign.0, &foreign.2), (missing.0, &missing.2));
    assert_eq!(pickups().await, 0);
    // Without an address: refused naming the field, the values kept.
    let (s, _, html) = request(a.clone(), a_csrf.clone(), appt, "").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("地址为必填项"), "{html}");
    assert!(html.contains("value=\"2026-11-25 08:30\""));
    let (s, ..) = request(a.clone(), "forged".into(), appt, "北京市朝阳区建国路88号").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(pickups().await, 0);

    let (s, loc, _) = request(a.clone(), a_csrf.clone(), appt, "北京市朝阳区建国路88号").await;
    assert_eq!(
        (s, loc.as_str()),
        (StatusCode::SEE_OTHER, "/owner/pickups?requested=1")
    );
    let mut conn = t.app.db.pool.acquire().await.unwrap();
    let (id, kind, st, driver): (i64, String, String, Option<i64>) =
        sqlx::query_as("SELECT id, kind, state, driver_id FROM pickups WHERE appointment_id = $1")
            .bind(appt)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(
        (kind.as_str(), st.as_str(), driver),
        ("pickup", "scheduled", None)
    );
    let (role, data): (String, String) = sqlx::query_as(
        "SELECT actor_role, data FROM events WHERE entity = 'pickup' AND entity_id = $1 AND kind = 'scheduled'",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    assert_eq!(role, "owner");
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap()["channel"],
        "owner_page"
    );
    let html = a
        .get(format!("{list}?requested=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("已提交上门取车申请") && html.contains(&format!("data-pickup=\"{id}\"")));
    assert!(html.contains("2026-11-25 08:30 – 09:30") && html.contains("未指派"));
    assert!(!html.contains(&format!("data-offer=\"{appt}\"")));

    // One pick-up per appointment, whoever asks.
    let (s, _, html) = request(a.clone(), a_csrf.clone(), appt, "北京市朝阳区建国路88号").await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(html.contains("已安排了上门取送车"), "{html}");
    let (c, csrf) = t.login("service_advisor").await;
    let (s, _, html) = parts(
        c.post(format!("{}/console/pickups", t.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("appointment_id", &appt.to_string()),
                ("repair_order_id", ""),
                ("address", "北京市朝阳区建国路88号"),
                ("window_start", "2026-11-25 08:00"),
                ("window_end", "2026-11-25 10:00"),
                ("driver_id", ""),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(html.contains("已安排了上门取送车"), "{html}");
    assert_eq!(pickups().await, 1);
}
