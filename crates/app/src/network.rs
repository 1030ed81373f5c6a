//! Network use cases: regions, stations, depots, mobile units.

use crate::input::{Loose, decimal, int, opt_text, text};
use crate::{App, AppError, AppResult, actor, conn};
use domain::network::{StationStatus, check_coordinates, parse_capabilities, parse_station_code};
use domain::permission::{Action, Grant, Reach, Unit};
use domain::{Violation, Violations};
use serde::Deserialize;
use store::network::StationFields;
pub use store::network::{Station, StationFilter};
use store::{Page, Paged};

/// A station as entered in a form or JSON body.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct StationInput {
    /// Unique code, 3–16 letters, digits, dashes.
    #[schema(schema_with = crate::schema::station_code, required = true)]
    pub code: Loose,
    /// Chinese name.
    #[schema(schema_with = crate::schema::line::<100>, required = true)]
    pub name_zh: Loose,
    /// English name.
    #[schema(schema_with = crate::schema::line::<100>, required = true)]
    pub name_en: Loose,
    /// Region id (one that does not exist is refused, 409 `region.unknown`).
    #[schema(value_type = i64, minimum = 1, required = true)]
    pub region_id: Loose,
    /// Street address.
    #[schema(schema_with = crate::schema::line::<200>, required = true)]
    pub address: Loose,
    /// 6-digit administrative code.
    #[schema(schema_with = crate::schema::adcode, required = true)]
    pub adcode: Loose,
    /// City.
    #[schema(schema_with = crate::schema::line::<50>, required = true)]
    pub city: Loose,
    /// Longitude.
    #[schema(value_type = f64, minimum = -180, maximum = 180, required = true)]
    pub lon: Loose,
    /// Latitude.
    #[schema(value_type = f64, minimum = -90, maximum = 90, required = true)]
    pub lat: Loose,
    /// Opening hours `08:30-18:00`, closing after opening.
    #[schema(schema_with = crate::schema::opening_hours, required = true)]
    pub opening_hours: Loose,
    /// Service bays.
    #[schema(value_type = i64, minimum = 0, maximum = 500, required = true)]
    pub bays: Loose,
    /// Capability codes, comma separated or a list.
    #[schema(schema_with = capabilities_schema, required = true)]
    pub capabilities: Loose,
    /// Labour rate per hour in fen (default 180 yuan).
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 10_000_000)]
    pub labour_rate_fen: Loose,
}

/// A station's capabilities: a list of codes from `domain::network::CAPABILITIES`.
fn capabilities_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(crate::schema::code_list(&domain::network::CAPABILITIES))
        .build()
}

fn opening_hours(v: &mut Violations, value: &Loose) -> Option<String> {
    let s = text(v, "opening_hours", value, 11)?;
    let ok = s.split_once('-').is_some_and(|(a, b)| {
        let a = a.trim().parse::<jiff::civil::Time>();
        let b = b.trim().parse::<jiff::civil::Time>();
        matches!((a, b), (Ok(a), Ok(b)) if a < b)
    });
    if ok {
        Some(s)
    } else {
        v.push(Violation::new("opening_hours", "station.opening_hours"));
        None
    }
}

/// Checks a station input.
pub fn parse_station(input: &StationInput) -> Result<StationFields, Violations> {
    let mut v = Violations::new();
    let code =
        text(&mut v, "code", &input.code, 16).and_then(|c| v.field("code", parse_station_code(&c)));
    let name_zh = text(&mut v, "name_zh", &input.name_zh, 100);
    let name_en = text(&mut v, "name_en", &input.name_en, 100);
    let region_id = int(&mut v, "region_id", &input.region_id, 1, i64::MAX);
    let address = text(&mut v, "address", &input.address, 200);
    let adcode = text(&mut v, "adcode", &input.adcode, 6);
    if let Some(a) = &adcode
        && (a.len() != 6 || !a.bytes().all(|b| b.is_ascii_digit()))
    {
        v.push(Violation::new("adcode", "adcode.format"));
    }
    let city = text(&mut v, "city", &input.city, 50);
    let lon = decimal(&mut v, "lon", &input.lon);
    let lat = decimal(&mut v, "lat", &input.lat);
    if let (Some(lo), Some(la)) = (lon, lat)
        && let Err(e) = check_coordinates(lo, la)
    {
        v.push(e.into());
    }
    let hours = opening_hours(&mut v, &input.opening_hours);
    let bays = int(&mut v, "bays", &input.bays, 0, 500);
    let caps: Vec<String> = match &input.capabilities {
        Loose::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        Loose::String(s) => s.split([',', ';']).map(str::to_string).collect(),
        _ => Vec::new(),
    };
    let caps = v.field("capabilities", parse_capabilities(&caps));
    let rate = match &input.labour_rate_fen {
        Loose::Null => Some(18_000),
        other => int(&mut v, "labour_rate_fen", other, 0, 10_000_000),
    };
    v.into_result()?;
    match (
        code, name_zh, name_en, region_id, address, adcode, city, lon, lat, hours, bays, caps, rate,
    ) {
        (
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
            Some(capabilities),
            Some(labour_rate_fen),
        ) => Ok(StationFields {
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
            capabilities,
            labour_rate_fen,
        }),
        _ => Err(Violation::new("body", "required").into()),
    }
}

