//! Complaint categories as head office's data over real HTTP, on SQLite and, with
//! `TEST_DATABASE_URL`, PostgreSQL: head office adds, renames and retires a category
//! on its page and through the API (with its OpenAPI description); refusals are
//! named beside the field, nothing saved; the intake and the queue's filter offer the
//! names in the user's language, a retired category is not offered for new
//! complaints and filing with it is 422 on `category`; the part concerned is named
//! on the detail page at any time, audited in the timeline.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_office_adds_renames_and_retires_a_category_on_its_page() {
    let t = TestApp::spawn().await;
    let url = format!("{}/console/complaints/categories", t.base);
    let (c, _) = t.login("administrator").await;
    let (s, html) = page(&c, url.clone()).await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("id=\"cat-add\"") && html.contains("维修质量"),
        "{html}"
    );
    let csrf = hidden(&html, "csrf");
    let add = |code: &'static str, zh: &'static str, en: &'static str| {
        let (c, url, csrf) = (c.clone(), url.clone(), csrf.clone());
        async move {
            c.post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("code", code),
                    ("name_zh", zh),
                    ("name_en", en),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // A bad code and a blank name: each beside its field, the typed text kept.
    let r = add("Noise!", "", "Noise").await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"add-code-err\"") && html.contains("id=\"add-name_zh-err\""),
        "{html}"
    );
    assert!(html.contains("value=\"Noise!\""), "{html}");
    // Added: a toast back to the page, the default targets on the policy list.
    let r = add("noise", "异响", "Noise").await;
    assert_eq!(r.status(), 303);
    let r = add("noise", "异响", "Noise").await;
    assert_eq!(r.status(), 409, "twice");
    let policies = app::complaint::policy::list(&t.app, &head_office(Action::ComplaintRead))
        .await
        .unwrap();
    assert_eq!(policies.iter().filter(|p| p.category == "noise").count(), 2);
    // Renamed; the intake offers the new name, in English for an English user.
    let r = c
        .post(format!("{url}/noise"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("op", "rename"),
            ("name_zh", "车内异响"),
            ("name_en", "Cabin noise"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, intake) = page(&c, format!("{}/console/complaints/new", t.base)).await;
    assert!(
        intake.contains("<option value=\"noise\">车内异响</option>"),
        "{intake}"
    );
    assert!(intake.contains("name=\"part_number\""), "{intake}");
    // Retired: not offered for new complaints, still in the queue's filter.
    let r = c
        .post(format!("{url}/noise"))
        .form(&[("csrf", csrf.as_str()), ("op", "retire")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, intake) = page(&c, format!("{}/console/complaints/new", t.base)).await;
    assert!(!intake.contains("value=\"noise\""), "{intake}");
    let (_, queue) = page(&c, format!("{}/console/complaints", t.base)).await;
    assert!(
        queue.contains("<option value=\"noise\">车内异响</option>"),
        "{queue}"
    );
    let (_, html) = page(&c, url.clone()).await;
    assert!(
        html.contains("已停用") && html.contains("data-op=\"restore\""),
        "{html}"
    );
    // Filing with it through the intake form: 422 beside the category, nothing filed.
    let r = c
        .post(format!("{}/console/complaints/new", t.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("station_id", &t.fx.station_a.to_string()),
            ("channel", "hotline"),
            ("category", "noise"),
            ("severity", "normal"),
            ("description", "异响"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-field=\"category\"") && html.contains("该投诉类别已停用"),
        "{html}"
    );

    // A station manager reads the list without forms and cannot post.
    let (sm, _) = t.login("station_manager").await;
    let (s, html) = page(&sm, url.clone()).await;
    assert_eq!(s, 200);
    assert!(
        !html.contains("id=\"cat-add\"") && html.contains("车内异响"),
        "{html}"
    );
    let csrf = hidden(&html, "csrf");
    let r = sm
        .post(url.clone())
        .form(&[
            ("csrf", csrf.as_str()),
            ("code", "x9"),
            ("name_zh", "x"),
            ("name_en", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_manages_categories_and_refuses_an_unknown_one() {
    let t = TestApp::spawn().await;
    let (c, csrf) = t.login("administrator").await;
    let api = |p: &str| format!("{}/api/v1{p}", t.base);
    let r = c
        .post(api("/complaint-categories"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"code": "noise", "name_zh": "异响", "name_en": "Noise"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = c
        .post(api("/complaint-categories"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"code": "x", "name_zh": "", "name_en": "Y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("\"code\"") && body.contains("name_zh"),
        "{body}"
    );
    let r = c
        .put(api("/complaint-categories/noise"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"name_zh": "车内异响", "name_en": "Cabin noise"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A category added at run time is accepted by the API.
    let r = c
        .post(api("/complaints"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"station_id": t.fx.station_a, "channel": "hotline", "category": "noise", "severity": "normal", "description": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = c
        .post(api("/complaint-categories/noise/retire"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let list: serde_json::Value = c
        .get(api("/complaint-categories"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let noise = list
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "noise")
        .unwrap();
    assert_eq!(
        (noise["name_en"].as_str(), noise["active"].as_bool()),
        (Some("Cabin noise"), Some(false))
    );
    for (code, rule) in [
        ("noise", "complaint.category_retired"),
        ("weather", "complaint.category_unknown"),
    ] {
        let r = c
            .post(api("/complaints"))
            .header("x-csrf-token", &csrf)
            .json(&serde_json::json!({"station_id": t.fx.station_a, "channel": "hotline", "category": code, "severity": "normal", "description": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("\"category\"") && body.contains(rule),
            "{body}"
        );
    }
    let r = c
        .get(api("/complaints?category=weather"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let doc = c
        .get(format!("{}/api/openapi.json", t.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        doc.contains("\"/api/v1/complaint-categories/{code}/retire\"")
            && doc.contains("\"/api/v1/complaints/{id}/part\""),
        "the OpenAPI document states them"
    ); // A category is the code's pattern, not an enum of the shipped six: head office
    // adds categories at run time.
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    for schema in ["ComplaintFileInput", "ComplaintPolicyInput"] {
        let cat = &doc["components"]["schemas"][schema]["properties"]["category"];
        assert_eq!(
            cat["pattern"].as_str(),
            Some(domain::complaint::category::CategoryCode::PATTERN),
            "{schema}: {cat}"
        );
        assert!(cat.get("enum").is_none(), "{schema}: {cat}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_part_is_named_on_the_detail_page_and_audited() {
    let t = TestApp::spawn().await;
    let admin = domain::permission::Principal {
        kind: domain::permission::ActorKind::Person,
        id: 1,
        name: "admin".into(),
        role: domain::role::Role::Administrator,
        unit: domain::permission::Unit::HeadOffice,
    };
    let p = app::part::PartInput {
        part_number: "BRAKE-PAD-F".into(),
        name_zh: "前刹车片".into(),
        name_en: "Front brake pads".into(),
        price_fen: 1000i64.into(),
    };
    app::part::upsert(&t.app, &admin.grant(Action::NetworkWrite).unwrap(), &p)
        .await
        .unwrap();
    let input = app::complaint::FileInput {
        station_id: t.fx.station_a,
        channel: "hotline".into(),
        category: "parts_quality".into(),
        severity: "normal".into(),
        description: "刹车片异响".into(),
        ..Default::default()
    };
    let id = app::complaint::file(&t.app, &head_office(Action::ComplaintWrite), &input)
        .await
        .unwrap()
        .id;
    let (c, _) = t.login("station_manager").await;
    let url = format!("{}/console/complaints/{id}", t.base);
    let (s, html) = page(&c, url.clone()).await;
    assert_eq!(s, 200);
    assert!(
        html.contains(
            "action=\"/console/complaints/{id}/part\""
                .replace("{id}", &id.to_string())
                .as_str()
        ),
        "{html}"
    );
    let csrf = hidden(&html, "csrf");
    let send = |part: &'static str| {
        let (c, url, csrf) = (c.clone(), url.clone(), csrf.clone());
        async move {
            c.post(format!("{url}/part"))
                .form(&[("csrf", csrf.as_str()), ("part_number", part)])
                .send()
                .await
                .unwrap()
        }
    };
    let r = send("NO-SUCH").await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-field=\"part_number\"") && html.contains("NO-SUCH"),
        "{html}"
    );
    let r = send("BRAKE-PAD-F").await;
    assert_eq!(r.status(), 303);
    let (_, html) = page(&c, url.clone()).await;
    assert!(
        html.contains("指定涉及零件") && html.contains("BRAKE-PAD-F"),
        "{html}"
    );
    let d = app::complaint::detail(&t.app, &head_office(Action::ComplaintRead), id)
        .await
        .unwrap();
    assert_eq!(d.complaint.part_number.as_deref(), Some("BRAKE-PAD-F"));
}
