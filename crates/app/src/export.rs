//! CSV export of stations, staff, customers and vehicles, with the same columns as the
//! import (see [`crate::import::template_header`]).
//!
//! Personal data is masked in exports: phone numbers come out as `138****5678`, and
//! staff passwords are never exported (the column stays empty). An export holds only
//! the rows within the caller's reach — a station's export only that station's rows —
//! and streams them in pages of 5,000 by id, so a million rows never sit in memory.

use crate::import::{ImportKind, template_header};
use crate::{AppError, AppResult};
use domain::permission::Reach;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use store::Db;
use store::scope::{owned_filter, station_filter};

/// Rows fetched per page.
const PAGE: i64 = 5_000;

/// The export a caller asks for over HTTP: needs `Export`, and holds only the rows
/// within the grant's reach (see [`export_csv`]). Each export is one audit row: who,
/// which kind, which personal fields it carried (masked or not) and how many rows
/// (issue 21, finding 12).
pub async fn export(
    app: &crate::App,
    grant: &domain::permission::Grant,
    kind: ImportKind,
    writer: impl std::io::Write,
) -> AppResult<u64> {
    crate::network::expect(grant, domain::permission::Action::Export)?;
    let rows = export_csv(&app.db, grant.reach(), kind, writer).await?;
    crate::transaction::run(app, "export.export", move |mut tx| async move {
        let row = store::audit::AuditRow {
            action: "export",
            entity: kind.name(),
            entity_id: 0,
            field: personal_fields(kind),
            reason: "csv",
            row_count: Some(i64::try_from(rows).unwrap_or(i64::MAX)),
        };
        store::audit::insert(&mut tx, app.now_ms(), crate::actor(grant), row).await?;
        Ok((tx, rows))
    })
    .await
}

/// Records an export refused for want of the right (issue 21, bad input: "an export of
/// personal fields by a role without the right … the attempt audited"): one
/// `export_refused` row naming the list and the personal fields it would have
/// carried, with the caller as actor. The caller holds no grant here, so the actor is
/// taken from the principal itself.
pub async fn refused(
    app: &crate::App,
    who: &domain::permission::Principal,
    kind: ImportKind,
) -> AppResult<()> {
    let actor = store::event::Actor {
        role: who.role.code(),
        id: who.id,
        kind: who.kind.code(),
    };
    crate::transaction::run(app, "export.refused", move |mut tx| async move {
        let row = store::audit::AuditRow {
            action: "export_refused",
            entity: kind.name(),
            entity_id: 0,
            field: personal_fields(kind),
            reason: "no export right",
            row_count: None,
        };
        store::audit::insert(&mut tx, app.now_ms(), actor, row).await?;
        Ok((tx, ()))
    })
    .await
}

/// The personal fields an export of `kind` carries, as the audit log names them.
fn personal_fields(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Stations => "",
        ImportKind::Staff => "name,staff_phone(masked)",
        ImportKind::Customers => "name,phone(masked)",
        ImportKind::Vehicles => "vehicle_identity,phone(masked)",
    }
}

/// Writes every row of `kind` within `reach` as CSV (header first) to `writer` and
/// returns the number of data rows. Phone numbers are masked (138****5678) and
/// passwords left empty: personal data is masked in exports.
pub async fn export_csv(
    db: &Db,
    reach: &Reach,
    kind: ImportKind,
    writer: impl std::io::Write,
) -> AppResult<u64> {
    let (select, id_col, cond, val) = query_for(reach, kind);
    let sql = format!("{select} WHERE {id_col} > $1 AND {cond} ORDER BY {id_col} LIMIT {PAGE}");
    let mut out = csv::Writer::from_writer(writer);
    out.write_record(template_header(kind).split(','))
        .map_err(csv_err)?;
    let mut conn = db.pool.acquire().await?;
    let mut last = 0i64;
    let mut written = 0u64;
    loop {
        let mut q = sqlx::query(AssertSqlSafe(sql.clone())).bind(last);
        if let Some(v) = val {
            q = q.bind(v);
        }
        let rows = q.fetch_all(&mut *conn).await?;
        for r in &rows {
            out.write_record(&fields(kind, r)?).map_err(csv_err)?;
            written += 1;
        }
        match rows.last() {
            Some(r) if rows.len() as i64 == PAGE => last = r.try_get("id")?,
            _ => break,
        }
    }
    out.flush()
        .map_err(|e| AppError::Internal(format!("export: {e}")))?;
    Ok(written)
}

fn csv_err(e: csv::Error) -> AppError {
    AppError::Internal(format!("export: {e}"))
}