async fn check_region(tx: &mut sqlx::AnyConnection, region_id: i64) -> AppResult<()> {
    let regions = store::network::regions(tx).await?;
    if regions.iter().any(|r| r.id == region_id) {
        Ok(())
    } else {
        Err(crate::shared::refused_rule("region_id", "region.unknown"))
    }
}

/// Creates a station.
pub async fn create_station(app: &App, grant: &Grant, input: &StationInput) -> AppResult<i64> {
    expect(grant, Action::NetworkWrite)?;
    let f = parse_station(input)?;
    let now = app.now_ms();
    let f = &f;
    crate::transaction::run(app, "network.create_station", move |mut tx| async move {
        check_region(&mut tx, f.region_id).await?;
        let id = store::network::insert_station(&mut tx, f, now).await?;
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            "station",
            id,
            "created",
            &serde_json::json!({"code": f.code}),
            None,
        )
        .await?;
        Ok((tx, id))
    })
    .await
}

/// Changes a station's fields.
pub async fn update_station(
    app: &App,
    grant: &Grant,
    id: i64,
    input: &StationInput,
) -> AppResult<()> {
    expect(grant, Action::NetworkWrite)?;
    let f = parse_station(input)?;
    let now = app.now_ms();
    let f = &f;
    crate::transaction::run(app, "network.update_station", move |mut tx| async move {
        store::network::station(&mut tx, grant.reach(), id).await?;
        check_region(&mut tx, f.region_id).await?;
        store::network::update_station(&mut tx, id, f, now).await?;
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            "station",
            id,
            "updated",
            &serde_json::json!({"code": f.code}),
            None,
        )
        .await?;
        Ok((tx, ()))
    })
    .await
}

/// Suspends, reactivates or closes a station; a reason is required, closing keeps
/// every record.
pub async fn change_station_status(
    app: &App,
    grant: &Grant,
    id: i64,
    status: &str,
    reason: &str,
) -> AppResult<()> {
    expect(grant, Action::NetworkWrite)?;
    let mut v = Violations::new();
    let next = StationStatus::from_code(status);
    if next.is_none() {
        v.push(Violation::new("status", "station.status"));
    }
    if reason.trim().is_empty() {
        v.push(Violation::new("reason", "required"));
    }
    v.into_result()?;
    let next = next.ok_or(AppError::NotFound)?;
    let now = app.now_ms();
    crate::transaction::run(
        app,
        "network.change_station_status",
        move |mut tx| async move {
            let station = store::network::station(&mut tx, grant.reach(), id).await?;
            let current =
                StationStatus::from_code(&station.status).unwrap_or(StationStatus::Active);
            let next = current
                .change_to(next)
                .map_err(|e| AppError::Refused(Violation::from(e).into()))?;
            store::network::set_station_status(&mut tx, id, next.code(), now).await?;
            let data = serde_json::json!({"from": current.code(), "to": next.code()});
            store::event::record(
                &mut tx,
                now,
                actor(grant),
                "station",
                id,
                "status_changed",
                &data,
                Some(reason.trim()),
            )
            .await?;
            Ok((tx, ()))
        },
    )
    .await
}

/// One station within reach.
pub async fn station(app: &App, grant: &Grant, id: i64) -> AppResult<Station> {
    expect(grant, Action::NetworkRead)?;
    Ok(store::network::station(&mut *conn(app).await?, grant.reach(), id).await?)
}

/// Stations within reach.
pub async fn stations(
    app: &App,
    grant: &Grant,
    filter: &StationFilter,
    page: Page,
) -> AppResult<Paged<Station>> {
    expect(grant, Action::NetworkRead)?;
    Ok(store::network::stations(&mut *conn(app).await?, grant.reach(), filter, page).await?)
}

/// The columns the station list may be sorted by (keys a page may ask for).
pub const STATION_ORDERS: &[(&str, &str)] = store::network::STATION_ORDERS;

