//! The workshop board as a page shows it: the station's open orders in one column per
//! stage (with counts), each card by plate, model, customer, advisor, technicians and
//! promised time, overruns flagged; filtered by advisor and technician. Built on
//! [`super::view::board`], adding the names a person reads instead of ids.

use super::view::{BoardItem, board};
use crate::{App, AppResult, conn};
use domain::permission::{Grant, Reach};
use domain::repair_order::Stage;
use std::collections::{BTreeMap, HashMap};

/// One order on the board.
#[derive(Debug, Clone)]
pub struct BoardCard {
    /// The order as the board use case reads it.
    pub item: BoardItem,
    /// Brand and model.
    pub model: String,
    /// The customer's name as the grant's holder may see it.
    pub customer: String,
    /// The advisor who opened the order (who received the car), by name.
    pub advisor: Option<(i64, String)>,
    /// Technicians assigned to its lines, by name.
    pub technicians: Vec<(i64, String)>,
}

/// One column: a stage code (`waiting` when between stages) and its cards.
#[derive(Debug, Clone)]
pub struct BoardColumn {
    /// Stage code, or `waiting`.
    pub stage: String,
    /// Cards, longest in the shop first.
    pub cards: Vec<BoardCard>,
}

/// The board of a station.
#[derive(Debug, Clone)]
pub struct Board {
    /// One column per stage in order, then the orders waiting between stages.
    pub columns: Vec<BoardColumn>,
    /// Every advisor on the station's open orders: (id, name), by name.
    pub advisors: Vec<(i64, String)>,
    /// Every technician on the station's open orders: (id, name), by name.
    pub technicians: Vec<(i64, String)>,
}

/// The board of a station's open orders filtered by `advisor` and `technician` (staff
/// ids from the board's own lists). Needs `RepairOrderRead` within the station's reach.
pub async fn station_board(
    app: &App,
    grant: &Grant,
    station_id: i64,
    advisor: Option<i64>,
    technician: Option<i64>,
) -> AppResult<Board> {
    let items = board(app, grant, station_id).await?;
    let mut c = conn(app).await?;
    let mut staff: HashMap<i64, Option<String>> = HashMap::new();
    let mut cards = Vec::with_capacity(items.len());
    for item in items {
        // The order's vehicle and customer may be registered at another station; the
        // order itself was read within reach.
        let vehicle = store::vehicle::get(&mut c, &Reach::All, item.vehicle_id)
            .await
            .ok();
        let customer = match &vehicle {
            Some(v) => store::customer::get(&mut c, &Reach::All, v.owner_id)
                .await
                .map(|cu| crate::privacy::customer_view(grant.principal(), cu).name)
                .unwrap_or_default(),
            None => String::new(),
        };
        let opened = store::event::for_entity_of_kinds(
            &mut c,
            super::view::ENTITY,
            item.id,
            &["opened", "received"],
        )
        .await
        .unwrap_or_default();
        let advisor_id = opened
            .iter()
            .find(|e| e.actor_role != "owner" && e.actor_id > 0)
            .map(|e| e.actor_id);
        let mut techs: Vec<i64> = item.lines.iter().filter_map(|l| l.technician_id).collect();
        techs.sort_unstable();
        techs.dedup();
        for id in advisor_id.iter().chain(techs.iter()) {
            if let std::collections::hash_map::Entry::Vacant(slot) = staff.entry(*id) {
                let name = store::people::staff(&mut c, &Reach::All, *id)
                    .await
                    .ok()
                    .map(|s| s.name);
                slot.insert(name);
            }
        }
        let named = |id: &i64| staff.get(id).cloned().flatten().map(|name| (*id, name));
        cards.push(BoardCard {
            model: vehicle
                .as_ref()
                .map(|v| format!("{} {}", v.brand, v.model))
                .unwrap_or_default(),
            customer,
            advisor: advisor_id.as_ref().and_then(named),
            technicians: techs.iter().filter_map(named).collect(),
            item,
        });
    }
    let mut advisors: BTreeMap<i64, String> = BTreeMap::new();
    let mut technicians: BTreeMap<i64, String> = BTreeMap::new();
    for card in &cards {
        if let Some((id, n)) = &card.advisor {
            advisors.insert(*id, n.clone());
        }
        for (id, n) in &card.technicians {
            technicians.insert(*id, n.clone());
        }
    }
    let by_name = |m: BTreeMap<i64, String>| {
        let mut v: Vec<(i64, String)> = m.into_iter().collect();
        v.sort_by(|a, b| a.1.cmp(&b.1));
        v
    };
    let mut columns: Vec<BoardColumn> = Stage::ALL
        .iter()
        .filter(|s| **s != Stage::FollowUp)
        .map(|s| BoardColumn {
            stage: s.code().to_string(),
            cards: vec![],
        })
        .chain(std::iter::once(BoardColumn {
            stage: "waiting".into(),
            cards: vec![],
        }))
        .collect();
    for card in cards {
        if advisor.is_some_and(|a| card.advisor.as_ref().map(|x| x.0) != Some(a)) {
            continue;
        }
        if technician.is_some_and(|t| !card.technicians.iter().any(|x| x.0 == t)) {
            continue;
        }
        let stage = card
            .item
            .current_stage
            .clone()
            .unwrap_or_else(|| "waiting".into());
        if let Some(col) = columns.iter_mut().find(|c| c.stage == stage) {
            col.cards.push(card);
        } else if let Some(col) = columns.last_mut() {
            col.cards.push(card);
        }
    }
    for col in &mut columns {
        col.cards.sort_by_key(|c| c.item.received_at);
    }
    Ok(Board {
        columns,
        advisors: by_name(advisors),
        technicians: by_name(technicians),
    })
}
