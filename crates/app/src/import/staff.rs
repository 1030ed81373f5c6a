//! Staff rows of a CSV import: usernames unique in the file and the database, each
//! role tied to the right kind of unit.

use super::*;

/// A valid staff row; the password is still plain.
#[derive(Clone)]
pub(super) struct Row {
    username: String,
    name: String,
    role: Role,
    station_id: Option<i64>,
    region_id: Option<i64>,
    phone: String,
    password: String,
}

fn username(s: &str) -> Result<String, Violation> {
    let t = s.trim().to_ascii_lowercase();
    let ok = (3..=32).contains(&t.len())
        && t.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if ok {
        Ok(t)
    } else {
        Err(Violation::new("", "staff.username"))
    }
}

pub(super) async fn validate(
    db: &Db,
    records: &[Record],
    check: &mut Check,
) -> AppResult<Vec<Row>> {
    let regions = region_codes(db).await?;
    let stations = station_codes(db).await?;
    let mut rows = Vec::new();
    for r in records {
        let mut v = Violations::new();
        let username = v.field("username", username(r.get("username")));
        let name = v.field(
            "name",
            domain::customer::parse_name(r.get("name"))
                .map_err(|_| Violation::new("", "staff.name")),
        );
        let role = v.field(
            "role",
            Role::from_code(r.get("role").trim())
                .filter(|x| *x != Role::Owner)
                .ok_or_else(|| Violation::new("", "staff.role")),
        );
        let (station_code, region_code) = (
            r.get("station_code").trim(),
            r.get("region_code").trim().to_ascii_uppercase(),
        );
        let mut station_id = None;
        let mut region_id = None;
        match role.map(Role::unit_kind) {
            Some(UnitKind::Station) => {
                if let Some((sid, rid)) =
                    v.field("station_code", known_station(&stations, station_code))
                {
                    station_id = Some(sid);
                    if !region_code.is_empty() && regions.get(&region_code) != Some(&rid) {
                        v.push(Violation::new("region_code", "staff.region_mismatch"));
                    }
                }
            }
            Some(UnitKind::Region) => {
                if !station_code.is_empty() {
                    v.push(Violation::new("station_code", "staff.station_not_allowed"));
                }
                if region_code.is_empty() {
                    v.push(Violation::new("region_code", "import.required"));
                } else {
                    region_id = v.field(
                        "region_code",
                        regions
                            .get(&region_code)
                            .copied()
                            .ok_or_else(|| Violation::new("", "region.unknown")),
                    );
                }
            }
            Some(_) => {
                if !station_code.is_empty() {
                    v.push(Violation::new("station_code", "staff.station_not_allowed"));
                }
                if !region_code.is_empty() {
                    v.push(Violation::new("region_code", "staff.region_not_allowed"));
                }
            }
            None => {}
        }
        let phone = v.field("phone", Phone::parse(r.get("phone")));
        let password = r.get("password").to_string();
        v.field("password", crate::password::check_strength(&password));
        if !check.take(r.row, v) {
            continue;
        }
        if let (Some(username), Some(name), Some(role), Some(phone)) = (username, name, role, phone)
        {
            rows.push((
                r.row,
                Row {
                    username,
                    name,
                    role,
                    station_id,
                    region_id,
                    phone: phone.e164().to_string(),
                    password,
                },
            ));
        }
    }
    let keys: Vec<(u64, &str)> = rows
        .iter()
        .map(|(n, r)| (*n, r.username.as_str()))
        .collect();
    unique_key(
        db,
        check,
        "username",
        "SELECT username, id FROM staff WHERE username",
        &keys,
    )
    .await?;
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

pub(super) async fn write(
    backend: Backend,
    conn: &mut sqlx::AnyConnection,
    rows: Vec<Row>,
    now_ms: i64,
) -> AppResult<u64> {
    // argon2 is slow on purpose: hash each distinct password once, off the async threads.
    let distinct: Vec<String> = rows
        .iter()
        .map(|r| r.password.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let hashes: HashMap<String, String> = tokio::task::spawn_blocking(move || {
        distinct
            .into_iter()
            .map(|p| crate::password::hash(&p).map(|h| (p, h)))
            .collect::<AppResult<HashMap<_, _>>>()
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    let mut b = Bulk::new(
        backend,
        "staff",
        &[
            "username",
            "name",
            "role",
            "station_id",
            "region_id",
            "phone",
            "password_hash",
            "created_at",
        ],
    );
    for r in &rows {
        let hash = hashes
            .get(&r.password)
            .ok_or_else(|| AppError::Internal("password hash missing".into()))?;
        b.s(r.username.as_str())?;
        b.s(r.name.as_str())?;
        b.s(r.role.code())?;
        b.oi(r.station_id)?;
        b.oi(r.region_id)?;
        b.s(r.phone.as_str())?;
        b.s(hash.as_str())?;
        b.i(now_ms)?;
        if b.end_row() {
            b.flush(conn).await?;
        }
    }
    b.flush(conn).await?;
    Ok(b.written())
}