/// [`stations`] in the order a person chose from [`STATION_ORDERS`].
pub async fn stations_ordered(
    app: &App,
    grant: &Grant,
    filter: &StationFilter,
    page: Page,
    order: Option<crate::Order>,
) -> AppResult<Paged<Station>> {
    expect(grant, Action::NetworkRead)?;
    let mut c = conn(app).await?;
    Ok(store::network::stations_ordered(&mut c, grant.reach(), filter, page, order).await?)
}

/// A station's history, free text masked for staff.
pub async fn station_events(
    app: &App,
    grant: &Grant,
    id: i64,
) -> AppResult<Vec<store::event::Event>> {
    expect(grant, Action::NetworkRead)?;
    let mut c = conn(app).await?;
    store::network::station(&mut c, grant.reach(), id).await?;
    // Free text typed into a reason or a note is masked as on every timeline.
    let role = grant.principal().role;
    Ok(store::event::for_entity(&mut c, "station", id)
        .await?
        .into_iter()
        .map(|e| crate::privacy::event_view(role, e))
        .collect())
}

/// The name of the unit a person works in (their station or region, in Chinese and
/// English), for the console's top bar: people know their station by name, not by
/// number. Head office and owners have none. Reading one's own unit needs no grant.
pub async fn unit_name(app: &App, unit: &Unit) -> AppResult<Option<(String, String)>> {
    let mut c = conn(app).await?;
    Ok(match unit {
        Unit::Station(s, _) => store::network::station(&mut c, &Reach::All, s.0)
            .await
            .ok()
            .map(|st| (st.name_zh, st.name_en)),
        Unit::Region(r) => store::network::regions(&mut c)
            .await?
            .into_iter()
            .find(|x| x.id == r.0)
            .map(|x| (x.name_zh, x.name_en)),
        Unit::HeadOffice | Unit::Owner(_) => None,
    })
}

/// The names of stations and regions a list shows, so no list shows "station 7" or
/// "region 2": (Chinese, English) by id.
#[derive(Debug, Clone, Default)]
pub struct UnitNames {
    stations: std::collections::HashMap<i64, (String, String)>,
    regions: std::collections::HashMap<i64, (String, String)>,
}

impl UnitNames {
    fn pick(found: Option<&(String, String)>, en: bool) -> String {
        found
            .map(|(zh, e)| if en { e.clone() } else { zh.clone() })
            .unwrap_or_default()
    }

    /// A station's name in Chinese or English ("" when unknown).
    pub fn station(&self, id: i64, en: bool) -> String {
        Self::pick(self.stations.get(&id), en)
    }

    /// A region's name in Chinese or English ("" when unknown).
    pub fn region(&self, id: i64, en: bool) -> String {
        Self::pick(self.regions.get(&id), en)
    }
}

/// The names of `stations` (at most a page's worth are looked up) and of every
/// region. Station and region names are not personal data; the caller has already
/// read the rows that name them.
pub async fn unit_names(app: &App, stations: &[i64]) -> AppResult<UnitNames> {
    let mut c = conn(app).await?;
    let mut out = UnitNames::default();
    let mut ids: Vec<i64> = stations.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for id in ids.into_iter().take(store::Page::MAX_PER_PAGE as usize) {
        if let Ok(st) = store::network::station(&mut c, &Reach::All, id).await {
            out.stations.insert(id, (st.name_zh, st.name_en));
        }
    }
    for r in store::network::regions(&mut c).await? {
        out.regions.insert(r.id, (r.name_zh, r.name_en));
    }
    Ok(out)
}

/// Every region (regions are not secret to staff).
pub async fn regions(app: &App, grant: &Grant) -> AppResult<Vec<store::network::Region>> {
    expect(grant, Action::NetworkRead)?;
    Ok(store::network::regions(&mut *conn(app).await?).await?)
}

/// Input for a region.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionInput {
    /// Code.
    #[schema(schema_with = crate::schema::station_code)]
    pub code: String,
    /// Chinese name.
    #[schema(schema_with = crate::schema::line::<50>)]
    pub name_zh: String,
    /// English name.
    #[schema(schema_with = crate::schema::line::<50>)]
    pub name_en: String,
}

/// Creates a region.
pub async fn create_region(app: &App, grant: &Grant, input: &RegionInput) -> AppResult<i64> {
    expect(grant, Action::NetworkWrite)?;
    let mut v = Violations::new();
    let code = v.field("code", parse_station_code(&input.code));
    let zh = text(&mut v, "name_zh", &Loose::String(input.name_zh.clone()), 50);
    let en = text(&mut v, "name_en", &Loose::String(input.name_en.clone()), 50);
    v.into_result()?;
    let (Some(code), Some(zh), Some(en)) = (code, zh, en) else {
        return Err(AppError::Internal("region".into()));
    };
    let (code, en, zh) = (&code, &en, &zh);
    crate::transaction::run(app, "network.create_region", move |mut tx| async move {
        let id = store::network::insert_region(&mut tx, code, zh, en).await?;
        store::event::record(
            &mut tx,
            app.now_ms(),
            actor(grant),
            "region",
            id,
            "created",
            &serde_json::json!({"code": code}),
            None,
        )
        .await?;
        Ok((tx, id))
    })
    .await
}

