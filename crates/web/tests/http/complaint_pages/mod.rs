//! The complaint pages beyond the queue (SPEC §6), one module per page: the detail's
//! working forms ([`detail_forms`]), the agent's intake ([`intake`]), the station
//! manager's inbox ([`inbox`]), the analysis with its exports ([`analysis`]) and the
//! owner's phone page ([`owner`]); the helpers they share are here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod analysis;
mod detail_forms;
mod inbox;
mod intake;
mod owner;

use domain::permission::Action;
use testkit::TestApp;
use testkit::head_office;

pub(super) async fn page(c: &reqwest::Client, url: String) -> (u16, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

pub(super) fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = html.find(&key).expect(name) + key.len();
    html[at..].split('"').next().unwrap().to_string()
}

pub(super) async fn file(t: &TestApp, station: i64, severity: &str) -> i64 {
    let input = app::complaint::FileInput {
        station_id: station,
        vehicle_id: Some(t.fx.vehicle_a),
        customer_id: Some(t.fx.customer_a),
        channel: "hotline".into(),
        category: "repair_quality".into(),
        severity: severity.into(),
        urgent_reason: (severity == "urgent").then(|| "safety".into()),
        description: "刹车异响，修过两次仍未解决".into(),
        ..Default::default()
    };
    app::complaint::file(&t.app, &head_office(Action::ComplaintWrite), &input)
        .await
        .unwrap()
        .id
}

pub(super) async fn post(
    c: &reqwest::Client,
    url: String,
    form: &[(&str, &str)],
) -> reqwest::Response {
    c.post(url).form(form).send().await.unwrap()
}

pub(super) async fn detail(t: &TestApp, id: i64) -> app::complaint::Detail {
    app::complaint::detail(&t.app, &head_office(Action::ComplaintRead), id)
        .await
        .unwrap()
}

pub(super) async fn act(t: &TestApp, id: i64, events: &[&str]) {
    let g = head_office(Action::ComplaintWrite);
    let note = app::complaint::action::NoteInput::default();
    for e in events {
        app::complaint::action::act(&t.app, &g, id, e, &note)
            .await
            .unwrap();
    }
}
