//! Issue 19 item 1: the main parts of the ten systems (GB/T 29632) are data head
//! office edits — listed by whoever reads the three guarantees, added, renamed and
//! retired by head office through the API and the console page, each change on the
//! audit timeline — and the counters work off the stored list: a part added today
//! counts, a retired part stays on the faults recorded with it but no new fault may
//! name it. Item 5: the vehicle page's warranty end is the 包修期's end.

use super::*;

async fn events(t: &TestApp, kind: &str) -> i64 {
    let mut c = t.app.db.pool.acquire().await.unwrap();
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM events WHERE entity = 'guarantee_main_part' AND kind = $1",
    )
    .bind(kind)
    .fetch_one(&mut *c)
    .await
    .unwrap()
}

#[tokio::test]
async fn head_office_edits_the_main_parts_and_the_counters_follow_the_stored_list() {
    let t = TestApp::spawn().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let admin = Api::new(&t, Role::Administrator).await;
    let list = "/three-guarantees/main-parts";

    // Seeded from the shipped list; a station reads it, only head office writes.
    let (s, parts) = advisor.get(list).await;
    assert_eq!(s, StatusCode::OK, "{parts}");
    let shipped = domain::guarantee::main_part::MainPartList::shipped().unwrap();
    assert_eq!(parts.as_array().unwrap().len(), shipped.len());
    assert!(
        parts
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["system"] == "engine"
                && p["code"] == "crankshaft"
                && p["name_zh"] == "曲轴"
                && p["active"] == true)
    );
    let part = json!({"system": "body", "code": "tailgate_hinge", "name_zh": "尾门铰链", "name_en": "tailgate hinge"});
    let (s, _) = advisor.post(list, part.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Bad input: every field named, nothing written.
    let (s, v) = admin
        .post(
            list,
            json!({"system": "wings", "code": "X-1", "name_zh": " ", "name_en": "flap"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["system", "code", "name_zh"], "{v}");
    assert_eq!(v["errors"][0]["rule"], "guarantee.system_unknown");
    let (_, again) = advisor.get(list).await;
    assert_eq!(again, parts, "nothing written");

    // Added once; the same code in the same system is a conflict.
    let (s, v) = admin.post(list, part.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["active"], true);
    let (s, v) = admin.post(list, part).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["errors"][0]["rule"], "guarantee.main_part_duplicate");

    // A fault names the new part and the counters count it.
    let car = car(&t, &advisor, "AN001940").await;
    at(&t, "2026-03-02T09:00");
    let order = open(&t, &advisor, car, "尾门异响").await;
    let hinge = json!({"quality": true, "part": "tailgate_hinge", "system": "body",
        "main_part": "tailgate_hinge", "action": "replace_main_part"});
    classify(&advisor, order, hinge.clone()).await;
    at(&t, "2026-03-03T09:00");
    deliver(&t, order).await;
    let counted = |g: &Value| {
        g["counters"]["main_parts"]
            .to_string()
            .contains("body/tailgate_hinge")
    };
    let (_, g) = advisor
        .get(&format!("/vehicles/{car}/three-guarantees"))
        .await;
    assert!(counted(&g), "{g}");

    // Renamed: the pages show the new name.
    let one = "/three-guarantees/main-parts/body/tailgate_hinge";
    let (s, v) = admin.patch(one, json!({"name_zh": "后背门铰链"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["name_zh"].as_str(), v["name_en"].as_str()),
        (Some("后背门铰链"), Some("tailgate hinge"))
    );
    let (s, v) = admin.patch(one, json!({"name_en": ""})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], "name_en");
    let (web, _) = t.login("service_advisor").await;
    let page = page_text(&web, format!("{}/console/vehicles/{car}", t.base)).await;
    assert!(
        page.contains("后背门铰链"),
        "the vehicle page names the part as renamed"
    );

    // Retired: the fault recorded keeps counting; a new fault cannot name it.
    let (s, v) = admin.patch(one, json!({"retired": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["active"], false);
    let (_, g) = advisor
        .get(&format!("/vehicles/{car}/three-guarantees"))
        .await;
    assert!(
        counted(&g),
        "a retired part stays valid for past orders: {g}"
    );
    at(&t, "2026-04-02T09:00");
    let next = open(&t, &advisor, car, "尾门异响").await;
    let (s, v) = advisor
        .post(
            &format!("/repair-orders/{next}/three-guarantees/faults"),
            hinge,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["rule"], "guarantee.main_part_retired");
    let (s, _) = admin
        .patch("/three-guarantees/main-parts/body/no_such_part", json!({}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Every change on the audit timeline.
    for kind in [
        "guarantee_main_part_added",
        "guarantee_main_part_renamed",
        "guarantee_main_part_retired",
    ] {
        assert_eq!(events(&t, kind).await, 1, "{kind}");
    }
}

#[tokio::test]
async fn the_main_parts_page_lists_per_system_and_head_office_edits_there() {
    let t = TestApp::spawn().await;
    let url = format!("{}/console/three-guarantees/main-parts", t.base);
    let (hq, csrf) = t.login("administrator").await;
    let policy = page_text(&hq, format!("{}/console/three-guarantees/policy", t.base)).await;
    assert!(
        policy.contains("href=\"/console/three-guarantees/main-parts\""),
        "linked from the policy"
    );
    let html = page_text(&hq, url.clone()).await;
    assert!(html.contains("id=\"part-add\"") && html.contains("id=\"system-brakes\""));
    assert!(html.contains("曲轴") && html.contains("data-part=\"engine/crankshaft\""));

    // A refused add comes back with the error beside its field and the typed values.
    let (s, _, body) = post_form(
        &hq,
        url.clone(),
        &[
            ("csrf", &csrf),
            ("system", "brakes"),
            ("code", "ABS"),
            ("name_zh", "防抱死泵"),
            ("name_en", "ABS pump"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("data-field=\"code\"") && body.contains("value=\"防抱死泵\""),
        "{body}"
    );
    let (s, loc, _) = post_form(
        &hq,
        url.clone(),
        &[
            ("csrf", &csrf),
            ("system", "brakes"),
            ("code", "abs_pump"),
            ("name_zh", "防抱死泵"),
            ("name_en", "ABS pump"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(loc.ends_with("#part-brakes-abs_pump"), "{loc}");
    let (s, _, _) = post_form(
        &hq,
        format!("{url}/brakes/abs_pump"),
        &[("csrf", &csrf), ("op", "retire")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let html = page_text(&hq, url.clone()).await;
    let at = html.find("id=\"part-brakes-abs_pump\"").unwrap();
    assert!(
        html[at..].contains("data-op=\"restore\""),
        "retired: it can be restored"
    );

    // A station reads the list, with no form; its post is refused.
    let (station, station_csrf) = t.login("service_advisor").await;
    let html = page_text(&station, url.clone()).await;
    assert!(html.contains("防抱死泵") && !html.contains("id=\"part-add\""));
    let (s, _, _) = post_form(
        &station,
        url,
        &[
            ("csrf", &station_csrf),
            ("system", "brakes"),
            ("code", "abs_valve"),
            ("name_zh", "阀"),
            ("name_en", "valve"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// Item 5: the vehicle's warranty end (保修结束) and the 包修期's end are the same day,
/// counted as the Civil Code counts (Arts 201–202: from the next day to the
/// corresponding day).
#[tokio::test]
async fn the_vehicle_pages_warranty_end_is_the_warranty_periods_end() {
    let t = TestApp::spawn().await;
    let advisor = Api::new(&t, Role::ServiceAdvisor).await;
    let car = car_sold(&t, &advisor, "AN001941", "2025-06-01").await;
    let (_, v) = advisor.get(&format!("/vehicles/{car}")).await;
    let (_, g) = advisor
        .get(&format!("/vehicles/{car}/three-guarantees"))
        .await;
    assert_eq!(v["vehicle"]["warranty_end"], "2028-06-01", "{v}");
    assert_eq!(
        g["coverage"]["warranty_until"], v["vehicle"]["warranty_end"],
        "{g}"
    );
    let (web, _) = t.login("service_advisor").await;
    let page = page_text(&web, format!("{}/console/vehicles/{car}", t.base)).await;
    assert!(
        page.contains("2028-06-01 / 100000 km"),
        "the vehicle's own line"
    );
    assert!(page.contains("2025-06-01 – 2028-06-01"), "the 包修期 line");
    assert!(!page.contains("2028-05-31"), "never a day apart");
}
