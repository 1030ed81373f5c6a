//! Security headers on every response, no inline script anywhere (so the CSP can
//! forbid it), and Secure cookies behind TLS.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use reqwest::StatusCode;
use testkit::TestApp;

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

#[tokio::test]
async fn pages_and_api_answers_carry_the_security_headers() {
    let t = TestApp::spawn().await;
    let (c, _) = t.login("administrator").await;
    let pages = [
        format!("/console/customers/{}", t.fx.customer_a),
        "/console".to_string(),
        "/console/login".to_string(),
        "/owner/login".to_string(),
        "/api/docs".to_string(),
        format!("/api/v1/customers/{}", t.fx.customer_a),
        "/api/v1/nowhere".to_string(),
    ];
    for path in pages {
        let r = c.get(format!("{}{path}", t.base)).send().await.unwrap();
        let csp = header(&r, "content-security-policy");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"),);
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(header(&r, "x-frame-options"), "DENY", "{path}");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header(&r, "referrer-policy"), "no-referrer", "{path}");
        assert_eq!(header(&r, "cache-control"), "no-store", "{path}");
        assert_eq!(
            header(&r, "strict-transport-security"),
            "",
            "not behind TLS"
        );
        let body = r.text().await.unwrap();
        assert!(
            !body.contains("<script>"),
            "{path} has an inline script the CSP would block"
        );
    }
    let css = c
        .get(format!("{}/assets/console.css", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&css, "cache-control"), "max-age=3600");
    for js in ["/assets/live.js", "/assets/api-docs.js"] {
        let r = c.get(format!("{}{js}", t.base)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{js}");
        assert!(header(&r, "content-type").starts_with("text/javascript"));
    }
}

#[tokio::test]
async fn behind_tls_every_cookie_is_secure() {
    let t = TestApp::spawn_with_state(
        app::AppSettings {
            log_codes: false,
            ..Default::default()
        },
        |s| s.with_secure_cookies(true),
    )
    .await;
    let c = t.client();
    let mut seen = 0;
    for path in ["/console/login", "/owner/login", "/lang/en?back=/console"] {
        let r = c.get(format!("{}{path}", t.base)).send().await.unwrap();
        assert!(header(&r, "strict-transport-security").starts_with("max-age="));
        for v in r.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            assert!(v.ends_with("; Secure"), "{path}: {v}");
            seen += 1;
        }
    }
    let r = c
        .post(format!("{}/api/v1/auth/login", t.base))
        .json(&serde_json::json!({"username": "service_advisor", "password": testkit::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let session = header(&r, "set-cookie");
    assert!(
        session.contains("HttpOnly") && session.ends_with("; Secure"),
        "{session}"
    );
    assert!(seen >= 3, "the pages set cookies ({seen})");
}
