//! A pick-up's steps as its page shows them: the drivers and the appointment a step
//! names are shown by name and time, never by their numbers.

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

/// The timeline rows, newest first: each driver by `name_of`, the appointment by its
/// time (`appointment_at`), who took the step from `people`.
pub(super) fn timeline(
    lang: Lang,
    history: &[app::Event],
    name_of: &dyn Fn(i64) -> String,
    appointment_at: &str,
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
                if map.get("appointment_id").is_some_and(|a| !a.is_null()) {
                    map.insert("appointment_id".into(), appointment_at.into());
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
