//! The desk's lists and frame as people read them (issue 17): the top bar names the
//! user's station, lists name stations and regions instead of numbers, the station
//! and staff lists sort by a column heading (server-side, whitelisted, with
//! `aria-sort`, the order kept on page links) — and so do the appointments list, the
//! jobs, the pick-ups, the privacy requests and the audit search —, and the capacity
//! page is linked for those who may publish capacity.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use testkit::TestApp;

async fn page(c: &reqwest::Client, url: String) -> (u16, String) {
    let r = c.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    // Links are compared as written, not as escaped in HTML.
    let html = r.text().await.unwrap();
    (status, html.replace("&amp;", "&").replace("&#38;", "&"))
}

/// The texts of the `n`-th cell of each body row of the page's table.
fn column(html: &str, n: usize) -> Vec<String> {
    let body = html.split("<tbody>").nth(1).unwrap_or_default();
    let body = body.split("</tbody>").next().unwrap_or_default();
    body.split("<tr")
        .skip(1)
        .map(|row| {
            let cell = row.split("<td").nth(n + 1).unwrap_or_default();
            let inner = cell.split_once('>').map(|x| x.1).unwrap_or_default();
            let text = inner.split("</td>").next().unwrap_or_default();
            // Drop a link around the text.
            let mut out = String::new();
            let mut in_tag = false;
            for ch in text.chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => out.push(c),
                    _ => {}
                }
            }
            out.trim().to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_top_bar_and_the_lists_name_stations_and_regions() {
    let t = TestApp::spawn().await;
    let (c, _) = t.login("service_advisor").await;
    let (s, home) = page(&c, format!("{}/console", t.base)).await;
    assert_eq!(s, 200);
    assert!(home.contains("BJ-0001服务站"), "{home}");
    assert!(!home.contains("服务站 #"), "{home}");
    let (_, list) = page(&c, format!("{}/console/customers", t.base)).await;
    let stations = column(&list, 3);
    assert!(!stations.is_empty(), "{list}");
    assert!(
        stations.iter().all(|s| s.ends_with("服务站")),
        "{stations:?}"
    );

    let (admin, _) = t.login("administrator").await;
    let (_, list) = page(&admin, format!("{}/console/stations", t.base)).await;
    let regions = column(&list, 3);
    assert!(!regions.is_empty(), "{list}");
    assert!(
        regions
            .iter()
            .all(|r| r.parse::<i64>().is_err() && !r.is_empty()),
        "{regions:?}"
    );
    let (_, list) = page(&admin, format!("{}/console/staff", t.base)).await;
    for r in column(&list, 3).iter().chain(column(&list, 4).iter()) {
        assert!(r.parse::<i64>().is_err(), "a name, not {r}");
    }
    let (_, detail) = page(&admin, format!("{}/console/stations/1", t.base)).await;
    assert!(!detail.contains(">created<"), "{detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_sort_by_a_whitelisted_column_and_keep_the_order_on_page_links() {
    let t = TestApp::spawn().await;
    let (c, _) = t.login("administrator").await;
    let (_, asc) = page(&c, format!("{}/console/stations?sort=code&dir=asc", t.base)).await;
    let (_, desc) = page(
        &c,
        format!("{}/console/stations?sort=code&dir=desc", t.base),
    )
    .await;
    let (a, d) = (column(&asc, 0), column(&desc, 0));
    assert!(a.len() >= 2, "{asc}");
    let mut sorted = a.clone();
    sorted.sort();
    assert_eq!(a, sorted);
    let mut reversed = a.clone();
    reversed.reverse();
    assert_eq!(d, reversed);
    assert!(asc.contains("aria-sort=\"ascending\""), "{asc}");
    assert!(desc.contains("aria-sort=\"descending\""), "{desc}");
    // The current column's link turns the order round.
    assert!(asc.contains("sort=code&dir=desc"), "{asc}");
    // A column the list does not allow is the default order, and nothing else.
    let (s, odd) = page(
        &c,
        format!(
            "{}/console/stations?sort=code%3BDROP%20TABLE%20stations&dir=desc",
            t.base
        ),
    )
    .await;
    assert_eq!(s, 200);
    assert!(!odd.contains("aria-sort=\"descending\""), "{odd}");
    assert_eq!(column(&odd, 0), a);
    // Staff sort by name, descending; the page links keep the order.
    let (_, staff) = page(
        &c,
        format!("{}/console/staff?sort=name&dir=desc&page=1", t.base),
    )
    .await;
    let names = column(&staff, 1);
    let mut want = names.clone();
    want.sort();
    want.reverse();
    assert_eq!(names, want);
    if staff.contains("page=2") {
        assert!(staff.contains("page=2&sort=name&dir=desc"), "{staff}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_capacity_page_is_linked_for_those_who_publish_it() {
    let t = TestApp::spawn().await;
    t.service_fixture().await;
    let station = t.fx.station_a;
    let link = format!("href=\"/console/stations/{station}/capacity\"");
    let (manager, _) = t.login("station_manager").await;
    let (_, detail) = page(&manager, format!("{}/console/stations/{station}", t.base)).await;
    assert!(detail.contains(&link), "{detail}");
    let (_, day) = page(
        &manager,
        format!("{}/console/appointments?station={station}", t.base),
    )
    .await;
    assert!(day.contains("id=\"capacity-link\""), "{day}");
    let (tech, _) = t.login("technician").await;
    let (_, day) = page(
        &tech,
        format!("{}/console/appointments?station={station}", t.base),
    )
    .await;
    assert!(!day.contains("id=\"capacity-link\""), "{day}");
}

/// Issue 17 leftovers 1 and 2: the customer and vehicle lists sort by a heading and
/// offer a page size, every link keeping search, order and size; vehicle pages name
/// the owner (name, masked phone) linked to the customer, never an id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_and_vehicles_sort_page_by_size_and_name_the_owner() {
    let t = TestApp::spawn().await;
    let (admin, _) = t.login("administrator").await;
    let vins = |html: &str| column(html, 0);
    let (s, asc) = page(
        &admin,
        format!("{}/console/vehicles?sort=vin&dir=asc", t.base),
    )
    .await;
    assert_eq!(s, 200);
    let (_, desc) = page(
        &admin,
        format!("{}/console/vehicles?sort=vin&dir=desc", t.base),
    )
    .await;
    let mut sorted = vins(&asc);
    assert!(sorted.len() >= 2, "{asc}");
    assert!(sorted.is_sorted(), "{sorted:?}");
    sorted.reverse();
    assert_eq!(vins(&desc), sorted);
    assert!(asc.contains("aria-sort=\"ascending\""), "{asc}");
    // A page size: the choice is offered, kept on the headings' links, and shown.
    let (_, sized) = page(
        &admin,
        format!("{}/console/vehicles?sort=plate&dir=desc&size=50", t.base),
    )
    .await;
    assert!(sized.contains("id=\"page-sizes\""), "{sized}");
    assert!(
        sized.contains("<strong aria-current=\"true\">50</strong>"),
        "{sized}"
    );
    assert!(sized.contains("sort=plate&dir=desc&size=100"), "{sized}");
    assert!(sized.contains("sort=vin&dir=asc&size=50"), "{sized}");
    // A size outside the list is the default.
    let (_, odd) = page(&admin, format!("{}/console/vehicles?size=100000", t.base)).await;
    assert!(
        odd.contains("<strong aria-current=\"true\">20</strong>"),
        "{odd}"
    );
    // The owner by name and masked phone, linked, never the id.
    let owners = column(&asc, 5);
    assert!(
        owners.iter().any(|o| o == "张三 (138****0001)"),
        "{owners:?}"
    );
    let a = t.fx.customer_a;
    assert!(
        asc.contains(&format!("href=\"/console/customers/{a}\"")),
        "{asc}"
    );
    let (_, detail) = page(
        &admin,
        format!("{}/console/vehicles/{}", t.base, t.fx.vehicle_a),
    )
    .await;
    assert!(detail.contains("张三 (138****0001)"), "{detail}");
    assert!(!detail.contains("13800000001"), "{detail}");
    // Customers by name, both ways.
    let (_, asc) = page(
        &admin,
        format!("{}/console/customers?sort=name&dir=asc", t.base),
    )
    .await;
    let (_, desc) = page(
        &admin,
        format!("{}/console/customers?sort=name&dir=desc", t.base),
    )
    .await;
    let mut names = column(&asc, 1);
    assert!(names.len() >= 2, "{asc}");
    names.reverse();
    assert_eq!(column(&desc, 1), names);
    assert!(desc.contains("aria-sort=\"descending\""), "{desc}");
}

/// The lists added to the sortable set (appointments list view, jobs, pick-ups,
/// privacy requests, audit search): each answers a whitelisted order with its
/// `aria-sort`, keeps it on the page-size links, and the audit search orders in the
/// database (an export row before a refused one, ascending; the other way round,
/// descending), on both databases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_lists_sort_by_a_whitelisted_column_with_sizes_and_pages() {
    let t = TestApp::spawn().await;
    for (account, path, key) in [
        (
            "service_advisor",
            "/console/appointments?view=list",
            "plate",
        ),
        ("technician", "/console/jobs?x=1", "work"),
        ("service_advisor", "/console/pickups?x=1", "state"),
        ("administrator", "/console/privacy-requests?x=1", "due"),
        ("privacy_officer", "/console/audit?x=1", "at"),
    ] {
        let (c, _) = t.login(account).await;
        let (s, html) = page(&c, format!("{}{path}&sort={key}&dir=asc", t.base)).await;
        assert_eq!(s, 200, "{path}: {html}");
        assert!(html.contains("aria-sort=\"ascending\""), "{path}: {html}");
        assert!(
            html.contains(&format!("sort={key}&dir=asc&size=50")),
            "{path}: the size link keeps the order: {html}"
        );
        // Off the whitelist: the list's own order, nothing sorted.
        let (s, odd) = page(&c, format!("{}{path}&sort=id%3B--&dir=asc", t.base)).await;
        assert_eq!(s, 200, "{path}");
        assert!(!odd.contains("aria-sort=\"ascending\""), "{path}: {odd}");
    }
    // Two kinds of audit row: an export by the administrator, a refused one by a
    // technician.
    let admin = t.token(domain::role::Role::Administrator).await;
    let tech = t.token(domain::role::Role::Technician).await;
    for tok in [&admin, &tech] {
        t.client()
            .get(format!("{}/api/v1/export/stations", t.base))
            .bearer_auth(tok)
            .send()
            .await
            .unwrap();
    }
    let (c, _) = t.login("privacy_officer").await;
    // Whatever else the log holds, "export" sorts before "export_refused".
    let at = |html: &str, label: &str| column(html, 2).iter().position(|a| a == label);
    let (_, asc) = page(
        &c,
        format!("{}/console/audit?sort=action&dir=asc&size=100", t.base),
    )
    .await;
    let (_, desc) = page(
        &c,
        format!("{}/console/audit?sort=action&dir=desc&size=100", t.base),
    )
    .await;
    let (e, r) = (at(&asc, "导出"), at(&asc, "导出被拒"));
    assert!(e.is_some() && r.is_some() && e < r, "{asc}");
    let (e, r) = (at(&desc, "导出"), at(&desc, "导出被拒"));
    assert!(e.is_some() && r.is_some() && e > r, "{desc}");
}

/// The value of the `<option>` whose text starts with `text` in the select `name`.
fn option_value(html: &str, name: &str, text: &str) -> Option<String> {
    let select = html.split(&format!("name=\"{name}\"")).nth(1)?;
    let select = select.split("</select>").next()?;
    select.split("<option value=\"").skip(1).find_map(|o| {
        let (value, rest) = o.split_once('"')?;
        let label = rest.split_once('>')?.1;
        label.starts_with(text).then(|| value.to_string())
    })
}

/// The vehicle form's station is the searchable select (name · code · city) of the
/// stations the user may register a car at, never a typed number: the advisor is
/// offered his station only, the administrator the network; the chosen station is
/// posted and the vehicle page names it; a station out of reach or a word is refused
/// beside the field, nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vehicle_form_picks_the_station_by_name_and_refuses_a_bad_one() {
    let t = TestApp::spawn().await;
    let (c, csrf) = t.login("service_advisor").await;
    let (s, form) = page(&c, format!("{}/console/vehicles/new", t.base)).await;
    assert_eq!(s, 200);
    assert!(
        form.contains("<select id=\"f-station_id\" name=\"station_id\" data-search="),
        "{form}"
    );
    assert!(
        !form.contains("type=\"number\" name=\"station_id\""),
        "{form}"
    );
    let a = t.fx.station_a.to_string();
    assert_eq!(
        option_value(&form, "station_id", "BJ-0001服务站 · BJ-0001 · 北京市").as_deref(),
        Some(a.as_str()),
        "{form}"
    );
    assert_eq!(option_value(&form, "station_id", "GZ-0001"), None, "{form}");
    let (admin, _) = t.login("administrator").await;
    let (_, all) = page(&admin, format!("{}/console/vehicles/new", t.base)).await;
    let b = t.fx.station_b.to_string();
    assert_eq!(
        option_value(&all, "station_id", "GZ-0001服务站").as_deref(),
        Some(b.as_str()),
        "{all}"
    );

    let vin = domain::vin::Vin::with_check_digit("LHGCM826", "33A00123")
        .unwrap()
        .to_string();
    let form = |station: &str| {
        vec![
            ("csrf".to_string(), csrf.clone()),
            ("vin".into(), vin.clone()),
            ("brand".into(), "广汽本田".into()),
            ("model".into(), "雅阁".into()),
            ("model_year".into(), "2021".into()),
            ("purchase_date".into(), "2021-06-01".into()),
            ("owner_id".into(), t.fx.customer_a.to_string()),
            ("station_id".into(), station.to_string()),
        ]
    };
    let count = || async {
        let mut conn = t.app.db.pool.acquire().await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM vehicles WHERE vin = $1")
            .bind(&vin)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        n
    };
    for bad in [b.as_str(), "abc", ""] {
        let r = c
            .post(format!("{}/console/vehicles/new", t.base))
            .form(&form(bad))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert!(status == 409 || status == 422, "{bad}: {status}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("class=\"field-error\" data-field=\"station_id\""),
            "{bad}: {html}"
        );
        // The select is offered again, with the names.
        assert!(option_value(&html, "station_id", "BJ-0001服务站").is_some());
        assert_eq!(count().await, 0, "{bad}: nothing written");
    }
    let r = c
        .post(format!("{}/console/vehicles/new", t.base))
        .form(&form(&a))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let (_, detail) = page(&c, format!("{}{location}", t.base)).await;
    assert!(detail.contains("BJ-0001服务站"), "{detail}");
    assert_eq!(count().await, 1);
    // The edit form has the vehicle's station chosen.
    let (_, edit) = page(&c, format!("{}{location}/edit", t.base)).await;
    assert!(
        edit.contains(&format!("<option value=\"{a}\" selected>BJ-0001服务站")),
        "{edit}"
    );
}
