-- Settings head office keeps, one JSON value per key; first the three-guarantees
-- thresholds (三包, SPEC §15) under `three_guarantees`. A missing key means the
-- built-in defaults. Instants are UTC milliseconds; `updated_by` is a staff id.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT
);
