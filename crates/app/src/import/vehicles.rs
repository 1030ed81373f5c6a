//! Vehicle rows of a CSV import: valid VINs and plates, unique in the file and the
//! database, owners and stations that exist. Empty warranty columns take the
//! defaults the API gives (start = purchase date, end by
//! `domain::vehicle::default_warranty_end`, `domain::vehicle::DEFAULT_WARRANTY_KM`).

use super::*;

/// A valid vehicle row.
#[derive(Clone)]
pub(super) struct Row {
    vin: String,
    brand: String,
    model: String,
    model_year: i64,
    plate: Option<String>,
    purchase_date: String,
    warranty_start: String,
    warranty_end: String,
    warranty_km: i64,
    is_ev: bool,
    owner_phone: String,
    owner_id: i64,
    station_id: i64,
}

pub(super) async fn validate(
    db: &Db,
    records: &[Record],
    check: &mut Check,
) -> AppResult<Vec<Row>> {
    let stations = station_codes(db).await?;
    let next_year = i64::from(
        jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .year(),
    ) + 1;
    let mut rows = Vec::new();
    for r in records {
        let mut v = Violations::new();
        let vin = v.field("vin", Vin::parse(r.get("vin")));
        let brand = v.field("brand", required_text("brand", r.get("brand")));
        let model = v.field("model", required_text("model", r.get("model")));
        let year = v.field(
            "model_year",
            parse_int(r.get("model_year"), 1950..=next_year, "vehicle.model_year"),
        );
        let plate_text = r.get("plate").trim();
        let plate = if plate_text.is_empty() {
            Some(None)
        } else {
            v.field("plate", Plate::parse(plate_text))
                .map(|p| Some(p.to_string()))
        };
        let purchase = v.field("purchase_date", parse_date(r.get("purchase_date")));
        // Empty warranty columns get the defaults the API gives: the warranty starts
        // on the purchase date and ends by the domain's rule.
        let start = optional(r.get("warranty_start"))
            .map(|s| v.field("warranty_start", parse_date(s)))
            .unwrap_or(purchase);
        let end = match optional(r.get("warranty_end")) {
            Some(e) => v.field("warranty_end", parse_date(e)),
            None => start.and_then(domain::vehicle::default_warranty_end),
        };
        if let (Some(s), Some(e)) = (start, end)
            && e < s
        {
            v.push(Violation::new("warranty_end", "vehicle.warranty_period"));
        }
        let km = v.field(
            "warranty_km",
            optional(r.get("warranty_km"))
                .map(|k| parse_int(k, 0..=10_000_000, "vehicle.warranty_km"))
                .unwrap_or(Ok(domain::vehicle::DEFAULT_WARRANTY_KM)),
        );
        let is_ev = v.field("is_ev", parse_bool(r.get("is_ev")));
        let owner = v.field("owner_phone", Phone::parse(r.get("owner_phone")));
        let station = v.field(
            "station_code",
            known_station(&stations, r.get("station_code")),
        );
        if !check.take(r.row, v) {
            continue;
        }
        if let (
            Some(vin),
            Some(brand),
            Some(model),
            Some(model_year),
            Some(plate),
            Some(p),
            Some(s),
            Some(e),
            Some(warranty_km),
            Some(is_ev),
            Some(owner),
            Some((station_id, _)),
        ) = (
            vin, brand, model, year, plate, purchase, start, end, km, is_ev, owner, station,
        ) {
            rows.push((
                r.row,
                Row {
                    vin: vin.to_string(),
                    brand,
                    model,
                    model_year,
                    plate,
                    purchase_date: p.to_string(),
                    warranty_start: s.to_string(),
                    warranty_end: e.to_string(),
                    warranty_km,
                    is_ev,
                    owner_phone: owner.e164().to_string(),
                    owner_id: 0,
                    station_id,
                },
            ));
        }
    }
    let keys: Vec<(u64, &str)> = rows.iter().map(|(n, r)| (*n, r.vin.as_str())).collect();
    unique_key(
        db,
        check,
        "vin",
        "SELECT vin, id FROM vehicles WHERE vin",
        &keys,
    )
    .await?;
    let phones: Vec<&str> = rows
        .iter()
        .map(|(_, r)| r.owner_phone.as_str())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let owners = lookup(db, "SELECT phone, id FROM customers WHERE phone", &phones).await?;
    for (n, r) in rows.iter_mut() {
        match owners.get(&r.owner_phone) {
            Some(id) => r.owner_id = *id,
            None => check.push(*n, "owner_phone", "customer.unknown"),
        }
    }
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

pub(super) async fn write(
    backend: Backend,
    conn: &mut sqlx::AnyConnection,
    rows: &[Row],
    now_ms: i64,
) -> AppResult<u64> {
    let mut b = Bulk::new(
        backend,
        "vehicles",
        &[
            "vin",
            "brand",
            "model",
            "model_year",
            "plate",
            "purchase_date",
            "warranty_start",
            "warranty_end",
            "warranty_km",
            "is_ev",
            "owner_id",
            "station_id",
            "created_at",
        ],
    );
    let mut pending: Vec<&str> = Vec::new();
    for r in rows {
        b.s(r.vin.as_str())?;
        b.s(r.brand.as_str())?;
        b.s(r.model.as_str())?;
        b.i(r.model_year)?;
        b.os(r.plate.clone())?;
        b.s(r.purchase_date.as_str())?;
        b.s(r.warranty_start.as_str())?;
        b.s(r.warranty_end.as_str())?;
        b.i(r.warranty_km)?;
        b.i(r.is_ev as i64)?;
        b.i(r.owner_id)?;
        b.i(r.station_id)?;
        b.i(now_ms)?;
        pending.push(r.vin.as_str());
        if b.end_row() {
            b.flush(conn).await?;
            first_ownerships(conn, &pending).await?;
            pending.clear();
        }
    }
    b.flush(conn).await?;
    first_ownerships(conn, &pending).await?;
    Ok(b.written())
}

/// The first ownership of each just-written vehicle, from its owner and creation time.
async fn first_ownerships(conn: &mut sqlx::AnyConnection, vins: &[&str]) -> AppResult<()> {
    for chunk in vins.chunks(LOOKUP_BATCH) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO ownerships (vehicle_id, customer_id, from_at) SELECT id, owner_id, created_at FROM vehicles WHERE vin IN ({})",
            marks.join(",")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for v in chunk {
            q = q.bind(*v);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
