//! The goodwill approval limits page over real HTTP, on SQLite and, with
//! `TEST_DATABASE_URL`, PostgreSQL: head office types the limits in yuan and they are
//! kept in fen; an amount that is not one, or limits that do not rise with the role,
//! are refused beside their field with nothing saved; other roles see the limits
//! without a form and cannot post one.

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

async fn limits(t: &TestApp) -> (i64, i64, i64, bool) {
    let v = app::complaint::goodwill::limits(&t.app, &head_office(Action::ComplaintRead))
        .await
        .unwrap();
    (
        v.customer_relations_fen,
        v.station_manager_fen,
        v.regional_manager_fen,
        v.is_default,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_office_sets_the_limits_in_yuan_and_bad_input_is_named_beside_its_field() {
    let t = TestApp::spawn().await;
    let url = format!("{}/console/complaints/goodwill-limits", t.base);
    let (c, _) = t.login("administrator").await;
    let (s, html) = page(&c, url.clone()).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("id=\"goodwill-limits\""), "{html}");
    assert!(html.contains("目前使用系统默认权限"), "{html}");
    assert!(
        html.contains("value=\"500\"") && html.contains("¥2,000.00"),
        "{html}"
    );
    let csrf = hidden(&html, "csrf");
    let post = |vals: [&'static str; 3]| {
        let c = c.clone();
        let (url, csrf) = (url.clone(), csrf.clone());
        async move {
            c.post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("customer_relations_fen", vals[0]),
                    ("station_manager_fen", vals[1]),
                    ("regional_manager_fen", vals[2]),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // Not an amount: beside its field, the typed text kept.
    let r = post(["五百", "2000", "10000"]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"gw-customer_relations_fen-err\""),
        "{html}"
    );
    assert!(html.contains("金额请按元填写"), "{html}");
    assert!(html.contains("value=\"五百\""), "{html}");
    // Not rising with the role.
    let r = post(["3000", "2000", "10000"]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-field=\"customer_relations_fen\""),
        "{html}"
    );
    assert!(
        html.contains("客户关系的审批上限不能高于上一级角色的审批上限"),
        "{html}"
    );
    // Over a million yuan.
    let r = post(["500", "2000", "1000000.01"]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("区域经理的审批上限须在 0 至 ¥1,000,000.00 之间"),
        "{html}"
    );
    assert_eq!(limits(&t).await, (50_000, 200_000, 1_000_000, true));

    let r = post(["800", "2500.50", "12000"]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(limits(&t).await, (80_000, 250_050, 1_200_000, false));
    let (_, html) = page(&c, url.clone()).await;
    assert!(
        html.contains("以下为总部设置的审批权限") && html.contains("value=\"2500.50\""),
        "{html}"
    );

    // A station manager sees the limits, without a form, and cannot post one.
    let (sm, _) = t.login("station_manager").await;
    let (s, html) = page(&sm, url.clone()).await;
    assert_eq!(s, 200, "{html}");
    assert!(!html.contains("id=\"goodwill-limits\""), "{html}");
    assert!(
        html.contains("¥2,500.50") && html.contains("不设上限"),
        "{html}"
    );
    let csrf = hidden(&html, "csrf");
    let r = sm
        .post(url.clone())
        .form(&[
            ("csrf", csrf.as_str()),
            ("customer_relations_fen", "1"),
            ("station_manager_fen", "2"),
            ("regional_manager_fen", "3"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(limits(&t).await, (80_000, 250_050, 1_200_000, false));
}
