//! The workshop board (`/console/board`): one column per stage with its count, cards
//! by plate, model, customer, advisor, technicians and promised time, overruns in red,
//! filtered by advisor and technician (searchable selects). Columns scroll sideways
//! inside the board on a tablet, the page itself never does.

use super::page::stage_label;
use crate::AppState;
use crate::console::appointment::pick_station;
use crate::console::chrome::{Chrome, show_time};
use crate::console::form::{error_page, render, t};
use crate::console::select::SearchSelect;
use crate::console::session::{ConsoleUser, grant};
use crate::i18n::Lang;
use app::AppError;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::permission::Action;
use std::collections::HashMap;

/// One card.
struct Card {
    href: String,
    plate: String,
    model: String,
    customer: String,
    advisor: String,
    technicians: String,
    promised: String,
    elapsed: String,
    overrun: bool,
    awaiting: usize,
    /// The courtesy-car duty (三包 Art 21) runs for this order: day 6 of a quality repair.
    courtesy_car: bool,
}

/// One column.
struct Column {
    stage: String,
    label: String,
    cards: Vec<Card>,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    chrome: Chrome,
    title: String,
    station_select: Option<SearchSelect>,
    station_id: i64,
    advisor: SearchSelect,
    technician: SearchSelect,
    new_href: Option<String>,
    columns: Vec<Column>,
    total: usize,
}

fn staff_select(
    lang: Lang,
    name: &str,
    label_key: &str,
    list: &[(i64, String)],
    chosen: Option<i64>,
) -> SearchSelect {
    SearchSelect {
        name: name.into(),
        label: t(lang, label_key),
        hint: t(lang, "select.filter"),
        options: list
            .iter()
            .map(|(id, n)| (id.to_string(), n.clone()))
            .collect(),
        selected: chosen.map(|c| c.to_string()).unwrap_or_default(),
        empty: Some(t(lang, "board.all")),
        submit_on_change: true,
    }
}

/// `GET /console/board?station=&advisor=&technician=`.
pub async fn board(
    State(s): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = user.lang;
    let chrome = user
        .chrome("board")
        .crumb("/console/board", t(lang, "svc.board"));
    let g = match grant(&user, Action::RepairOrderRead) {
        Ok(g) => g,
        Err(e) => return error_page(chrome, &e),
    };
    let id = |k: &str| q.get(k).and_then(|v| v.trim().parse::<i64>().ok());
    // The station picker lists the stations of appointments in reach (the same set).
    let (station_select, station) = match grant(&user, Action::AppointmentRead) {
        Ok(ag) => pick_station(&s, &user, &ag, id("station")).await,
        Err(_) => (None, id("station")),
    };
    let Some(station) = station else {
        return error_page(chrome, &AppError::NotFound);
    };
    let b = match app::repair_order::board::station_board(
        &s.app,
        &g,
        station,
        id("advisor"),
        id("technician"),
    )
    .await
    {
        Ok(b) => b,
        Err(e) => return error_page(chrome, &e),
    };
    // The courtesy-car duty is the three-guarantees area's rule; a failure to read it
    // leaves the board usable without the marker.
    let open: Vec<(i64, i64)> = b
        .columns
        .iter()
        .flat_map(|c| c.cards.iter().map(|k| (k.item.id, k.item.vehicle_id)))
        .collect();
    let courtesy = app::guarantee::view::courtesy_car_orders(&s.app, &g, &open)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "board: no courtesy-car markers");
            Default::default()
        });
    let columns: Vec<Column> = b
        .columns
        .iter()
        .map(|c| Column {
            stage: c.stage.clone(),
            label: if c.stage == "waiting" {
                t(lang, "board.waiting")
            } else {
                stage_label(lang, &c.stage)
            },
            cards: c
                .cards
                .iter()
                .map(|card| Card {
                    href: format!("/console/orders/{}", card.item.id),
                    plate: card.item.plate.clone().unwrap_or_default(),
                    model: card.model.clone(),
                    customer: card.customer.clone(),
                    advisor: card
                        .advisor
                        .as_ref()
                        .map(|a| a.1.clone())
                        .unwrap_or_default(),
                    technicians: card
                        .technicians
                        .iter()
                        .map(|x| x.1.as_str())
                        .collect::<Vec<_>>()
                        .join("、"),
                    promised: card.item.promised_at.map(show_time).unwrap_or_default(),
                    elapsed: match (card.item.elapsed_minutes, card.item.standard_minutes) {
                        (Some(e), Some(s)) => format!(
                            "{} / {}",
                            super::super::chrome::duration_text(lang, e),
                            super::super::chrome::duration_text(lang, s)
                        ),
                        _ => String::new(),
                    },
                    overrun: card.item.overrun,
                    awaiting: card.item.awaiting_approval,
                    courtesy_car: courtesy.contains(&card.item.id),
                })
                .collect(),
        })
        .collect();
    let page = BoardPage {
        title: t(lang, "svc.board"),
        station_select,
        station_id: station,
        advisor: staff_select(lang, "advisor", "board.advisor", &b.advisors, id("advisor")),
        technician: staff_select(
            lang,
            "technician",
            "board.technician",
            &b.technicians,
            id("technician"),
        ),
        new_href: grant(&user, Action::RepairOrderWrite)
            .is_ok()
            .then(|| format!("/console/orders/new?station={station}")),
        total: columns.iter().map(|c| c.cards.len()).sum(),
        columns,
        chrome,
    };
    render(&page, StatusCode::OK)
}
