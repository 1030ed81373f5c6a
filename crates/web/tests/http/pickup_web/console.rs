//! The console's pick-up pages: schedule, record the checklist, upload photos and
//! confirm; cancel with a reason; a repair order's link schedules the return.

use super::support::admin;
use super::support::booked;
use super::support::count;
use super::support::jpeg;
use super::support::multipart;
use super::support::parts;
use super::support::photos;
use super::support::scheduled;
use super::support::state;
use app::pickup::CHECKLIST;
use app::pickup::PickupInput;
use domain::permission::Action;
use reqwest::StatusCode;
use serde_json::json;
use testkit::TestApp;

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
    // A window ending before it starts is a rule between two fields and the clock:
    // refused (409), shown beside the field all the same.
    assert_eq!(s, StatusCode::CONFLICT, "{html}");
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
    // The page names what it shows: the station by name, the car by its plate (linked),
    // the driver by name, the appointment by its time; never a bare number or "#id".
    let html = c.get(&page).send().await.unwrap().text().await.unwrap();
    let mut db = t.app.db.pool.acquire().await.unwrap();
    let (station, vehicle, plate, driver): (String, i64, String, String) = sqlx::query_as(
        "SELECT s.name_zh, v.id, COALESCE(v.plate, v.vin), st.name FROM pickups p JOIN stations s ON s.id = p.station_id \
         JOIN vehicles v ON v.id = p.vehicle_id JOIN staff st ON st.id = p.driver_id WHERE p.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *db)
    .await
    .unwrap();
    drop(db);
    let facts = &html[html.find("id=\"facts\"").unwrap_or(0)..];
    let facts = &facts[..facts.find("</dl>").unwrap_or(facts.len())];
    assert!(
        facts.contains(&format!("<dd>{station}</dd>"))
            && facts.contains(&format!("href=\"/console/vehicles/{vehicle}\">{plate}</a>"))
            && facts.contains(&format!("<dd>{driver}"))
            && facts.contains("预约（2026-11-25")
            && facts.contains(&format!("href=\"/console/appointments/{appt}\"")),
        "{facts}"
    );
    let timeline = &html[html.find("id=\"timeline\"").unwrap_or(0)..];
    assert!(
        timeline.contains(&driver) && timeline.contains("预约: 2026-11-25"),
        "{timeline}"
    );
    for part in [facts, timeline] {
        assert!(
            !part
                .as_bytes()
                .windows(2)
                .any(|w| w[0] == b'#' && w[1].is_ascii_digit()),
            "{part}"
        );
    }

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
    // The timeline names who did each step, never "role #id".
    let timeline = &html[html.find("id=\"timeline\"").unwrap_or(0)..];
    assert!(
        timeline.contains("service_advisor · 服务顾问"),
        "{timeline}"
    );
    assert!(
        !timeline
            .as_bytes()
            .windows(2)
            .any(|w| w[0] == b'#' && w[1].is_ascii_digit()),
        "{timeline}"
    );

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
    // The return's page names its order by the car, never by the order's id.
    let car: String = sqlx::query_scalar(
        "SELECT COALESCE(v.plate, v.vin) FROM pickups p JOIN vehicles v ON v.id = p.vehicle_id WHERE p.id = $1",
    )
    .bind(ret)
    .fetch_one(&t.app.db.pool)
    .await
    .unwrap();
    let html = testkit::page_text(&c, format!("{}/console/pickups/{ret}", t.base)).await;
    assert!(
        html.contains(&format!(
            "<a href=\"/console/orders/{order}\">工单（{car}）</a>"
        )),
        "{html}"
    );
    assert!(!html.contains("工单 #"), "no order id shown");
}
