//! Vehicle use cases: records, ownership changes with history, odometer readings.

use crate::input::{Loose, boolean, date_in, int, opt_date, opt_int, opt_text, parsed_exact, text};
use crate::network::expect;
use crate::{App, AppError, AppResult, actor, conn};
use domain::permission::{Action, Grant};
use domain::vehicle::{EARLIEST_PURCHASE, LATEST_WARRANTY, default_warranty_end};
use domain::{Violation, Violations};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use store::vehicle::VehicleFields;
pub use store::vehicle::{Vehicle, VehicleFilter};
use store::{Page, Paged};

/// A vehicle as entered.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct VehicleInput {
    /// VIN, 17 characters with a valid check digit.
    #[schema(schema_with = crate::schema::vin, required = true)]
    pub vin: Loose,
    /// Brand.
    #[schema(schema_with = crate::schema::line::<50>, required = true)]
    pub brand: Loose,
    /// Model.
    #[schema(schema_with = crate::schema::line::<50>, required = true)]
    pub model: Loose,
    /// Model year.
    #[schema(value_type = i64, required = true, minimum = 1980, maximum = 2100)]
    pub model_year: Loose,
    /// Plate, optional.
    #[schema(schema_with = crate::schema::opt_plate)]
    pub plate: Loose,
    /// Purchase date, not in the future.
    #[schema(value_type = String, format = Date, required = true)]
    pub purchase_date: Loose,
    /// Warranty start; defaults to the purchase date.
    #[schema(value_type = Option<String>)]
    pub warranty_start: Loose,
    /// Warranty end; defaults to 3 years after the start.
    #[schema(value_type = Option<String>)]
    pub warranty_end: Loose,
    /// Warranty mileage; defaults to 100,000 km.
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 2_000_000)]
    pub warranty_km: Loose,
    /// Electric vehicle.
    #[schema(value_type = bool)]
    pub is_ev: Loose,
    /// Owner (customer id).
    #[schema(value_type = i64, required = true, minimum = 1)]
    pub owner_id: Loose,
    /// Station of record.
    #[schema(value_type = i64, required = true, minimum = 1)]
    pub station_id: Loose,
    /// First odometer reading, optional.
    #[schema(value_type = Option<i64>)]
    pub km: Loose,
}

/// Checks a vehicle input; returns the fields and the optional first reading.
/// `today` (in the network's zone) bounds the purchase date: 1990-01-01 ..= today.
pub fn parse(
    input: &VehicleInput,
    today: Date,
) -> Result<(VehicleFields, Option<i64>), Violations> {
    let mut v = Violations::new();
    let vin = parsed_exact(&mut v, "vin", &input.vin, domain::vin::Vin::parse_exact);
    let brand = text(&mut v, "brand", &input.brand, 50);
    let model = text(&mut v, "model", &input.model, 50);
    let year = int(&mut v, "model_year", &input.model_year, 1980, 2100);
    let plate = opt_text(&mut v, "plate", &input.plate, 12).map(|p| {
        p.and_then(|p| {
            v.field("plate", domain::plate::Plate::parse(&p))
                .map(|p| p.to_string())
        })
    });
    let purchase = date_in(
        &mut v,
        "purchase_date",
        &input.purchase_date,
        EARLIEST_PURCHASE,
        today,
    );
    let warranty = |v: &mut Violations, field: &str, value: &Loose| {
        opt_date(v, field, value, EARLIEST_PURCHASE, LATEST_WARRANTY)
    };
    let start =
        warranty(&mut v, "warranty_start", &input.warranty_start).and_then(|s| s.or(purchase));
    let end = warranty(&mut v, "warranty_end", &input.warranty_end)
        .and_then(|e| e.or_else(|| start.and_then(default_warranty_end)));
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        v.push(Violation::new("warranty_end", "date.order"));
    }
    let wkm = opt_int(&mut v, "warranty_km", &input.warranty_km, 0, 2_000_000)
        .map(|k| k.unwrap_or(domain::vehicle::DEFAULT_WARRANTY_KM));
    let ev = boolean(&mut v, "is_ev", &input.is_ev);
    let owner = int(&mut v, "owner_id", &input.owner_id, 1, i64::MAX);
    let station = int(&mut v, "station_id", &input.station_id, 1, i64::MAX);
    let km = opt_int(&mut v, "km", &input.km, 0, 2_000_000);
    v.into_result()?;
    match (
        vin, brand, model, year, plate, purchase, start, end, wkm, ev, owner, station, km,
    ) {
        (
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
            Some(owner_id),
            Some(station_id),
            Some(km),
        ) => Ok((
            VehicleFields {
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
                owner_id,
                station_id,
            },
            km,
        )),
        // Every field was read without a violation, so none is missing; kept total
        // rather than unwrapped.
        _ => Err(Violation::new("body", "required").into()),
    }
}

