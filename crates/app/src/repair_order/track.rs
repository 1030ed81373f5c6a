//! The order as its owner sees it on the transparent-workshop link (掌上车间): every
//! stage with the technicians' notes, the ETA and the estimate lines with operation
//! names. No sign-in: the unguessable token is the capability.

use super::view::{self, StageView};
use crate::{App, AppResult};
use serde::Serialize;
use store::estimate::EstimateLineRow;

/// An estimate line as the owner sees it.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerLine {
    /// Line number.
    pub line_no: i64,
    /// `labour` or `part`.
    pub kind: String,
    /// Operation code or part number.
    pub code: String,
    /// Name of the operation or of the part (from the catalogue), when known.
    pub name: Option<String>,
    /// Hours or quantity in hundredths.
    pub hundredths: i64,
    /// Amount before VAT, fen.
    pub amount_fen: i64,
    /// `proposed`, `approved`, `declined`.
    pub decision: String,
    /// Found during repair.
    pub extra: bool,
    /// Work state.
    pub work: String,
}

/// What the owner link shows.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerTrack {
    /// Order id.
    pub order_id: i64,
    /// Brand, model and plate of the car, so the owner knows which car this is.
    pub vehicle: String,
    /// The station's name in the page's language.
    pub station: String,
    /// Estimate total before VAT of the lines not declined, fen.
    pub total_fen: i64,
    /// `open` or `delivered`.
    pub state: String,
    /// Stage in progress.
    pub current_stage: Option<String>,
    /// Every stage with its timing and checkpoints (with the technicians' notes).
    pub stages: Vec<StageView>,
    /// Promised completion, UTC ms.
    pub promised_at: Option<i64>,
    /// Expected hand-over, UTC ms, while open.
    pub eta: Option<i64>,
    /// Estimate lines.
    pub lines: Vec<OwnerLine>,
    /// Lines awaiting the owner's decision.
    pub awaiting: usize,
}

fn owner_line(
    l: EstimateLineRow,
    names: &[store::labour::LabourOperationRow],
    parts: &[store::part::PartRow],
    en: bool,
) -> OwnerLine {
    let pick = |zh: &String, en_name: &String| if en { en_name.clone() } else { zh.clone() };
    // An owner does not read part numbers: the catalogue names the part.
    let name = if l.kind == "labour" {
        names
            .iter()
            .find(|n| n.code == l.code)
            .map(|n| pick(&n.name_zh, &n.name_en))
    } else {
        parts
            .iter()
            .find(|p| p.part_number == l.code)
            .map(|p| pick(&p.name_zh, &p.name_en))
    };
    OwnerLine {
        line_no: l.line_no,
        kind: l.kind,
        code: l.code,
        name,
        hundredths: l.hundredths,
        amount_fen: l.amount_fen,
        decision: l.decision,
        extra: l.extra,
        work: l.work,
    }
}

/// The order behind an owner-link token.
pub async fn owner_track(app: &App, token: &str, en: bool) -> AppResult<OwnerTrack> {
    let v = crate::repair_order::owner_view(app, token).await?;
    let all = &domain::permission::Reach::All;
    let (log, names, parts, order, standard, vehicle, station) = {
        let mut c = crate::conn(app).await?;
        let log = store::event::for_entity(&mut c, view::ENTITY, v.order_id).await?;
        let names = store::labour::list(&mut c).await?;
        let parts = store::part::list(&mut c).await?;
        let order = store::repair_order::get(&mut c, all, v.order_id).await?;
        let standard = crate::stage_standard::by_version(&mut c, order.standard_version).await?;
        let vehicle = store::vehicle::get(&mut c, all, order.vehicle_id).await?;
        let station = store::network::station(&mut c, all, order.station_id).await?;
        (log, names, parts, order, standard, vehicle, station)
    };
    let vehicle = match &vehicle.plate {
        Some(p) => format!("{} {} · {p}", vehicle.brand, vehicle.model),
        None => format!("{} {}", vehicle.brand, vehicle.model),
    };
    let events = view::stage_events(&log);
    let eta = view::order_eta(app, &order, &v.lines, &events, app.clock.now()).await;
    Ok(OwnerTrack {
        order_id: v.order_id,
        vehicle,
        station: if en { station.name_en } else { station.name_zh },
        total_fen: v
            .lines
            .iter()
            .filter(|l| l.decision != "declined")
            .map(|l| l.amount_fen)
            .sum(),
        state: v.state,
        current_stage: v.current_stage,
        stages: view::stages(&standard, &order, &v.timings, &v.checkpoints),
        promised_at: v.promised_at,
        eta,
        awaiting: v.lines.iter().filter(|l| l.decision == "proposed").count(),
        lines: v
            .lines
            .into_iter()
            .map(|l| owner_line(l, &names, &parts, en))
            .collect(),
    })
}
