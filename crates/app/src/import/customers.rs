//! Customer rows of a CSV import: names, phones and contact preferences checked by
//! the domain's parsers.

use super::*;

/// A valid customer row.
#[derive(Clone)]
pub(super) struct Row {
    name: String,
    phone: String,
    station_id: i64,
    channel: &'static str,
    quiet_hours: Option<String>,
    consent_service: bool,
    consent_marketing: bool,
}

pub(super) async fn validate(
    db: &Db,
    records: &[Record],
    check: &mut Check,
) -> AppResult<Vec<Row>> {
    let stations = station_codes(db).await?;
    let mut rows = Vec::new();
    for r in records {
        let mut v = Violations::new();
        let name = v.field("name", domain::customer::parse_name(r.get("name")));
        let phone = v.field("phone", Phone::parse(r.get("phone")));
        let station = v.field(
            "station_code",
            known_station(&stations, r.get("station_code")),
        );
        let channel = v.field(
            "channel",
            Channel::from_code(r.get("channel").trim())
                .ok_or(domain::customer::CustomerError::Channel),
        );
        let quiet = r.get("quiet_hours").trim();
        let quiet_hours = if quiet.is_empty() {
            Some(None)
        } else {
            v.field("quiet_hours", QuietHours::parse(quiet))
                .map(|q| Some(q.format()))
        };
        let service = v.field("consent_service", parse_bool(r.get("consent_service")));
        let marketing = v.field("consent_marketing", parse_bool(r.get("consent_marketing")));
        if !check.take(r.row, v) {
            continue;
        }
        if let (
            Some(name),
            Some(phone),
            Some((station_id, _)),
            Some(channel),
            Some(quiet_hours),
            Some(s),
            Some(m),
        ) = (
            name,
            phone,
            station,
            channel,
            quiet_hours,
            service,
            marketing,
        ) {
            rows.push((
                r.row,
                Row {
                    name,
                    phone: phone.e164().to_string(),
                    station_id,
                    channel: channel.code(),
                    quiet_hours,
                    consent_service: s,
                    consent_marketing: m,
                },
            ));
        }
    }
    let keys: Vec<(u64, &str)> = rows.iter().map(|(n, r)| (*n, r.phone.as_str())).collect();
    unique_key(
        db,
        check,
        "phone",
        "SELECT phone, id FROM customers WHERE phone",
        &keys,
    )
    .await?;
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

pub(super) async fn write(
    backend: Backend,
    conn: &mut sqlx::AnyConnection,
    rows: &[Row],
    now_ms: i64,
) -> AppResult<u64> {
    let before = store::privacy::consent::last_customer_id(conn).await?;
    let mut b = Bulk::new(
        backend,
        "customers",
        &[
            "name",
            "phone",
            "station_id",
            "channel",
            "quiet_hours",
            "consent_service",
            "consent_marketing",
            "created_at",
        ],
    );
    for r in rows {
        b.s(r.name.as_str())?;
        b.s(r.phone.as_str())?;
        b.i(r.station_id)?;
        b.s(r.channel)?;
        b.os(r.quiet_hours.clone())?;
        b.i(r.consent_service as i64)?;
        b.i(r.consent_marketing as i64)?;
        b.i(now_ms)?;
        if b.end_row() {
            b.flush(conn).await?;
        }
    }
    b.flush(conn).await?;
    // The consent columns of the file are ledger entries with source `import`.
    store::privacy::consent::append_flags_after(conn, before, "import", "csv import", now_ms)
        .await?;
    Ok(b.written())
}