/// Today in the network's zone (China Standard Time), for date plausibility.
fn today(app: &App) -> Date {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai")
        .unwrap_or_else(|_| jiff::tz::TimeZone::fixed(jiff::tz::offset(8)));
    app.clock.now().to_zoned(tz).date()
}

async fn check_refs(
    tx: &mut sqlx::AnyConnection,
    grant: &Grant,
    f: &VehicleFields,
) -> AppResult<()> {
    let mut v = Violations::new();
    if store::network::station(tx, grant.reach(), f.station_id)
        .await
        .is_err()
    {
        v.push(Violation::new("station_id", "station.unknown"));
    }
    if store::customer::get(tx, grant.reach(), f.owner_id)
        .await
        .is_err()
    {
        v.push(Violation::new("owner_id", "customer.unknown"));
    }
    // Well-formed ids of records this database does not hold (within reach): the
    // input is valid, the records refuse it (409, as the API document declares).
    v.into_result().map_err(AppError::Refused)
}

/// Creates a vehicle (and its first ownership and odometer reading).
pub async fn create(app: &App, grant: &Grant, input: &VehicleInput) -> AppResult<i64> {
    expect(grant, Action::VehicleWrite)?;
    let (f, km) = parse(input, today(app))?;
    let now = app.now_ms();
    let f = &f;
    crate::transaction::run(app, "vehicle.create", move |mut tx| async move {
        check_refs(&mut tx, grant, f).await?;
        let id = store::vehicle::insert(&mut tx, f, now).await?;
        if let Some(km) = km {
            store::vehicle::insert_reading(
                &mut tx,
                id,
                km,
                "advisor",
                false,
                now,
                Some(grant.principal().id),
            )
            .await?;
        }
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            "vehicle",
            id,
            "created",
            &serde_json::json!({"vin": f.vin}),
            None,
        )
        .await?;
        Ok((tx, id))
    })
    .await
}

/// Changes a vehicle's descriptive fields (the owner changes only by transfer).
pub async fn update(app: &App, grant: &Grant, id: i64, input: &VehicleInput) -> AppResult<()> {
    expect(grant, Action::VehicleWrite)?;
    let (f, _) = parse(input, today(app))?;
    let now = app.now_ms();
    let f = &f;
    crate::transaction::run(app, "vehicle.update", move |mut tx| async move {
        let mut f = f.clone();
        let before = store::vehicle::get(&mut tx, grant.reach(), id).await?;
        f.owner_id = before.owner_id;
        check_refs(&mut tx, grant, &f).await?;
        store::vehicle::update(&mut tx, id, &f).await?;
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            "vehicle",
            id,
            "updated",
            &serde_json::json!({"vin": f.vin}),
            None,
        )
        .await?;
        Ok((tx, ()))
    })
    .await
}

/// A vehicle with its owner history and odometer readings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VehicleDetail {
    /// The vehicle.
    #[schema(value_type = Object)]
    pub vehicle: Vehicle,
    /// Owner periods.
    #[schema(value_type = Vec<Object>)]
    pub ownerships: Vec<store::vehicle::Ownership>,
    /// Readings.
    #[schema(value_type = Vec<Object>)]
    pub odometer: Vec<store::vehicle::Reading>,
}

/// One vehicle within reach, with history.
pub async fn detail(app: &App, grant: &Grant, id: i64) -> AppResult<VehicleDetail> {
    expect(grant, Action::VehicleRead)?;
    let mut c = conn(app).await?;
    let vehicle = store::vehicle::get(&mut c, grant.reach(), id).await?;
    let ownerships = store::vehicle::ownerships(&mut c, id).await?;
    let odometer = store::vehicle::readings(&mut c, id).await?;
    Ok(VehicleDetail {
        vehicle,
        ownerships,
        odometer,
    })
}

