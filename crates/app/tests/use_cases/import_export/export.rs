//! CSV export: a station's export holds only its rows, with masked phones.

use super::support::count_where;
use super::support::databases;
use super::support::small;
use app::import::ImportKind;
use domain::ids::StationId;
use domain::permission::Reach;
use sqlx::Row;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stations_export_holds_only_its_rows_with_masked_phones() {
    for t in databases().await {
        let db = &t.db;
        app::demo::build(db, &small(11), &|_, _, _| {})
            .await
            .expect("demo builds");
        let station: (i64, String) = sqlx::query("SELECT id, code FROM stations WHERE id = 1")
            .fetch_one(&db.pool)
            .await
            .and_then(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .expect("station");
        let own = count_where(db, "vehicles WHERE station_id = 1").await;
        assert!(own > 0 && own < 360);
        let mut out = Vec::new();
        let n = app::export::export_csv(
            db,
            &Reach::Station(StationId(station.0)),
            ImportKind::Vehicles,
            &mut out,
        )
        .await
        .expect("export");
        assert_eq!(n as i64, own);
        let text = String::from_utf8(out).expect("utf-8");
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some(app::import::template_header(ImportKind::Vehicles))
        );
        let rows: Vec<Vec<String>> = lines
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        assert_eq!(rows.len() as i64, own);
        for r in &rows {
            assert_eq!(r[11], station.1, "only the station's own vehicles");
            let phone = &r[10];
            assert!(
                phone.len() == 11 && &phone[3..7] == "****",
                "masked phone {phone}"
            );
        }
        assert!(
            rows.iter().any(|r| r[10] == "138****0000"),
            "the demo owner's car is there, masked"
        );
        assert!(!text.contains("+86"), "no whole numbers");

        // The whole network exports everything; an owner's reach gets their own cars only.
        let mut all = Vec::new();
        let n_all = app::export::export_csv(db, &Reach::All, ImportKind::Vehicles, &mut all)
            .await
            .expect("export all");
        assert_eq!(n_all, 360);
        let mut mine = Vec::new();
        let n_mine = app::export::export_csv(
            db,
            &Reach::Customer(domain::ids::CustomerId(1)),
            ImportKind::Vehicles,
            &mut mine,
        )
        .await
        .expect("export own");
        assert_eq!(
            n_mine as i64,
            count_where(db, "vehicles WHERE owner_id = 1").await
        );
        let mut staff = Vec::new();
        let n_staff = app::export::export_csv(
            db,
            &Reach::Station(StationId(station.0)),
            ImportKind::Staff,
            &mut staff,
        )
        .await
        .expect("export staff");
        assert_eq!(
            n_staff as i64,
            count_where(db, "staff WHERE station_id = 1").await
        );
        t.finish().await;
    }
}
