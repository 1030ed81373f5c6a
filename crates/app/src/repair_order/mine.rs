//! The owner's own repair orders, as the owner's home lists them (issue 17, finding
//! 9): the car in the shop with its stage and promised time, and the bills of the
//! delivered ones. Only orders opened for this owner: a car bought second-hand does
//! not show its previous owner's visits.

use crate::network::expect;
use crate::{App, AppError, AppResult, conn};
use domain::permission::{Action, Grant, Reach};
use serde::Serialize;

/// How many orders the home lists at most (newest first).
const LIMIT: usize = 20;

/// One of the owner's orders with what the owner needs to recognise it.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerOrder {
    /// Order id (shown as the order number).
    pub order_id: i64,
    /// Brand, model and plate of the car.
    pub vehicle: String,
    /// Station name in Chinese.
    pub station_zh: String,
    /// Station name in English.
    pub station_en: String,
    /// `open` or `delivered`.
    pub state: String,
    /// Stage in progress while open.
    pub current_stage: Option<String>,
    /// Promised completion, UTC ms.
    pub promised_at: Option<i64>,
    /// Reception, UTC ms.
    pub received_at: i64,
    /// The bill, once issued at delivery.
    pub bill: Option<OwnerBill>,
}

/// A bill as the owner's home shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerBill {
    /// Bill number.
    pub number: String,
    /// Total with VAT, fen.
    pub gross_fen: i64,
    /// Still owed, fen.
    pub outstanding_fen: i64,
    /// Paid in full.
    pub paid: bool,
}

/// The signed-in owner's orders, open ones first, then newest first. Needs
/// `OwnDataExport` held by an owner (the owner's own reach).
pub async fn owner_orders(app: &App, grant: &Grant) -> AppResult<Vec<OwnerOrder>> {
    expect(grant, Action::OwnDataExport)?;
    let Reach::Customer(customer) = grant.reach() else {
        return Err(AppError::Forbidden);
    };
    let customer = customer.0;
    let vehicles = crate::vehicle::owned(app, grant).await?;
    let mut c = conn(app).await?;
    let mut out = Vec::new();
    for v in &vehicles {
        let label = match &v.plate {
            Some(p) => format!("{} {} · {p}", v.brand, v.model),
            None => format!("{} {}", v.brand, v.model),
        };
        for o in store::repair_order::vehicle_history::orders_of_vehicle(&mut c, v.id).await? {
            let order = store::repair_order::get(&mut c, &Reach::All, o.id).await?;
            if order.customer_id != customer {
                continue;
            }
            let station = store::network::station(&mut c, &Reach::All, order.station_id).await?;
            let bill = match store::billing::by_order_unscoped(&mut c, order.id).await {
                Ok(b) => Some(OwnerBill {
                    number: b.number,
                    gross_fen: b.gross_fen,
                    outstanding_fen: (b.gross_fen - b.paid_fen).max(0),
                    paid: b.state == "paid",
                }),
                Err(store::StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            };
            out.push(OwnerOrder {
                order_id: order.id,
                vehicle: label.clone(),
                station_zh: station.name_zh,
                station_en: station.name_en,
                state: order.state,
                current_stage: order.current_stage,
                promised_at: order.promised_at,
                received_at: order.received_at,
                bill,
            });
        }
    }
    out.sort_by_key(|o| (o.state != "open", std::cmp::Reverse(o.received_at)));
    out.truncate(LIMIT);
    Ok(out)
}
