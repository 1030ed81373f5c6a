//! Station KPIs per month of delivery (SPEC §5): first-time fix, mean repair time and
//! on-time delivery, computed by the domain from the stored orders.

use crate::calendar::station_zone;
use crate::network::expect;
use crate::shared::{refused, ts};
use crate::{App, AppResult, conn};
use domain::kpi::{OrderRecord, Rate, StationMonth, YearMonth};
use domain::permission::{Action, Grant};

/// The KPIs of a station for one month of delivery, from the stored orders (comebacks
/// at any station count against the original). Needs `KpiRead` within reach.
pub async fn station_kpis(
    app: &App,
    grant: &Grant,
    station_id: i64,
    month: YearMonth,
) -> AppResult<StationMonth> {
    expect(grant, Action::KpiRead)?;
    let mut c = conn(app).await?;
    store::network::station(&mut c, grant.reach(), station_id).await?;
    let tz = station_zone(&mut c, station_id).await?;
    let rows = store::repair_order::kpi_rows(&mut c, station_id).await?;
    let records = rows
        .iter()
        .map(|r| {
            Ok(OrderRecord {
                order_id: r.id.to_string(),
                station: r.station_id.to_string(),
                received_at: ts(r.received_at)?,
                delivered_at: r.delivered_at.map(ts).transpose()?,
                promised_at: r.promised_at.map(ts).transpose()?,
                comeback_of: r.comeback_of.map(|x| x.to_string()),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let all = domain::kpi::by_station_and_month(&records, &tz).map_err(refused)?;
    let station = station_id.to_string();
    Ok(all
        .into_iter()
        .find(|m| m.station == station && m.month == month)
        .unwrap_or(StationMonth {
            station,
            month,
            delivered: 0,
            first_time_fix: Rate::default(),
            mean_repair_minutes: None,
            on_time_delivery: Rate::default(),
        }))
}
