//! Refused uploads name the rule and store nothing.

use super::support::booked;
use super::support::count;
use super::support::jpeg;
use super::support::multipart;
use super::support::parts;
use super::support::photos;
use super::support::png;
use super::support::scheduled;
use reqwest::StatusCode;
use testkit::TestApp;

/// Declared type, file name, bytes, expected status, rule and sentence.
type UploadCase = (
    &'static str,
    &'static str,
    Vec<u8>,
    StatusCode,
    &'static str,
    &'static str,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_uploads_name_the_rule_and_store_nothing() {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    let appt = booked(&t).await;
    let id = scheduled(&t, appt, None).await;
    let (c, csrf) = t.login("service_advisor").await;
    let url = format!("{}/console/pickups/{id}/photos", t.base);
    let send = |csrf: String, ct: &'static str, name: &'static str, bytes: Vec<u8>| {
        let (c, url) = (c.clone(), url.clone());
        async move {
            let (h, body) = multipart(&csrf, ct, name, &bytes);
            parts(
                c.post(&url)
                    .header("content-type", h)
                    .body(body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let cases: [UploadCase; 4] = [
        (
            "image/gif",
            "a.gif",
            b"GIF89a\x01\x00".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "photo.type",
            "照片须为 JPEG、PNG 或 WebP",
        ),
        (
            "image/jpeg",
            "b.jpg",
            png(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "photo.magic",
            "文件内容与声明的图片类型不符",
        ),
        (
            "image/webp",
            "c.webp",
            jpeg(100),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "photo.magic",
            "文件内容与声明的图片类型不符",
        ),
        (
            "image/jpeg",
            "d.jpg",
            jpeg(5 * 1024 * 1024),
            StatusCode::PAYLOAD_TOO_LARGE,
            "photo.size",
            "单张照片不能超过 5 MiB",
        ),
    ];
    for (ct, name, bytes, status, rule, text) in cases {
        let (s, _, html) = send(csrf.clone(), ct, name, bytes).await;
        assert_eq!(s, status, "{rule}");
        assert!(html.contains(&format!("data-rule=\"{rule}\"")), "{html}");
        assert!(html.contains(text), "{rule}: {html}");
    }
    // Far beyond the limit: still refused by the rule, not by a broken connection.
    let (s, _, html) = send(csrf.clone(), "image/jpeg", "e.jpg", jpeg(8 * 1024 * 1024)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(html.contains("data-rule=\"photo.size\""));
    // No file chosen, a wrong form token, not a multipart form at all.
    let (s, _, html) = send(csrf.clone(), "application/octet-stream", "", vec![]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("照片为必填项"), "{html}");
    let (s, ..) = send("forged".into(), "image/jpeg", "f.jpg", jpeg(100)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let r = c
        .post(&url)
        .header("content-type", "image/jpeg")
        .body(jpeg(100))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(photos(&t, id).await, 0, "nothing stored");
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM events WHERE entity = 'pickup' AND kind = 'photo_added' AND entity_id = $1",
            id,
        )
        .await,
        0
    );
    // Exactly 5 MiB (above the general 1 MiB body limit) and a PNG are accepted.
    let (s, ..) = send(
        csrf.clone(),
        "image/jpeg",
        "g.jpg",
        jpeg(5 * 1024 * 1024 - 4),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, ..) = send(csrf.clone(), "image/png", "h.png", png()).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(photos(&t, id).await, 2);
}
