//! Station rows of a CSV import: checked against the regions and the station codes
//! before them in the file and in the database.

use super::*;

/// A valid station row.
#[derive(Clone)]
pub(super) struct Row {
    code: String,
    name_zh: String,
    name_en: String,
    region_id: i64,
    address: String,
    adcode: String,
    city: String,
    lon_e6: i64,
    lat_e6: i64,
    opening_hours: String,
    bays: i64,
    capabilities: String,
    labour_rate_fen: i64,
}

fn opening_hours(s: &str) -> Result<String, Violation> {
    let bad = || Violation::new("", "station.opening_hours");
    let (a, b) = s.split_once('-').ok_or_else(bad)?;
    let from: jiff::civil::Time = a.trim().parse().map_err(|_| bad())?;
    let to: jiff::civil::Time = b.trim().parse().map_err(|_| bad())?;
    if from >= to {
        return Err(bad());
    }
    Ok(format!(
        "{}-{}",
        from.strftime("%H:%M"),
        to.strftime("%H:%M")
    ))
}

fn adcode(s: &str) -> Result<String, Violation> {
    let t = s.trim();
    if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
        Ok(t.to_string())
    } else {
        Err(Violation::new("", "station.adcode"))
    }
}

fn degrees(s: &str) -> Result<f64, Violation> {
    s.trim()
        .parse::<f64>()
        .map_err(|_| Violation::new("", "geo.coordinates"))
}

pub(super) async fn validate(
    db: &Db,
    records: &[Record],
    check: &mut Check,
) -> AppResult<Vec<Row>> {
    let regions = region_codes(db).await?;
    let mut rows = Vec::new();
    for r in records {
        let mut v = Violations::new();
        let code = v.field("code", parse_station_code(r.get("code")));
        let name_zh = v.field("name_zh", required_text("name_zh", r.get("name_zh")));
        let name_en = v.field("name_en", required_text("name_en", r.get("name_en")));
        let region_code = r.get("region_code").trim().to_ascii_uppercase();
        let region_id = v.field(
            "region_code",
            regions
                .get(&region_code)
                .copied()
                .ok_or_else(|| Violation::new("", "region.unknown")),
        );
        let address = v.field("address", required_text("address", r.get("address")));
        let adcode = v.field("adcode", adcode(r.get("adcode")));
        let city = v.field("city", required_text("city", r.get("city")));
        let lon = v.field("lon", degrees(r.get("lon")));
        let lat = v.field("lat", degrees(r.get("lat")));
        if let (Some(lon), Some(lat)) = (lon, lat) {
            v.field("lon", check_coordinates(lon, lat));
        }
        let hours = v.field("opening_hours", opening_hours(r.get("opening_hours")));
        let bays = v.field("bays", parse_int(r.get("bays"), 0..=500, "station.bays"));
        let caps: Vec<String> = r
            .get("capabilities")
            .split(';')
            .map(str::to_string)
            .collect();
        let caps = v.field("capabilities", parse_capabilities(&caps));
        let rate = v.field(
            "labour_rate_yuan",
            Money::parse_yuan(r.get("labour_rate_yuan"))
                .map_err(Violation::from)
                .and_then(|m| {
                    if m.fen() > 0 {
                        Ok(m)
                    } else {
                        Err(Violation::new("", "money.range"))
                    }
                }),
        );
        if !check.take(r.row, v) {
            continue;
        }
        if let (
            Some(code),
            Some(name_zh),
            Some(name_en),
            Some(region_id),
            Some(address),
            Some(adcode),
            Some(city),
            Some(lon),
            Some(lat),
            Some(opening_hours),
            Some(bays),
            Some(caps),
            Some(rate),
        ) = (
            code, name_zh, name_en, region_id, address, adcode, city, lon, lat, hours, bays, caps,
            rate,
        ) {
            rows.push((
                r.row,
                Row {
                    code,
                    name_zh,
                    name_en,
                    region_id,
                    address,
                    adcode,
                    city,
                    lon_e6: (lon * 1e6).round() as i64,
                    lat_e6: (lat * 1e6).round() as i64,
                    opening_hours,
                    bays,
                    capabilities: caps.join(","),
                    labour_rate_fen: rate.fen(),
                },
            ));
        }
    }
    let keys: Vec<(u64, &str)> = rows.iter().map(|(n, r)| (*n, r.code.as_str())).collect();
    unique_key(
        db,
        check,
        "code",
        "SELECT code, id FROM stations WHERE code",
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
    let mut b = Bulk::new(
        backend,
        "stations",
        &[
            "code",
            "name_zh",
            "name_en",
            "region_id",
            "address",
            "adcode",
            "city",
            "lon_e6",
            "lat_e6",
            "opening_hours",
            "bays",
            "capabilities",
            "status",
            "labour_rate_fen",
            "created_at",
            "updated_at",
        ],
    );
    for r in rows {
        b.s(r.code.as_str())?;
        b.s(r.name_zh.as_str())?;
        b.s(r.name_en.as_str())?;
        b.i(r.region_id)?;
        b.s(r.address.as_str())?;
        b.s(r.adcode.as_str())?;
        b.s(r.city.as_str())?;
        b.i(r.lon_e6)?;
        b.i(r.lat_e6)?;
        b.s(r.opening_hours.as_str())?;
        b.i(r.bays)?;
        b.s(r.capabilities.as_str())?;
        b.s("active")?;
        b.i(r.labour_rate_fen)?;
        b.i(now_ms)?;
        b.i(now_ms)?;
        if b.end_row() {
            b.flush(conn).await?;
        }
    }
    b.flush(conn).await?;
    Ok(b.written())
}
