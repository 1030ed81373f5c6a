//! The service-level policies page (issue 10 item 2) over real HTTP, on SQLite and,
//! with `TEST_DATABASE_URL`, PostgreSQL: reachable from the complaints queue, the
//! targets of every category × severity, one policy's versions; head office edits a
//! policy (a new version, audited), zero, negative and non-numeric targets refused
//! beside their fields with nothing saved; a category added at run time has the
//! defaults at once and can be edited; other roles read only; English labels.

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

async fn versions(t: &TestApp, category: &str, severity: &str) -> Vec<i64> {
    app::complaint::policy::history(
        &t.app,
        &head_office(Action::ComplaintRead),
        category,
        severity,
    )
    .await
    .unwrap()
    .iter()
    .map(|v| v.version)
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_office_edits_a_policy_on_its_page_as_a_new_version() {
    let t = TestApp::spawn().await;
    let (c, _) = t.login("administrator").await;
    let (_, queue) = page(&c, format!("{}/console/complaints", t.base)).await;
    assert!(
        queue.contains("href=\"/console/complaints/policies\"") && queue.contains("服务时限政策"),
        "{queue}"
    );
    let (s, html) = page(&c, format!("{}/console/complaints/policies", t.base)).await;
    assert_eq!(s, 200, "{html}");
    for text in [
        "维修质量",
        "紧急",
        "工作时间（按服务站日历）",
        "1 小时",
        "72 小时",
        "/console/complaints/policies/price_dispute/urgent",
    ] {
        assert!(html.contains(text), "{text}: {html}");
    }
    assert!(!html.contains(">repair_quality<"), "{html}");

    let url = format!(
        "{}/console/complaints/policies/repair_quality/normal",
        t.base
    );
    let (s, html) = page(&c, url.clone()).await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("id=\"policy-edit\"") && html.contains("value=\"72\""),
        "{html}"
    );
    let csrf = hidden(&html, "csrf");
    let before = versions(&t, "repair_quality", "normal").await;
    let post = |first: &'static str, analysis: &'static str, closure: &'static str| {
        let (c, url, csrf) = (c.clone(), url.clone(), csrf.clone());
        async move {
            c.post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("mode", "calendar"),
                    ("first_response", first),
                    ("full_record", "24"),
                    ("analysis", analysis),
                    ("solution", "24"),
                    ("closure", closure),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // Zero, not a number, negative: each refused beside its field, the typed text
    // kept, nothing saved.
    let r = post("0", "两天", "-1").await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    for id in [
        "pol-first_response-err",
        "pol-analysis-err",
        "pol-closure-err",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}: {html}");
    }
    assert!(
        html.contains("时限须大于 0 分钟") && html.contains("请以数字填写小时数"),
        "{html}"
    );
    assert!(html.contains("value=\"两天\""), "{html}");
    assert!(!html.contains("id=\"pol-full_record-err\""), "{html}");
    let r = post("0", "48", "72").await;
    assert_eq!(r.status(), 422);
    assert_eq!(versions(&t, "repair_quality", "normal").await, before);

    // Saved: a new version in force, the old one in the history, audited.
    let r = post("1.5", "48", "72").await;
    assert_eq!(r.status(), 303);
    let now = versions(&t, "repair_quality", "normal").await;
    assert_eq!(now.len(), before.len() + 1, "{now:?}");
    let (_, html) = page(&c, url.clone()).await;
    assert!(
        html.contains("value=\"1.5\"") && html.contains("1.5 小时") && html.contains("生效中"),
        "{html}"
    );
    assert!(html.contains("自然时间"), "{html}");
    let mut conn = t.app.db.pool.acquire().await.unwrap();
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM events WHERE entity = 'complaint_policy' AND kind = 'complaint_policy_published'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(n, 1);
    drop(conn);

    // A category added at run time has the defaults at once, and can be edited.
    let add = app::complaint::category::CategoryInput {
        code: "noise".into(),
        name_zh: "异响".into(),
        name_en: "Noise".into(),
    };
    app::complaint::category::add(&t.app, &head_office(Action::ComplaintPolicy), &add)
        .await
        .unwrap();
    let (_, html) = page(&c, format!("{}/console/complaints/policies", t.base)).await;
    assert!(
        html.contains("异响") && html.contains("/console/complaints/policies/noise/urgent"),
        "{html}"
    );
    let noise = format!("{}/console/complaints/policies/noise/urgent", t.base);
    let (s, html) = page(&c, noise.clone()).await;
    assert_eq!(s, 200);
    assert!(
        html.contains("data-version=\"1\"") && html.contains("value=\"1\""),
        "{html}"
    );
    let r = c
        .post(noise)
        .form(&[
            ("csrf", csrf.as_str()),
            ("mode", "business"),
            ("first_response", "2"),
            ("full_record", "24"),
            ("analysis", "48"),
            ("solution", "24"),
            ("closure", "72"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(versions(&t, "noise", "urgent").await, vec![2, 1]);
    // An unknown category's page is not found.
    let (s, _) = page(
        &c,
        format!("{}/console/complaints/policies/weather/normal", t.base),
    )
    .await;
    assert_eq!(s, 404);

    // English labels.
    page(&c, format!("{}/lang/en", t.base)).await;
    let (_, html) = page(&c, url.clone()).await;
    assert!(
        html.contains("Repair quality")
            && html.contains("1.5 h")
            && html.contains("Calendar hours"),
        "{html}"
    );

    // A station manager reads the policies but has no form and cannot save.
    let (sm, _) = t.login("station_manager").await;
    let (s, html) = page(&sm, url.clone()).await;
    assert_eq!(s, 200);
    assert!(!html.contains("id=\"policy-edit\""), "{html}");
    let csrf = hidden(&html, "csrf");
    let r = sm
        .post(url)
        .form(&[
            ("csrf", csrf.as_str()),
            ("mode", "business"),
            ("first_response", "5"),
            ("full_record", "24"),
            ("analysis", "48"),
            ("solution", "24"),
            ("closure", "72"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(versions(&t, "repair_quality", "normal").await, now);
}

/// SPEC §6 "the policy may change the steps": the page shows the ladder in force and
/// head office sets another (each bad step refused beside its field, nothing saved);
/// the API takes it as `ladder`, naming a bad step `ladder[i].percent` /
/// `ladder[i].notify`; the history shows each version's ladder by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_office_sets_the_escalation_ladder_on_the_page_and_in_the_api() {
    let t = TestApp::spawn().await;
    let (c, _) = t.login("administrator").await;
    let url = format!("{}/console/complaints/policies/waiting_time/urgent", t.base);
    let (s, html) = page(&c, url.clone()).await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("name=\"ladder[1].percent\" value=\"150\"")
            && html.contains("<option value=\"regional_manager\" selected>区域经理</option>")
            && html.contains("name=\"ladder[4].percent\" value=\"\""),
        "{html}"
    );
    let csrf = hidden(&html, "csrf");
    let post = |steps: Vec<(&'static str, &'static str)>| {
        let (c, url, csrf) = (c.clone(), url.clone(), csrf.clone());
        async move {
            let mut form: Vec<(String, String)> = [
                ("csrf", csrf.as_str()),
                ("mode", "business"),
                ("first_response", "1"),
                ("full_record", "24"),
                ("analysis", "48"),
                ("solution", "24"),
                ("closure", "72"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            for (i, (p, n)) in steps.into_iter().enumerate() {
                form.push((format!("ladder[{i}].percent"), p.into()));
                form.push((format!("ladder[{i}].notify"), n.into()));
            }
            c.post(url).form(&form).send().await.unwrap()
        }
    };
    let before = versions(&t, "waiting_time", "urgent").await;
    let r = post(vec![
        ("90", "station_manager"),
        ("一百五", "regional_manager"),
        ("", ""),
    ])
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"pol-ladder-0-percent-err\"")
            && html.contains("第一级升级不得早于目标的 100%")
            && html.contains("id=\"pol-ladder-1-percent-err\"")
            && html.contains("请填写整数百分比")
            && html.contains("value=\"一百五\""),
        "{html}"
    );
    assert_eq!(versions(&t, "waiting_time", "urgent").await, before);
    let r = post(vec![("120", "regional_manager"), ("300", "head_office")]).await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&c, url.clone()).await;
    assert!(
        html.contains("120 % 区域经理 · 300 % 总部")
            && html.contains("name=\"ladder[0].percent\" value=\"120\""),
        "{html}"
    );

    // The API: a bad step named, nothing saved; a good ladder published with the policy.
    let tok = t.token(domain::role::Role::Administrator).await;
    let body = |ladder: serde_json::Value| {
        serde_json::json!({
            "category": "waiting_time", "severity": "urgent", "mode": "business",
            "first_response": 60, "full_record": 1440, "analysis": 2880,
            "solution": 1440, "closure": 4320, "ladder": ladder,
        })
    };
    let api = format!("{}/api/v1/complaint-policies", t.base);
    let r = t
        .client()
        .post(&api)
        .bearer_auth(&tok)
        .json(&body(serde_json::json!([
            {"percent": 100, "notify": "station_manager"},
            {"percent": 100, "notify": "mayor"},
        ])))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let doc: serde_json::Value = r.json().await.unwrap();
    let fields: Vec<(&str, &str)> = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [
            ("ladder[1].notify", "complaint.level_unknown"),
            ("ladder[1].percent", "complaint.ladder_not_rising"),
        ],
        "{doc}"
    );
    // Steps each valid on their own that do not rise: a rule across the steps no
    // schema states, refused (409) naming the step, nothing saved.
    let r = t
        .client()
        .post(&api)
        .bearer_auth(&tok)
        .json(&body(serde_json::json!([
            {"percent": 200, "notify": "station_manager"},
            {"percent": 150, "notify": "head_office"},
        ])))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let doc: serde_json::Value = r.json().await.unwrap();
    assert_eq!(doc["errors"][0]["field"], "ladder[1].percent", "{doc}");
    assert_eq!(
        doc["errors"][0]["rule"], "complaint.ladder_not_rising",
        "{doc}"
    );
    let r = t
        .client()
        .post(&api)
        .bearer_auth(&tok)
        .json(&body(
            serde_json::json!([{"percent": 200, "notify": "head_office"}]),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        v["policy"]["ladder"],
        serde_json::json!([[200, "head_office"]])
    );
    assert_eq!(
        versions(&t, "waiting_time", "urgent").await.len(),
        before.len() + 2
    );
}
