//! What the pick-up tests share: grants, small images, a browser's multipart upload,
//! a booked appointment with its pick-up, and readers of the stored rows.

use app::pickup::CHECKLIST;
use app::pickup::ChecklistItem;
use app::pickup::PickupInput;
use domain::permission::Action;
use domain::permission::Grant;
use domain::permission::Principal;
use domain::permission::Unit;
use domain::role::Role;
use reqwest::StatusCode;
use serde_json::Value;
use serde_json::json;
use testkit::TestApp;

pub(crate) fn admin(a: Action) -> Grant {
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

pub(crate) fn jpeg(n: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE1];
    v.extend((0..n).map(|i| (i * 13 % 256) as u8));
    v
}

pub(crate) fn png() -> Vec<u8> {
    let mut v = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    v.extend((0..2_000u32).map(|i| (i * 7 % 256) as u8));
    v
}

/// A `multipart/form-data` body as a browser sends the upload form: the CSRF token,
/// then the file part. Returns the content type header and the body.
pub(crate) fn multipart(
    csrf: &str,
    content_type: &str,
    file_name: &str,
    bytes: &[u8],
) -> (String, Vec<u8>) {
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
pub(crate) async fn booked(t: &TestApp) -> i64 {
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
pub(crate) async fn scheduled(t: &TestApp, appointment: i64, driver: Option<i64>) -> i64 {
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

pub(crate) async fn full_checklist(t: &TestApp, id: i64) {
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

pub(crate) async fn count(t: &TestApp, sql: &'static str, id: i64) -> i64 {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let n: (i64,) = sqlx::query_as(sql)
        .bind(id)
        .fetch_one(&mut *c)
        .await
        .unwrap();
    n.0
}

pub(crate) async fn photos(t: &TestApp, id: i64) -> i64 {
    count(
        t,
        "SELECT COUNT(*) FROM pickup_photos WHERE pickup_id = $1",
        id,
    )
    .await
}

pub(crate) async fn state(t: &TestApp, id: i64) -> String {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    let r: (String,) = sqlx::query_as("SELECT state FROM pickups WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *c)
        .await
        .unwrap();
    r.0
}

/// Status, `Location` and body of a response.
pub(crate) async fn parts(r: reqwest::Response) -> (StatusCode, String, String) {
    let s = r.status();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (s, loc, r.text().await.unwrap())
}
