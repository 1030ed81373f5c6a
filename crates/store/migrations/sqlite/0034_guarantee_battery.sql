-- The traction battery's capacity-fade promise per model (issue 19 "EV": head office
-- records what each model's 三包凭证 promises) and the battery checks measured at
-- stations (state of health, tenths of a per cent of the rated capacity). Dates as
-- YYYY-MM-DD, instants UTC milliseconds.
CREATE TABLE guarantee_fade_promises (
    model TEXT PRIMARY KEY,
    min_share_permille INTEGER NOT NULL,
    years INTEGER NOT NULL,
    km INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by INTEGER NOT NULL
);
CREATE TABLE guarantee_battery_checks (
    id INTEGER PRIMARY KEY,
    vehicle_id INTEGER NOT NULL REFERENCES vehicles(id),
    station_id INTEGER REFERENCES stations(id),
    checked_on TEXT NOT NULL,
    odometer_km INTEGER NOT NULL,
    share_permille INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    recorded_by INTEGER NOT NULL
);
CREATE INDEX guarantee_battery_checks_vehicle ON guarantee_battery_checks (vehicle_id, checked_on);