/// One vehicle by VIN within reach: the hot path of counter look-ups.
pub async fn by_vin(app: &App, grant: &Grant, vin: &str) -> AppResult<Vehicle> {
    expect(grant, Action::VehicleRead)?;
    // A VIN of the right shape whose check digit is wrong names no vehicle (every
    // stored VIN passed that check): the lookup finds nothing, as for any unknown
    // key in a path. A VIN of the wrong shape is still a 422 naming the rule.
    let vin = domain::vin::Vin::parse(vin).map_err(|e| match e {
        domain::vin::VinError::CheckDigit { .. } => AppError::NotFound,
        e => AppError::Invalid(Violation::from(e).into()),
    })?;
    Ok(store::vehicle::by_vin(&mut *conn(app).await?, grant.reach(), vin.as_str()).await?)
}

/// The orders a person may choose for the vehicle list (`sort=` keys).
pub const VEHICLE_ORDERS: &[(&str, &str)] = store::vehicle::VEHICLE_ORDERS;

/// Vehicles within reach.
pub async fn list(
    app: &App,
    grant: &Grant,
    f: &VehicleFilter,
    page: Page,
) -> AppResult<Paged<Vehicle>> {
    list_ordered(app, grant, f, page, None).await
}

/// [`list`] in the order a person chose from [`VEHICLE_ORDERS`].
pub async fn list_ordered(
    app: &App,
    grant: &Grant,
    f: &VehicleFilter,
    page: Page,
    order: Option<crate::Order>,
) -> AppResult<Paged<Vehicle>> {
    expect(grant, Action::VehicleRead)?;
    let page =
        store::vehicle::list_ordered(&mut *conn(app).await?, grant.reach(), f, page, order).await?;
    let role = grant.principal().role;
    Ok(Paged {
        items: page
            .items
            .into_iter()
            .map(|v| crate::privacy::vehicle_view(role, v))
            .collect(),
        ..page
    })
}

/// Moves a vehicle to another customer within reach; history stays with the vehicle.
pub async fn transfer(
    app: &App,
    grant: &Grant,
    id: i64,
    new_owner: i64,
    reason: &str,
) -> AppResult<()> {
    expect(grant, Action::VehicleWrite)?;
    let now = app.now_ms();
    crate::transaction::run(app, "vehicle.transfer", move |mut tx| async move {
        let v = store::vehicle::get(&mut tx, grant.reach(), id).await?;
        if store::customer::get(&mut tx, grant.reach(), new_owner)
            .await
            .is_err()
        {
            return Err(crate::shared::refused_rule("owner_id", "customer.unknown"));
        }
        if v.owner_id == new_owner {
            return Err(crate::shared::refused_rule(
                "owner_id",
                "vehicle.same_owner",
            ));
        }
        store::vehicle::transfer(&mut tx, id, new_owner, now).await?;
        let data = serde_json::json!({"from": v.owner_id, "to": new_owner});
        let reason = Some(reason.trim()).filter(|r| !r.is_empty());
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            "vehicle",
            id,
            "owner_changed",
            &data,
            reason,
        )
        .await?;
        Ok((tx, ()))
    })
    .await
}

/// An odometer reading as entered.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ReadingInput {
    /// Kilometres.
    #[schema(value_type = i64, required = true, minimum = 0, maximum = 2_000_000)]
    pub km: Loose,
    /// `repair_order`, `telematics`, `owner` or `advisor` (the default).
    #[schema(value_type = Option<String>, pattern = "^(repair_order|telematics|owner|advisor)?$")]
    pub source: Loose,
    /// The instrument cluster was replaced, so a lower reading is expected.
    #[schema(value_type = bool)]
    pub cluster_replaced: Loose,
}

/// Records a reading; a lower one than the last is refused unless flagged.
pub async fn add_reading(app: &App, grant: &Grant, id: i64, input: &ReadingInput) -> AppResult<()> {
    expect(grant, Action::VehicleWrite)?;
    let mut v = Violations::new();
    let km = int(&mut v, "km", &input.km, 0, 2_000_000);
    let source = opt_text(&mut v, "source", &input.source, 20)
        .flatten()
        .unwrap_or_else(|| "advisor".into());
    if !["repair_order", "telematics", "owner", "advisor"].contains(&source.as_str()) {
        v.push(Violation::new("source", "odometer.source"));
    }
    let flagged = boolean(&mut v, "cluster_replaced", &input.cluster_replaced);
    v.into_result()?;
    let (Some(km), Some(flagged)) = (km, flagged) else {
        return Err(AppError::Internal("reading".into()));
    };
    let now = app.now_ms();
    let source = &source;
    crate::transaction::run(app, "vehicle.add_reading", move |mut tx| async move {
        store::vehicle::get(&mut tx, grant.reach(), id).await?;
        let last = store::vehicle::last_reading(&mut tx, id).await?;
        domain::odometer::check_reading(last, km, flagged)
            .map_err(|e| AppError::Refused(Violation::from(e).into()))?;
        store::vehicle::insert_reading(
            &mut tx,
            id,
            km,
            source,
            flagged,
            now,
            Some(grant.principal().id),
        )
        .await?;
        let data = serde_json::json!({"km": km, "cluster_replaced": flagged});
        store::event::record(
            &mut tx,
            now,
            actor(grant),
            "vehicle",
            id,
            "odometer",
            &data,
            None,
        )
        .await?;
        Ok((tx, ()))
    })
    .await
}

