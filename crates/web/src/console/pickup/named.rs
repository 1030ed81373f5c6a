//! A pick-up's steps as its page shows them: the drivers and the appointment a step
//! and the order a step names are shown by name, time and car, never by their numbers.

use crate::console::timeline::{self, EventView};
use crate::i18n::Lang;
use serde_json::Value;

/// Keys of a step's data that hold a driver's staff id (now, and before a change).
const DRIVER_KEYS: [&str; 2] = ["driver_id", "before"];

/// The staff ids the steps name as drivers, to be looked up by name.
pub(super) fn drivers_named(history: &[app::Event]) -> Vec<i64> {
    history
        .iter()
        .flat_map(|e| DRIVER_KEYS.map(|k| e.data.get(k)))
        .flatten()
        .filter_map(Value::as_i64)
        .collect()
}

/// What a pick-up's steps refer to, by name: the appointment by its time, the repair
/// order by its car (orders have no number of their own).
pub(super) struct Served<'a> {
    /// The appointment's start, as shown.
    pub(super) appointment_at: &'a str,
    /// The order's car: its plate, else its VIN.
    pub(super) order_car: &'a str,
}

/// The timeline rows, newest first: each driver by `name_of`, the appointment and the
/// order by `served`, who took the step from `people`.
pub(super) fn timeline(
    lang: Lang,
    history: &[app::Event],
    name_of: &dyn Fn(i64) -> String,
    served: &Served<'_>,
    people: &[(String, i64, String)],
) -> Vec<(String, String, String, String)> {
    history
        .iter()
        .rev()
        .map(|e| {
            let mut data = e.data.clone();
            if let Some(map) = data.as_object_mut() {
                for key in DRIVER_KEYS {
                    if let Some(d) = map.get(key).and_then(Value::as_i64) {
                        map.insert(key.into(), name_of(d).into());
                    }
                }
                for (key, name) in [
                    ("appointment_id", served.appointment_at),
                    ("repair_order_id", served.order_car),
                ] {
                    if map.get(key).is_some_and(|a| !a.is_null()) {
                        map.insert(key.into(), name.into());
                    }
                }
            }
            let view = EventView {
                data: &data,
                ..EventView::from(e)
            };
            timeline::row_named(lang, "pk.event", &view, people)
        })
        .collect()
}
