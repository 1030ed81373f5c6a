//! Evidence files of a complaint over real HTTP (issue 10 item 1), on SQLite and, with
//! `TEST_DATABASE_URL`, PostgreSQL: the console's upload form and the API's raw upload
//! keep a photo or recording and serve it back with its type, `nosniff` and a
//! `Content-Disposition` naming it; a forbidden type is 415, a file over 10 MiB 413,
//! both shown beside the field with the rule and nothing kept; a station user cannot
//! send to or read another station's complaint; the owner sends and opens files of
//! their own complaint only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::permission::Action;
use domain::role::Role;
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

fn jpeg(len: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.extend((0..len.saturating_sub(4)).map(|i| (i * 31 % 251) as u8));
    v
}

fn multipart(csrf: &str, name: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----complaintTestBoundary9XkTrZu0gW";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn send(
    c: &reqwest::Client,
    url: String,
    csrf: &str,
    name: &str,
    content_type: &str,
    bytes: &[u8],
) -> (u16, String, String) {
    let (ct, body) = multipart(csrf, name, content_type, bytes);
    let r = c
        .post(url)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

async fn file(t: &TestApp, station: i64, customer: Option<i64>) -> i64 {
    let input = app::complaint::FileInput {
        station_id: station,
        customer_id: customer,
        channel: "hotline".into(),
        category: "repair_quality".into(),
        severity: "normal".into(),
        description: "刹车异响，修过两次仍未解决".into(),
        ..Default::default()
    };
    app::complaint::file(&t.app, &head_office(Action::ComplaintWrite), &input)
        .await
        .unwrap()
        .id
}

async fn kept(t: &TestApp, id: i64) -> Vec<app::complaint::AttachmentRow> {
    app::complaint::detail(&t.app, &head_office(Action::ComplaintRead), id)
        .await
        .unwrap()
        .attachments
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_keeps_a_photo_and_serves_it_only_within_reach() {
    let t = TestApp::spawn().await;
    let id = file(&t, t.fx.station_a, None).await;
    let other = file(&t, t.fx.station_b, None).await;
    let (c, _) = t.login("station_manager").await;
    let url = format!("{}/console/complaints/{id}", t.base);
    let (s, html) = page(&c, url.clone()).await;
    assert_eq!(s, 200, "{html}");
    // The form states its limits beside the field.
    assert!(html.contains("id=\"attachment-form\""), "{html}");
    assert!(html.contains("单个不超过 10 MiB"), "{html}");
    let csrf = hidden(&html, "csrf");

    // A photo is kept and listed with its name, kind, size, sender and time.
    let photo = jpeg(3_000);
    let (s, loc, _) = send(
        &c,
        format!("{url}/attachments"),
        &csrf,
        "C:\\相册\\刹车盘.jpg",
        "image/jpeg",
        &photo,
    )
    .await;
    assert_eq!(s, 303);
    assert!(
        loc.starts_with(&format!("/console/complaints/{id}")) && loc.ends_with("#attachments"),
        "{loc}"
    );
    let rows = kept(&t, id).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].file_name.as_str(), rows[0].size_bytes),
        ("刹车盘.jpg", 3_000)
    );
    let (_, html) = page(&c, url.clone()).await;
    let href = format!("/console/complaints/{id}/attachments/{}", rows[0].id);
    assert!(html.contains(&format!("href=\"{href}\"")), "{html}");
    for text in [
        "刹车盘.jpg",
        "照片（JPEG）",
        "2.9 KB",
        "测试station_manager",
        "添加附件",
    ] {
        assert!(html.contains(text), "{text}: {html}");
    }

    // The file comes back byte for byte, typed, named and not sniffed.
    let r = c.get(format!("{}{href}", t.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "image/jpeg");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let cd = h["content-disposition"].to_str().unwrap();
    assert!(cd.starts_with("inline; filename=\""), "{cd}");
    assert!(
        cd.contains("filename*=UTF-8''%E5%88%B9%E8%BD%A6%E7%9B%98.jpg"),
        "{cd}"
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), photo.as_slice());

    // A forbidden type: 415, the rule beside the field, nothing kept.
    let (s, _, html) = send(
        &c,
        format!("{url}/attachments"),
        &csrf,
        "a.gif",
        "image/gif",
        b"GIF89a....",
    )
    .await;
    assert_eq!(s, 415, "{html}");
    assert!(html.contains("data-field=\"file\""), "{html}");
    assert!(
        html.contains("附件只能是照片（JPEG、PNG、WebP）或录音"),
        "{html}"
    );
    // Bytes that lie about their type: 415 too.
    let (s, _, html) = send(
        &c,
        format!("{url}/attachments"),
        &csrf,
        "b.png",
        "image/png",
        &photo,
    )
    .await;
    assert_eq!(s, 415, "{html}");
    assert!(html.contains("文件内容与声明的类型不符"), "{html}");
    // Over 10 MiB: 413 with the limit named.
    let big = jpeg(10 * 1024 * 1024 + 1);
    let (s, _, html) = send(
        &c,
        format!("{url}/attachments"),
        &csrf,
        "big.jpg",
        "image/jpeg",
        &big,
    )
    .await;
    assert_eq!(s, 413, "{html}");
    assert!(html.contains("不超过 10 MiB"), "{html}");
    // A forged token keeps nothing.
    let (s, _, _) = send(
        &c,
        format!("{url}/attachments"),
        "forged",
        "c.jpg",
        "image/jpeg",
        &photo,
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(kept(&t, id).await.len(), 1);

    // Another station's complaint: refused to send, its files not found.
    let (s, _, _) = send(
        &c,
        format!("{}/console/complaints/{other}/attachments", t.base),
        &csrf,
        "d.jpg",
        "image/jpeg",
        &photo,
    )
    .await;
    assert_eq!(s, 403);
    assert!(kept(&t, other).await.is_empty());
    let theirs = app::complaint::attachment::add(
        &t.app,
        &head_office(Action::ComplaintWrite),
        other,
        "e.jpg",
        "image/jpeg",
        &photo,
    )
    .await
    .unwrap();
    let (s, _) = page(
        &c,
        format!(
            "{}/console/complaints/{other}/attachments/{}",
            t.base, theirs.id
        ),
    )
    .await;
    assert_eq!(s, 404);
    // Nor does another complaint's path reach it.
    let (s, _) = page(&c, format!("{url}/attachments/{}", theirs.id)).await;
    assert_eq!(s, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_takes_the_raw_file_and_names_the_rule_it_breaks() {
    let t = TestApp::spawn().await;
    let id = file(&t, t.fx.station_a, None).await;
    let other = file(&t, t.fx.station_b, None).await;
    let token = t.token(Role::StationManager).await;
    let c = t.client();
    let up = |id: i64, ct: &'static str, body: Vec<u8>| {
        c.post(format!(
            "{}/api/v1/complaints/{id}/attachments?file_name=%E5%BD%95%E9%9F%B3.m4a",
            t.base
        ))
        .bearer_auth(&token)
        .header("content-type", ct)
        .body(body)
        .send()
    };
    let m4a = b"\0\0\0\x20ftypM4A \0\0\0\0isomiso2".to_vec();
    let r = up(id, "audio/mp4", m4a.clone()).await.unwrap();
    assert_eq!(r.status(), 201);
    let row: serde_json::Value = r.json().await.unwrap();
    assert_eq!(row["file_name"], "录音.m4a");
    assert_eq!(row["content_type"], "audio/mp4");
    assert_eq!(row["by_role"], "station_manager");
    let aid = row["id"].as_i64().unwrap();

    let r = up(id, "application/pdf", b"%PDF-1.7".to_vec())
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let p: serde_json::Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "file");
    assert_eq!(p["errors"][0]["rule"], "complaint.attachment_type");
    let r = up(id, "audio/amr", b"not amr".to_vec()).await.unwrap();
    assert_eq!(r.status(), 415);
    let r = up(id, "image/jpeg", jpeg(10 * 1024 * 1024 + 1))
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let p: serde_json::Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["rule"], "complaint.attachment_size");
    let r = up(other, "audio/mp4", m4a.clone()).await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(kept(&t, id).await.len(), 1);
    assert!(kept(&t, other).await.is_empty());

    let r = c
        .get(format!("{}/api/v1/complaints/{id}/attachments", t.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let list: serde_json::Value = r.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let r = c
        .get(format!(
            "{}/api/v1/complaints/{id}/attachments/{aid}",
            t.base
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "audio/mp4");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline;")
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), m4a.as_slice());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_sends_and_opens_files_of_their_own_complaint_only() {
    let t = TestApp::spawn().await;
    let mine = file(&t, t.fx.station_a, Some(t.fx.customer_a)).await;
    let theirs = file(&t, t.fx.station_b, Some(t.fx.customer_b)).await;
    let (c, _) = t.owner_session("13800000001").await;
    let (s, html) = page(&c, format!("{}/owner/complaints", t.base)).await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains(&format!("/owner/complaints/{mine}/attachments")),
        "{html}"
    );
    assert!(html.contains("单个不超过 10 MiB"), "{html}");
    let csrf = hidden(&html, "csrf");
    let wav = b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0".to_vec();
    let (s, loc, _) = send(
        &c,
        format!("{}/owner/complaints/{mine}/attachments", t.base),
        &csrf,
        "噪音.wav",
        "audio/wav",
        &wav,
    )
    .await;
    assert_eq!(s, 303);
    assert!(loc.contains("attached=1"), "{loc}");
    let rows = kept(&t, mine).await;
    assert_eq!((rows.len(), rows[0].by_role.as_str()), (1, "owner"));
    let (_, html) = page(&c, format!("{}/owner/complaints", t.base)).await;
    assert!(
        html.contains("噪音.wav") && html.contains("录音（WAV）") && html.contains("车主"),
        "{html}"
    );
    let r = c
        .get(format!(
            "{}/owner/complaints/{mine}/attachments/{}",
            t.base, rows[0].id
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "audio/wav");
    // Staff see who sent it: the owner.
    let (sc, _) = t.login("station_manager").await;
    let (_, staff_page) = page(&sc, format!("{}/console/complaints/{mine}", t.base)).await;
    assert!(
        staff_page.contains("噪音.wav") && staff_page.contains("车主"),
        "{staff_page}"
    );

    // A forbidden type is refused beside that complaint's field.
    let (s, _, html) = send(
        &c,
        format!("{}/owner/complaints/{mine}/attachments", t.base),
        &csrf,
        "x.exe",
        "application/octet-stream",
        b"MZ\x90\0",
    )
    .await;
    assert_eq!(s, 415, "{html}");
    assert!(
        html.contains(&format!("id=\"own-file-{mine}-err\"")),
        "{html}"
    );

    // Another owner's complaint: missing, to send and to read.
    let (s, _, _) = send(
        &c,
        format!("{}/owner/complaints/{theirs}/attachments", t.base),
        &csrf,
        "y.wav",
        "audio/wav",
        &wav,
    )
    .await;
    assert_eq!(s, 404);
    assert!(kept(&t, theirs).await.is_empty());
    let other_file = app::complaint::attachment::add(
        &t.app,
        &head_office(Action::ComplaintWrite),
        theirs,
        "z.wav",
        "audio/wav",
        &wav,
    )
    .await
    .unwrap();
    let (s, _) = page(
        &c,
        format!(
            "{}/owner/complaints/{theirs}/attachments/{}",
            t.base, other_file.id
        ),
    )
    .await;
    assert_eq!(s, 404);
    assert_eq!(kept(&t, mine).await.len(), 1);
}
