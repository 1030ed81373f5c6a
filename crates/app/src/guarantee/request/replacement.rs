//! The replacement car of a performed replacement request (Art 29): its VIN and own
//! invoice (and delivery) date are given when the replacement is recorded; a car
//! not yet known is registered for the same owner at the same station, a known one
//! of the same owner is linked and its dates set. Its 三包 and 包修 periods then start
//! anew from those dates ([`domain::guarantee::request::replacement_coverage`]), and
//! both cars keep the link (the request's `replacement_vehicle_id`, an event on each
//! vehicle's timeline), so each dossier names the other.

use crate::input::{opt_date, opt_text};
use crate::{AppError, AppResult, actor};
use domain::guarantee::period::{Coverage, period_start};
use domain::guarantee::request::replacement_coverage;
use domain::permission::{Grant, Reach};
use domain::vehicle::{DEFAULT_WARRANTY_KM, EARLIEST_PURCHASE, LATEST_WARRANTY};
use domain::vin::Vin;
use domain::{Violation, Violations};
use jiff::civil::Date;
use sqlx::AnyConnection;
use store::guarantee::request::RequestRow;

/// The replacement car as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NewCar {
    vin: String,
    purchase: Option<Date>,
    delivered: Option<Date>,
}

/// The replacement car once registered or linked.
#[derive(Debug, Clone)]
pub(super) struct Linked {
    /// Its id.
    pub vehicle_id: i64,
    /// Its VIN.
    pub vin: String,
    /// Its own periods.
    pub coverage: Coverage,
}

/// Reads the replacement car's fields, if any was given (shape only: whether one is
/// needed depends on the request, see [`register`]).
pub(super) fn parse(v: &mut Violations, input: &super::StepInput) -> Option<NewCar> {
    let vin = opt_text(v, "new_vin", &input.new_vin, 40).flatten();
    let purchase = opt_date(
        v,
        "new_purchase_date",
        &input.new_purchase_date,
        EARLIEST_PURCHASE,
        LATEST_WARRANTY,
    )
    .flatten();
    let delivered = opt_date(
        v,
        "new_delivered_on",
        &input.new_delivered_on,
        EARLIEST_PURCHASE,
        LATEST_WARRANTY,
    )
    .flatten();
    let vin = match vin.map(|s| Vin::parse(&s)) {
        Some(Ok(vin)) => Some(vin.to_string()),
        Some(Err(e)) => {
            let mut x = Violation::from(e);
            x.field = "new_vin".into();
            v.push(x);
            return None;
        }
        None if purchase.is_some() || delivered.is_some() => {
            v.push(Violation::new("new_vin", "required").with_detail("art29"));
            return None;
        }
        None => return None,
    };
    vin.map(|vin| NewCar {
        vin,
        purchase,
        delivered,
    })
}

fn invalid(v: Violation) -> AppError {
    AppError::Invalid(Violations::from(v))
}

/// Registers or links the replacement car of request `row` being performed on
/// `today`; `None` for a refund. Refused (422, nothing written) when a replacement
/// comes without the car, a refund with one, the car is the replaced one or another
/// owner's, or its dates are after today or out of order.
pub(super) async fn register(
    tx: &mut AnyConnection,
    grant: &Grant,
    row: &RequestRow,
    car: &Option<NewCar>,
    today: Date,
    now: i64,
) -> AppResult<Option<Linked>> {
    let car = match (row.kind.as_str(), car) {
        ("replacement", Some(c)) => c,
        ("replacement", None) => {
            return Err(invalid(
                Violation::new("new_vin", "required").with_detail("art29"),
            ));
        }
        (_, None) => return Ok(None),
        (_, Some(_)) => {
            return Err(invalid(Violation::new(
                "new_vin",
                "guarantee.replacement_for_refund",
            )));
        }
    };
    let Some(purchase) = car.purchase else {
        return Err(invalid(
            Violation::new("new_purchase_date", "required").with_detail("art18"),
        ));
    };
    if purchase > today {
        return Err(invalid(
            Violation::new("new_purchase_date", "date.range")
                .with_detail(format!("{EARLIEST_PURCHASE}..{today}")),
        ));
    }
    if let Some(d) = car.delivered
        && (d < purchase || d > today)
    {
        return Err(invalid(
            Violation::new("new_delivered_on", "date.range")
                .with_detail(format!("{purchase}..{today}")),
        ));
    }
    let old = store::vehicle::get(tx, &Reach::All, row.vehicle_id).await?;
    if old.vin.eq_ignore_ascii_case(&car.vin) {
        return Err(invalid(
            Violation::new("new_vin", "guarantee.replacement_same_car").with_detail("art29"),
        ));
    }
    let start = period_start(purchase, car.delivered);
    let warranty_end = domain::vehicle::default_warranty_end(start)
        .ok_or_else(|| invalid(Violation::new("new_purchase_date", "guarantee.date_range")))?;
    let fields = |vin: String, plate: Option<String>| store::vehicle::VehicleFields {
        vin,
        brand: old.brand.clone(),
        model: old.model.clone(),
        model_year: old.model_year,
        plate,
        purchase_date: purchase.to_string(),
        warranty_start: start.to_string(),
        warranty_end: warranty_end.to_string(),
        warranty_km: DEFAULT_WARRANTY_KM,
        is_ev: old.is_ev,
        owner_id: old.owner_id,
        station_id: old.station_id,
    };
    let id = match store::vehicle::by_vin(tx, &Reach::All, &car.vin).await {
        Ok(known) if known.owner_id != old.owner_id => {
            return Err(AppError::Refused(
                Violation::new("new_vin", "guarantee.replacement_other_owner")
                    .with_detail("art29")
                    .into(),
            ));
        }
        Ok(known) => {
            let f = store::vehicle::VehicleFields {
                brand: known.brand.clone(),
                model: known.model.clone(),
                model_year: known.model_year,
                is_ev: known.is_ev,
                warranty_km: known.warranty_km,
                station_id: known.station_id,
                ..fields(known.vin.clone(), known.plate.clone())
            };
            store::vehicle::update(tx, known.id, &f).await?;
            known.id
        }
        Err(store::StoreError::NotFound) => {
            store::vehicle::insert(tx, &fields(car.vin.clone(), None), now).await?
        }
        Err(e) => return Err(e.into()),
    };
    let delivered = car.delivered.map(|d| d.to_string());
    store::guarantee::set_delivered_on(tx, id, delivered.as_deref()).await?;
    let policy = super::super::policy::load(tx).await?.policy;
    let coverage = replacement_coverage(start, &policy).map_err(|e| invalid(Violation::from(e)))?;
    let periods = serde_json::json!({
        "request_id": row.id,
        "sanbao_until": coverage.sanbao_until.to_string(),
        "warranty_until": coverage.warranty_until.to_string(),
    });
    let mut on_old = periods.clone();
    on_old["replacement_vin"] = serde_json::Value::from(car.vin.clone());
    let mut on_new = periods;
    on_new["replaced_vin"] = serde_json::Value::from(old.vin.clone());
    for (vehicle, kind, data) in [
        (old.id, "guarantee_replaced_by", on_old),
        (id, "guarantee_replacement_for", on_new),
    ] {
        store::event::record(tx, now, actor(grant), "vehicle", vehicle, kind, &data, None).await?;
    }
    Ok(Some(Linked {
        vehicle_id: id,
        vin: car.vin.clone(),
        coverage,
    }))
}
