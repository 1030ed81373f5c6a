//! Finding 12 on the console: head office's three-guarantees policy page
//! (`/console/three-guarantees/policy`) shows each value beside its legal value and
//! article, refuses values below the law through the API's use case (the article
//! beside each refused field, nothing saved), saves generous values with a toast; a
//! station reads it and its post is 403.

use super::*;

/// The policy's fields as the page posts them, at the regulation's values.
fn legal_form(csrf: &str) -> Vec<(&'static str, String)> {
    let l = domain::guarantee::period::Policy::LEGAL;
    vec![
        ("csrf", csrf.to_string()),
        ("sanbao_months", l.sanbao_months.to_string()),
        ("sanbao_km", l.sanbao_km.to_string()),
        ("warranty_months", l.warranty_months.to_string()),
        ("warranty_km", l.warranty_km.to_string()),
        ("early_refund_days", l.early_refund_days.to_string()),
        ("early_days", l.early_days.to_string()),
        ("early_km", l.early_km.to_string()),
        ("courtesy_car_days", l.courtesy_car_days.to_string()),
        (
            "cumulative_repair_days",
            l.cumulative_repair_days.to_string(),
        ),
        ("same_problem_repairs", l.same_problem_repairs.to_string()),
        (
            "serious_safety_repairs",
            l.serious_safety_repairs.to_string(),
        ),
        ("replacements", l.replacements.to_string()),
        ("warning_margin_days", l.warning_margin_days.to_string()),
    ]
}

/// `form` with `field` set to `value`.
fn set(
    mut form: Vec<(&'static str, String)>,
    field: &str,
    value: &str,
) -> Vec<(&'static str, String)> {
    for (k, v) in &mut form {
        if *k == field {
            *v = value.to_string();
        }
    }
    form
}

async fn post(
    web: &reqwest::Client,
    url: &str,
    form: &[(&'static str, String)],
) -> (StatusCode, String, String) {
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post_form(web, url.to_string(), &fields).await
}

/// The error shown beside `field`, if any.
fn error_beside(html: &str, field: &str) -> Option<String> {
    let marker = format!("data-field=\"{field}\">");
    let at = html.find(&marker)? + marker.len();
    let end = html[at..].find("</div>")? + at;
    Some(html[at..end].to_string())
}

#[tokio::test]
async fn head_office_sets_the_policy_on_its_page_and_never_below_the_law() {
    let t = TestApp::spawn().await;
    let admin = Api::new(&t, Role::Administrator).await;
    let url = format!("{}/console/three-guarantees/policy", t.base);
    let (hq, csrf) = t.login("administrator").await;

    // Head office reaches it from the navigation; every value beside the law.
    let home = page_text(&hq, format!("{}/console", t.base)).await;
    assert!(
        home.contains("href=\"/console/three-guarantees/policy\""),
        "the navigation links the policy"
    );
    let html = page_text(&hq, url.clone()).await;
    assert!(html.contains("id=\"policy-save\""), "the form");
    assert!(html.contains("法定标准（总部尚未修改）"), "{html}");
    for (field, value) in [("sanbao_months", "24"), ("courtesy_car_days", "5")] {
        assert!(
            html.contains(&format!(
                "name=\"{field}\" inputmode=\"numeric\" value=\"{value}\""
            )),
            "{field} shows {value}"
        );
    }
    assert!(html.contains("至少 24 个月 · 第十八条"), "{html}");
    assert!(html.contains("1 至 5 天 · 第二十一条"), "{html}");
    assert!(
        html.contains("第二十四条第一款第（二）项、第二十四条第一款第（三）项"),
        "{html}"
    );
    assert!(
        !html.contains("art18") && !html.contains("art24"),
        "no raw codes"
    );

    // Below the law on three fields and a word in a fourth: each refused beside its
    // field, naming the article; the typed values come back; nothing saved.
    let bad = set(
        set(
            set(legal_form(&csrf), "sanbao_months", "12"),
            "courtesy_car_days",
            "7",
        ),
        "same_problem_repairs",
        "6",
    );
    let (s, _, body) = post(&hq, &url, &bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("三包政策未保存"), "{body}");
    assert!(
        !body.contains("art18") && !body.contains("art21"),
        "no raw codes: {body}"
    );
    let months = error_beside(&body, "sanbao_months").expect("beside the 三包 months");
    assert!(
        months.contains("第十八条") && months.contains("24"),
        "{months}"
    );
    let days = error_beside(&body, "courtesy_car_days").expect("beside the courtesy days");
    assert!(days.contains("第二十一条"), "{days}");
    let repeats = error_beside(&body, "same_problem_repairs").expect("beside the repeats");
    assert!(repeats.contains("第二十四条第一款第（四）项"), "{repeats}");
    assert!(
        error_beside(&body, "sanbao_km").is_none(),
        "a good value has no error"
    );
    assert!(body.contains("name=\"sanbao_months\" inputmode=\"numeric\" value=\"12\""));
    let (s, _, body) = post(&hq, &url, &set(legal_form(&csrf), "early_km", "三千")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_beside(&body, "early_km").is_some(), "{body}");
    let (s, _, body) = post(
        &hq,
        &url,
        &set(legal_form(&csrf), "warning_margin_days", "31"),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_beside(&body, "warning_margin_days").is_some(),
        "{body}"
    );
    let (_, p) = admin.get("/settings/three-guarantees").await;
    assert_eq!(p["is_default"], true, "nothing saved: {p}");

    // More generous values are saved, with a toast.
    let better = set(
        set(legal_form(&csrf), "sanbao_months", "36"),
        "same_problem_repairs",
        "3",
    );
    let (s, loc, _) = post(&hq, &url, &better).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(loc, "/console/three-guarantees/policy#policy");
    let html = page_text(&hq, url.clone()).await;
    assert!(html.contains("已保存三包政策"), "the toast");
    assert!(html.contains("总部于"), "changed, with when");
    let (_, p) = admin.get("/settings/three-guarantees").await;
    assert_eq!(p["is_default"], false);
    assert_eq!(p["policy"]["sanbao_months"], 36);
    assert_eq!(p["policy"]["same_problem_repairs"], 3);

    // A station reads the policy (no form, no navigation link) and may not post.
    let (web, web_csrf) = t.login("service_advisor").await;
    let home = page_text(&web, format!("{}/console", t.base)).await;
    assert!(!home.contains("href=\"/console/three-guarantees/policy\""));
    let html = page_text(&web, url.clone()).await;
    assert!(!html.contains("id=\"policy-save\""), "read only");
    assert!(
        html.contains(
            "data-setting=\"sanbao_months\"><td>三包有效期</td><td data-label=\"现行值\">36 个月"
        ),
        "{html}"
    );
    assert!(html.contains("优于法定"), "{html}");
    let (s, _, _) = post(
        &web,
        &url,
        &set(legal_form(&web_csrf), "sanbao_months", "48"),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, p) = admin.get("/settings/three-guarantees").await;
    assert_eq!(p["policy"]["sanbao_months"], 36, "unchanged");
}