/// Every depot.
pub async fn depots(app: &App, grant: &Grant) -> AppResult<Vec<store::network::Depot>> {
    expect(grant, Action::NetworkRead)?;
    Ok(store::network::depots(&mut *conn(app).await?).await?)
}

/// Mobile units within reach, of one station when `station_id` is given.
pub async fn mobile_units(
    app: &App,
    grant: &Grant,
    station_id: Option<i64>,
) -> AppResult<Vec<store::network::MobileUnit>> {
    expect(grant, Action::NetworkRead)?;
    let mut c = conn(app).await?;
    Ok(store::network::mobile_units(&mut c, grant.reach(), station_id).await?)
}

/// Input for a mobile unit.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MobileUnitInput {
    /// Code.
    #[schema(schema_with = crate::schema::station_code, required = true)]
    pub code: Loose,
    /// `rescue_truck` or `service_van`.
    #[schema(schema_with = crate::schema::unit_kind, required = true)]
    pub kind: Loose,
    /// Owning station.
    #[schema(value_type = i64, required = true, minimum = 1)]
    pub station_id: Loose,
    /// Plate.
    #[schema(schema_with = crate::schema::plate, required = true)]
    pub plate: Loose,
    /// Longitude.
    #[schema(value_type = f64, required = true, minimum = -180, maximum = 180)]
    pub lon: Loose,
    /// Latitude.
    #[schema(value_type = f64, required = true, minimum = -90, maximum = 90)]
    pub lat: Loose,
}

/// Creates a mobile unit belonging to a station.
pub async fn create_mobile_unit(
    app: &App,
    grant: &Grant,
    input: &MobileUnitInput,
) -> AppResult<i64> {
    expect(grant, Action::NetworkWrite)?;
    let mut v = Violations::new();
    let code =
        text(&mut v, "code", &input.code, 16).and_then(|c| v.field("code", parse_station_code(&c)));
    let kind = text(&mut v, "kind", &input.kind, 20);
    if let Some(k) = &kind
        && !domain::network::UNIT_KINDS.contains(&k.as_str())
    {
        v.push(Violation::new("kind", "mobile_unit.kind"));
    }
    let station_id = int(&mut v, "station_id", &input.station_id, 1, i64::MAX);
    let plate = crate::input::parsed(&mut v, "plate", &input.plate, domain::plate::Plate::parse);
    let lon = decimal(&mut v, "lon", &input.lon);
    let lat = decimal(&mut v, "lat", &input.lat);
    if let (Some(lo), Some(la)) = (lon, lat)
        && let Err(e) = check_coordinates(lo, la)
    {
        v.push(e.into());
    }
    v.into_result()?;
    let (Some(code), Some(kind), Some(station_id), Some(plate), Some(lon), Some(lat)) =
        (code, kind, station_id, plate, lon, lat)
    else {
        return Err(AppError::Internal("mobile unit".into()));
    };
    let now = app.now_ms();
    let (code, kind, plate) = (&code, &kind, &plate);
    crate::transaction::run(
        app,
        "network.create_mobile_unit",
        move |mut tx| async move {
            store::network::station(&mut tx, grant.reach(), station_id)
                .await
                .map_err(|_| crate::shared::refused_rule("station_id", "station.unknown"))?;
            let unit = store::network::MobileUnit {
                id: 0,
                code: code.clone(),
                kind: kind.clone(),
                station_id,
                plate: plate.to_string(),
                lon,
                lat,
                state: "available".into(),
            };
            let id = store::network::insert_mobile_unit(&mut tx, &unit, now).await?;
            store::event::record(
                &mut tx,
                now,
                actor(grant),
                "mobile_unit",
                id,
                "created",
                &serde_json::json!({"code": unit.code}),
                None,
            )
            .await?;
            Ok((tx, id))
        },
    )
    .await
}

/// Guards that a grant is for the action a use case performs.
pub(crate) fn expect(grant: &Grant, action: Action) -> AppResult<()> {
    if grant.action() == action {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Accepts an optional free text.
pub fn optional_text(value: &Loose) -> Option<String> {
    let mut v = Violations::new();
    opt_text(&mut v, "text", value, 500).flatten()
}
