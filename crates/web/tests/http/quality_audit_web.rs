//! Quality audits through the console and the API, as the people who use them: the
//! auditor starts a visit, fills the checklist form and submits it; the failed
//! checkpoint becomes a corrective action the station manager closes with evidence on
//! its page and the auditor verifies; the pages speak both languages with names, not
//! codes; bad input is refused with the rule named and nothing changed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use testkit::TestApp;

#[path = "quality_audit_web/quality.rs"]
mod quality;

async fn page(c: &reqwest::Client, url: String) -> (u16, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Posts a console form and answers the status (redirects not followed) and the
/// final page text (the redirect's target, fetched).
async fn post(
    c: &reqwest::Client,
    base: &str,
    path: &str,
    fields: &[(String, String)],
) -> (u16, String, String) {
    let r = c
        .post(format!("{base}{path}"))
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let to = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = r.text().await.unwrap();
    if to.is_empty() {
        (status, to, body)
    } else {
        let (_, html) = page(c, format!("{base}{to}")).await;
        (status, to, html)
    }
}

fn kv(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_from_the_form_to_a_verified_corrective_action() {
    let t = TestApp::spawn().await;
    let (auditor, csrf) = t.login("quality_auditor").await;
    let (s, html) = page(&auditor, format!("{}/console/quality-audits", t.base)).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("还没有检核记录"), "the empty state: {html}");
    assert!(
        html.contains("href=\"/console/quality-audits\""),
        "the navigation links the area"
    );

    // A day in the future is refused on the form, naming the rule; nothing stored.
    let station = t.fx.station_a.to_string();
    let (s, _, html) = post(
        &auditor,
        &t.base,
        "/console/quality-audits",
        &[
            kv("csrf", &csrf),
            kv("station_id", &station),
            kv("kind", "mystery_shopper"),
            kv("visited_on", "2099-01-01"),
        ],
    )
    .await;
    assert_eq!(s, 422, "{html}");
    assert!(html.contains("检核日期不能晚于今天"), "{html}");

    let today = app::quality_audit::today_text(&t.app);
    let (s, to, html) = post(
        &auditor,
        &t.base,
        "/console/quality-audits",
        &[
            kv("csrf", &csrf),
            kv("station_id", &station),
            kv("kind", "mystery_shopper"),
            kv("visited_on", &today),
        ],
    )
    .await;
    assert_eq!(s, 303, "{html}");
    assert!(to.starts_with("/console/quality-audits/"), "{to}");
    for label in [
        "预约电话在三声内接听",
        "神秘客户",
        "通过",
        "不适用",
        "硬件设施",
    ] {
        assert!(html.contains(label), "{label}: {html}");
    }
    assert!(!html.contains("qa."), "no raw keys: {html}");

    // Fill every checkpoint: all pass but R02, failed without its finding first.
    let list = domain::quality_audit::checklist::Checklist::default_list();
    let mut fields = vec![kv("csrf", &csrf)];
    for c in list.checkpoints() {
        fields.push((
            format!("v_{}", c.code),
            if c.code == "R02" { "fail" } else { "pass" }.to_string(),
        ));
    }
    let (s, _, html) = post(&auditor, &t.base, &format!("{to}/submit"), &fields).await;
    assert_eq!(s, 422, "{html}");
    assert!(html.contains("未通过的检核项须写明问题"), "{html}");
    fields.push(kv("f_R02", "未当面铺设三件套"));
    fields.push(kv("summary", "接待环节需加强"));
    let (s, _, html) = post(&auditor, &t.base, &format!("{to}/submit"), &fields).await;
    assert_eq!(s, 303, "{html}");
    assert!(html.contains("98.5%"), "67 of 68 passed: {html}");
    assert!(
        html.contains("未当面铺设三件套") && html.contains("待分析原因"),
        "{html}"
    );
    let href = html
        .split("href=\"/console/corrective-actions/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a link to the action")
        .to_string();
    let action = format!("/console/corrective-actions/{href}");

    // The station manager sees it among the station's actions and works it.
    let (manager, mcsrf) = t.login("station_manager").await;
    let (s, html) = page(&manager, format!("{}/console/corrective-actions", t.base)).await;
    assert_eq!(s, 200);
    assert!(html.contains("未当面铺设三件套"), "{html}");
    let (_, html) = page(&manager, format!("{}{action}", t.base)).await;
    assert!(
        html.contains("填写原因分析") && !html.contains("验证通过"),
        "station steps only: {html}"
    );
    let (s, _, _) = post(
        &manager,
        &t.base,
        &format!("{action}/steps"),
        &[
            kv("csrf", &mcsrf),
            kv("step", "record_cause"),
            kv("text", "新员工未培训"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    let (s, _, html) = post(
        &manager,
        &t.base,
        &format!("{action}/steps"),
        &[
            kv("csrf", &mcsrf),
            kv("step", "close_with_evidence"),
            kv("text", "全员培训"),
            kv("evidence", " "),
        ],
    )
    .await;
    assert_eq!(s, 422, "{html}");
    assert!(html.contains("完成整改须提交证据"), "{html}");
    let (s, _, html) = post(
        &manager,
        &t.base,
        &format!("{action}/steps"),
        &[
            kv("csrf", &mcsrf),
            kv("step", "close_with_evidence"),
            kv("text", "全员培训"),
            kv("evidence", "培训签到表"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    assert!(html.contains("待验证"), "{html}");
    // The manager cannot verify the station's own measure.
    let (s, _, _) = post(
        &manager,
        &t.base,
        &format!("{action}/steps"),
        &[kv("csrf", &mcsrf), kv("step", "verify"), kv("text", "ok")],
    )
    .await;
    assert_eq!(s, 403);

    let (s, _, html) = post(
        &auditor,
        &t.base,
        &format!("{action}/steps"),
        &[
            kv("csrf", &csrf),
            kv("step", "verify"),
            kv("text", "复查通过"),
        ],
    )
    .await;
    assert_eq!(s, 303);
    assert!(
        html.contains("已验证") && html.contains("复查通过"),
        "{html}"
    );
    for step in ["生成整改", "原因分析", "完成整改", "验证通过"] {
        assert!(html.contains(step), "{step} in the history: {html}");
    }

    // The same through the API, in English.
    let r = auditor
        .get(format!(
            "{}/api/v1/corrective-actions?state=verified",
            t.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["total"], 1, "{v}");
    let r = auditor
        .get(format!("{}/api/v1/corrective-actions?state=lost", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_speak_english_and_keep_stations_apart() {
    let t = TestApp::spawn().await;
    let (auditor, _) = t.login("quality_auditor").await;
    page(&auditor, format!("{}/lang/en", t.base)).await;
    let (_, html) = page(&auditor, format!("{}/console/quality-audits", t.base)).await;
    for label in [
        "Audits and mystery shoppers",
        "Start an audit",
        "Mystery shopper",
        "No audits yet",
    ] {
        assert!(html.contains(label), "{label}: {html}");
    }
    assert!(!html.contains("qa."), "no raw keys: {html}");

    // An audit of station B is not visible to station A's manager.
    let g = domain::permission::Principal {
        kind: domain::permission::ActorKind::Person,
        id: 1,
        name: "qa".into(),
        role: domain::role::Role::QualityAuditor,
        unit: domain::permission::Unit::HeadOffice,
    };
    let w = g
        .grant(domain::permission::Action::QualityAuditWrite)
        .unwrap();
    let v = app::quality_audit::start(
        &t.app,
        &w,
        &app::quality_audit::VisitInput {
            station_id: t.fx.station_b,
            kind: "third_party".into(),
            visited_on: app::quality_audit::today_text(&t.app),
        },
    )
    .await
    .unwrap();
    let (manager, _) = t.login("station_manager").await;
    let (s, _) = page(
        &manager,
        format!("{}/console/quality-audits/{}", t.base, v.id),
    )
    .await;
    assert_eq!(s, 404);
    let (s, html) = page(&manager, format!("{}/console/quality-audits", t.base)).await;
    assert_eq!(s, 200);
    assert!(
        !html.contains(&format!("/console/quality-audits/{}\"", v.id)),
        "{html}"
    );
    // The depot page offers the manager the rating form.
    let (s, html) = page(&manager, format!("{}/console/depot-ratings", t.base)).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("评价本区域中心库"), "{html}");
    // A technician holds no audit permission at all.
    let (tech, _) = t.login("technician").await;
    let (s, _) = page(&tech, format!("{}/console/quality-audits", t.base)).await;
    assert_eq!(s, 403);
}
