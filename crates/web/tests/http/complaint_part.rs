//! The analysis by part (issue 10 item 5) over real HTTP, on SQLite and, with
//! `TEST_DATABASE_URL`, PostgreSQL: the analysis form names a part of the catalogue
//! (an unknown number is refused beside the field, nothing recorded), and the
//! analysis page, its chart and its CSV count the complaints per part exactly as plain
//! SQL over the rows does, with the complaints naming none as one group.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::permission::Action;
use testkit::{TestApp, head_office};

async fn page(c: &reqwest::Client, url: String) -> (u16, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = html.find(&key).expect(name) + key.len();
    html[at..].split('"').next().unwrap().to_string()
}

async fn analysing(t: &TestApp) -> i64 {
    let g = head_office(Action::ComplaintWrite);
    let input = app::complaint::FileInput {
        station_id: t.fx.station_a,
        channel: "hotline".into(),
        category: "parts_quality".into(),
        severity: "normal".into(),
        description: "刹车片异响".into(),
        ..Default::default()
    };
    let id = app::complaint::file(&t.app, &g, &input).await.unwrap().id;
    for e in ["acknowledge", "start_analysis"] {
        app::complaint::action::act(&t.app, &g, id, e, &Default::default())
            .await
            .unwrap();
    }
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_analysis_names_a_catalogue_part_and_counts_by_it_as_plain_sql_does() {
    let t = TestApp::spawn().await;
    let admin = domain::permission::Principal {
        kind: domain::permission::ActorKind::Person,
        id: 1,
        name: "admin".into(),
        role: domain::role::Role::Administrator,
        unit: domain::permission::Unit::HeadOffice,
    };
    let net = admin.grant(Action::NetworkWrite).unwrap();
    for (n, zh, en) in [
        ("BRAKE-PAD-F", "前刹车片", "Front brake pads"),
        ("OIL-FILTER", "机油滤清器", "Oil filter"),
    ] {
        let input = app::part::PartInput {
            part_number: n.into(),
            name_zh: zh.into(),
            name_en: en.into(),
            price_fen: 1000i64.into(),
        };
        app::part::upsert(&t.app, &net, &input).await.unwrap();
    }
    let ids = [
        analysing(&t).await,
        analysing(&t).await,
        analysing(&t).await,
        analysing(&t).await,
    ];
    let (c, _) = t.login("station_manager").await;
    let url = |id: i64| format!("{}/console/complaints/{id}", t.base);
    let (s, html) = page(&c, url(ids[0])).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("name=\"part_number\""), "{html}");
    let csrf = hidden(&html, "csrf");
    let analyse = |id: i64, part: &'static str| {
        let csrf = csrf.clone();
        let c = c.clone();
        let to = format!("{}/analyse", url(id));
        async move {
            c.post(to)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("responsibility", "parts"),
                    ("cause", "供应商批次不良"),
                    ("part_number", part),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // An unknown number: 422 beside the field, nothing recorded.
    let r = analyse(ids[0], "NO-SUCH-PART").await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("零件目录中没有零件号 NO-SUCH-PART"), "{html}");
    assert!(html.contains("data-field=\"part_number\""), "{html}");
    let d = app::complaint::detail(&t.app, &head_office(Action::ComplaintRead), ids[0])
        .await
        .unwrap();
    assert_eq!(
        (
            d.complaint.part_number.as_deref(),
            d.complaint.cause.as_deref()
        ),
        (None, None)
    );
    // A bad shape is refused too.
    let r = analyse(ids[0], "刹车片").await;
    assert_eq!(r.status(), 422);
    // Two name the brake pads (typed in lower case), one the oil filter, one none.
    for (id, part) in [
        (ids[0], "brake-pad-f"),
        (ids[1], "BRAKE-PAD-F"),
        (ids[2], "OIL-FILTER"),
        (ids[3], ""),
    ] {
        assert_eq!(analyse(id, part).await.status(), 303, "{part}");
    }
    let (_, html) = page(&c, url(ids[0])).await;
    assert!(html.contains("BRAKE-PAD-F"), "{html}");

    // Plain SQL: complaints per part number.
    let mut conn = t.app.db.pool.acquire().await.unwrap();
    let sql: Vec<(Option<String>, i64)> = sqlx::query_as(
        "SELECT part_number, COUNT(*) FROM complaints GROUP BY part_number ORDER BY part_number",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    let expected: std::collections::BTreeMap<String, u64> = sql
        .into_iter()
        .map(|(p, n)| (p.unwrap_or_default(), n as u64))
        .collect();
    assert_eq!(expected.get("BRAKE-PAD-F"), Some(&2));
    let now = t.app.now_ms();
    let report = app::complaint::analysis::analyse(
        &t.app,
        &head_office(Action::ComplaintRead),
        app::complaint::analysis::Dimension::Part,
        now - 86_400_000,
        now + 86_400_000,
    )
    .await
    .unwrap();
    let got: std::collections::BTreeMap<String, u64> = report
        .groups
        .iter()
        .map(|(k, s)| (k.clone(), s.count))
        .collect();
    assert_eq!(got, expected);

    // The page, its ranking chart and the CSV name the parts with their catalogue names.
    let (s, html) = page(
        &c,
        format!("{}/console/complaints/analysis?by=part", t.base),
    )
    .await;
    assert_eq!(s, 200, "{html}");
    for text in [
        "BRAKE-PAD-F 前刹车片",
        "OIL-FILTER 机油滤清器",
        "未指明零件",
        "<svg",
    ] {
        assert!(html.contains(text), "{text}: {html}");
    }
    let (_, drill) = page(
        &c,
        format!(
            "{}/console/complaints/analysis?by=part&key=BRAKE-PAD-F",
            t.base
        ),
    )
    .await;
    for id in &ids[..2] {
        assert!(
            drill.contains(&format!("/console/complaints/{id}\"")),
            "{drill}"
        );
    }
    assert!(
        !drill.contains(&format!("/console/complaints/{}\"", ids[2])),
        "{drill}"
    );
    let csv = c
        .get(format!(
            "{}/console/complaints/analysis.csv?by=part",
            t.base
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("\"零件\""), "{csv}");
    assert!(csv.contains("\"BRAKE-PAD-F 前刹车片\",\"2\""), "{csv}");
    let (_, en) = {
        page(&c, format!("{}/lang/en", t.base)).await;
        page(
            &c,
            format!("{}/console/complaints/analysis?by=part", t.base),
        )
        .await
    };
    assert!(
        en.contains("BRAKE-PAD-F Front brake pads") && en.contains("No part named"),
        "{en}"
    );
}