/// The signed-in owner's own vehicles (the first 50). Needs `OwnDataExport`, which
/// only an owner holds, reaching their own records.
pub async fn owned(app: &App, grant: &Grant) -> AppResult<Vec<Vehicle>> {
    expect(grant, Action::OwnDataExport)?;
    let filter = VehicleFilter {
        owner_id: Some(grant.principal().id),
        ..Default::default()
    };
    let mut c = conn(app).await?;
    Ok(
        store::vehicle::list(&mut c, grant.reach(), &filter, Page::new(1, 50))
            .await?
            .items,
    )
}

/// A vehicle's owner as a vehicle page names them: the name and the masked phone as
/// the field policy lets the reader see them (a page shows a person, never an id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerName {
    /// Customer id, for the link to the customer's page.
    pub id: i64,
    /// Name (masked or empty as the policy says).
    pub name: String,
    /// Masked phone, `138****5678` (empty where the reader may not see it).
    pub phone: String,
}

impl OwnerName {
    /// `Name (138****5678)`, or whichever of the two the reader may see.
    pub fn label(&self) -> String {
        match (self.name.is_empty(), self.phone.is_empty()) {
            (false, false) => format!("{} ({})", self.name, self.phone),
            (false, true) => self.name.clone(),
            (true, false) => self.phone.clone(),
            (true, true) => String::new(),
        }
    }
}

/// The owners `ids` (customer ids of vehicles on one page) within the reader's reach,
/// by id, through the field policy. Needs `VehicleRead`: whoever sees the car sees
/// whose it is, masked as in a customer list; an owner out of reach is left out.
pub async fn owner_names(
    app: &App,
    grant: &Grant,
    ids: &[i64],
) -> AppResult<std::collections::HashMap<i64, OwnerName>> {
    expect(grant, Action::VehicleRead)?;
    let rows = store::customer::by_ids(&mut *conn(app).await?, grant.reach(), ids).await?;
    let p = grant.principal();
    Ok(rows
        .into_iter()
        .map(|c| crate::privacy::customer_view(p, c))
        .map(|c| {
            (
                c.id,
                OwnerName {
                    id: c.id,
                    name: c.name,
                    phone: c.phone,
                },
            )
        })
        .collect())
}

/// A station a vehicle can be registered at, as the form's searchable select offers
/// it: by name and code, never a typed number.
#[derive(Debug, Clone)]
pub struct StationOption {
    /// Id (the form value, never shown).
    pub id: i64,
    /// Code, e.g. `BJ-0001`.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// City.
    pub city: String,
}

/// Most stations the vehicle form offers (the whole network fits).
const MAX_STATION_OPTIONS: usize = 5_000;

/// The active stations within the writer's reach, by code: the same reach
/// [`create`] and [`update`] check the chosen station against, so what the select
/// offers is what the rules accept. Needs `VehicleWrite`.
pub async fn station_options(app: &App, grant: &Grant) -> AppResult<Vec<StationOption>> {
    expect(grant, Action::VehicleWrite)?;
    let mut c = conn(app).await?;
    let filter = store::network::StationFilter {
        q: None,
        status: Some("active".into()),
        region_id: None,
    };
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let found =
            store::network::stations(&mut c, grant.reach(), &filter, Page::new(page, 200)).await?;
        out.extend(found.items.iter().map(|s| StationOption {
            id: s.id,
            code: s.code.clone(),
            name_zh: s.name_zh.clone(),
            name_en: s.name_en.clone(),
            city: s.city.clone(),
        }));
        if found.items.len() < 200 || out.len() >= MAX_STATION_OPTIONS {
            break;
        }
        page += 1;
    }
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out.truncate(MAX_STATION_OPTIONS);
    Ok(out)
}