/// The SELECT (up to WHERE), the id column, and the reach condition with its value
/// bound as `$2`.
fn query_for(reach: &Reach, kind: ImportKind) -> (&'static str, &'static str, String, Option<i64>) {
    match kind {
        ImportKind::Stations => {
            let (cond, val) = station_filter(reach, "s.id", "s.region_id", 2);
            (
                "SELECT s.id, s.code, s.name_zh, s.name_en, r.code AS region_code, s.address, s.adcode, s.city, s.lon_e6, \
                 s.lat_e6, s.opening_hours, s.bays, s.capabilities, s.labour_rate_fen \
                 FROM stations s JOIN regions r ON r.id = s.region_id",
                "s.id",
                cond,
                val,
            )
        }
        ImportKind::Staff => {
            let (cond, val) = station_filter(
                reach,
                "st.station_id",
                "COALESCE(st.region_id, s.region_id)",
                2,
            );
            (
                "SELECT st.id, st.username, st.name, st.role, s.code AS station_code, r.code AS region_code, st.phone \
                 FROM staff st LEFT JOIN stations s ON s.id = st.station_id \
                 LEFT JOIN regions r ON r.id = COALESCE(st.region_id, s.region_id)",
                "st.id",
                cond,
                val,
            )
        }
        ImportKind::Customers => {
            let (cond, val) = owned_filter(reach, "c.station_id", "s.region_id", Some("c.id"), 2);
            (
                // The consent columns are the ledger's latest answers (the customers'
                // own flags are deprecated, migration 0028).
                "SELECT c.id, c.name, c.phone, s.code AS station_code, c.channel, c.quiet_hours, \
                 COALESCE((SELECT ce.granted FROM consent_entries ce WHERE ce.customer_id = c.id \
                   AND ce.purpose = 'service_contact' ORDER BY ce.id DESC LIMIT 1), 0) AS consent_service, \
                 COALESCE((SELECT ce.granted FROM consent_entries ce WHERE ce.customer_id = c.id \
                   AND ce.purpose = 'marketing' ORDER BY ce.id DESC LIMIT 1), 0) AS consent_marketing \
                 FROM customers c JOIN stations s ON s.id = c.station_id",
                "c.id",
                cond,
                val,
            )
        }
        ImportKind::Vehicles => {
            let (cond, val) =
                owned_filter(reach, "v.station_id", "s.region_id", Some("v.owner_id"), 2);
            (
                "SELECT v.id, v.vin, v.brand, v.model, v.model_year, v.plate, v.purchase_date, v.warranty_start, \
                 v.warranty_end, v.warranty_km, v.is_ev, c.phone AS owner_phone, s.code AS station_code \
                 FROM vehicles v JOIN stations s ON s.id = v.station_id JOIN customers c ON c.id = v.owner_id",
                "v.id",
                cond,
                val,
            )
        }
    }
}

/// A phone as shown outside audited views: 138****5678.
fn masked(phone: &str) -> String {
    domain::phone::Phone::parse(phone)
        .map(|p| p.masked())
        .unwrap_or_else(|_| domain::mask::mask_middle(phone, 3, 4))
}

fn flag(r: &AnyRow, col: &str) -> Result<String, sqlx::Error> {
    Ok(if r.try_get::<i64, _>(col)? != 0 {
        "1"
    } else {
        "0"
    }
    .to_string())
}

fn text(r: &AnyRow, col: &str) -> Result<String, sqlx::Error> {
    r.try_get(col)
}

fn opt_text(r: &AnyRow, col: &str) -> Result<String, sqlx::Error> {
    Ok(r.try_get::<Option<String>, _>(col)?.unwrap_or_default())
}

fn int(r: &AnyRow, col: &str) -> Result<String, sqlx::Error> {
    Ok(r.try_get::<i64, _>(col)?.to_string())
}

fn micro_degrees(r: &AnyRow, col: &str) -> Result<String, sqlx::Error> {
    let v: i64 = r.try_get(col)?;
    let sign = if v < 0 { "-" } else { "" };
    Ok(format!(
        "{sign}{}.{:06}",
        v.unsigned_abs() / 1_000_000,
        v.unsigned_abs() % 1_000_000
    ))
}

/// One row's fields in the order of the kind's header.
fn fields(kind: ImportKind, r: &AnyRow) -> Result<Vec<String>, sqlx::Error> {
    Ok(match kind {
        ImportKind::Stations => {
            let fen: i64 = r.try_get("labour_rate_fen")?;
            vec![
                text(r, "code")?,
                text(r, "name_zh")?,
                text(r, "name_en")?,
                text(r, "region_code")?,
                text(r, "address")?,
                text(r, "adcode")?,
                text(r, "city")?,
                micro_degrees(r, "lon_e6")?,
                micro_degrees(r, "lat_e6")?,
                text(r, "opening_hours")?,
                int(r, "bays")?,
                text(r, "capabilities")?.replace(',', ";"),
                format!("{}.{:02}", fen / 100, (fen % 100).abs()),
            ]
        }
        ImportKind::Staff => vec![
            text(r, "username")?,
            text(r, "name")?,
            text(r, "role")?,
            opt_text(r, "station_code")?,
            opt_text(r, "region_code")?,
            masked(&text(r, "phone")?),
            String::new(),
        ],
        ImportKind::Customers => vec![
            text(r, "name")?,
            masked(&text(r, "phone")?),
            text(r, "station_code")?,
            text(r, "channel")?,
            opt_text(r, "quiet_hours")?,
            flag(r, "consent_service")?,
            flag(r, "consent_marketing")?,
        ],
        ImportKind::Vehicles => vec![
            text(r, "vin")?,
            text(r, "brand")?,
            text(r, "model")?,
            int(r, "model_year")?,
            opt_text(r, "plate")?,
            text(r, "purchase_date")?,
            text(r, "warranty_start")?,
            text(r, "warranty_end")?,
            int(r, "warranty_km")?,
            flag(r, "is_ev")?,
            masked(&text(r, "owner_phone")?),
            text(r, "station_code")?,
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked() {
        assert_eq!(masked("+8613812345678"), "138****5678");
        assert_eq!(masked("garbage-ish"), "gar****-ish");
    }
}
