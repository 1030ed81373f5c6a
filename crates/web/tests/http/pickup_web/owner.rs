//! The owner's side: confirming their own hand-over (a foreign owner finds nothing)
//! and requesting a pick-up before their booked appointment.

use super::support::admin;
use super::support::booked;
use super::support::count;
use super::support::full_checklist;
use super::support::jpeg;
use super::support::parts;
use super::support::scheduled;
use super::support::state;
use domain::permission::Action;
use reqwest::StatusCode;
use serde_json::Value;
use testkit::TestApp;

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
