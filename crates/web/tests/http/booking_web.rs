//! The booking pages over real HTTP, on SQLite or (with TEST_DATABASE_URL) PostgreSQL:
//! the desk's slot picker offers the soonest free starts first from the published
//! capacity, a booking posts and redirects to its confirmation (post–redirect–get), the
//! day view shows it in its slot by plate with the slot's counts, a taken start goes
//! back to the picker with the rule, and the week view has seven days.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use reqwest::StatusCode;
use testkit::TestApp;

async fn get(c: &reqwest::Client, url: String) -> (StatusCode, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The `data-start` values of the page's slot links, in page order.
fn starts(html: &str) -> Vec<String> {
    html.split("data-start=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(String::from)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_books_a_free_slot_and_sees_it_in_the_day_view() {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    let (c, csrf) = t.login("service_advisor").await;
    let (base, st, v) = (&t.base, t.fx.station_a, t.fx.vehicle_a);
    let picker = format!(
        "{base}/console/appointments/new?vehicle={v}&station={st}&service_type=maintenance"
    );
    let (s, html) = get(&c, picker.clone()).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(
        !html.contains("name=\"station_id\""),
        "no typed station number"
    );
    let all = starts(&html);
    assert!(all.len() > 4, "free slots offered: {all:?}");
    let best = &all[..4];
    let mut sorted = best.to_vec();
    sorted.sort();
    assert_eq!(best, &sorted[..], "the best slots are the soonest first");

    let start = best[0].clone();
    let book = |start: String| {
        let form = vec![
            ("csrf", csrf.clone()),
            ("vehicle", v.to_string()),
            ("station", st.to_string()),
            ("service_type", "maintenance".to_string()),
            ("start", start),
            ("concern", "空调异味，预约测试".to_string()),
        ];
        let c = c.clone();
        let url = format!("{base}/console/appointments/new");
        async move { c.post(url).form(&form).send().await.unwrap() }
    };
    let r = book(start.clone()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        loc.starts_with("/console/appointments/") && loc.ends_with("?booked=1"),
        "{loc}"
    );
    let (s, html) = get(&c, format!("{base}{loc}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("预约成功") && html.contains("空调异味，预约测试"),
        "{html}"
    );
    assert!(
        html.contains(&start[11..]),
        "the confirmation shows the time"
    );

    // The day view of that date shows it in its slot, with the slot's booked count.
    let day = &start[..10];
    let (s, html) = get(
        &c,
        format!("{base}/console/appointments?station={st}&view=day&date={day}"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("空调异味，预约测试"), "{html}");
    assert!(html.contains("已约 1/"), "the slot counts the booking");
    assert!(html.contains("btn btn-danger"), "cancel is a danger action");

    // The same vehicle at the same start again: refused, back to the picker with the rule.
    let r = book(start.clone()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        loc.contains("/console/appointments/new?") && loc.contains("error="),
        "{loc}"
    );
    let (_, html) = get(&c, format!("{base}{loc}")).await;
    assert!(html.contains("alert error"), "the rule is shown");

    // The week view has seven days and moves by a week.
    let (_, html) = get(
        &c,
        format!("{base}/console/appointments?station={st}&view=week&date={day}"),
    )
    .await;
    assert_eq!(html.matches("class=\"card day\"").count(), 7);
    let next = jiff::civil::Date::strptime("%Y-%m-%d", day)
        .unwrap()
        .checked_add(jiff::Span::new().days(7))
        .unwrap();
    let next_link = html
        .split("id=\"next\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default();
    assert!(
        next_link.contains("week") && next_link.ends_with(&format!("date={next}")),
        "{next_link}"
    );

    // A date that is not one is refused with the rule, not a server error.
    let (s, _) = get(&c, format!("{base}/console/appointments?date=2026-13-40")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}
