-- CSV imports (app::import): one row per file (by its SHA-256) and kind, with the
-- last data row whose batch is committed, so a re-run after a crash continues after
-- it and never writes a row twice. state: 'writing' while batches are being written,
-- 'done' when the whole file is in.
CREATE TABLE import_runs (
    id INTEGER PRIMARY KEY,
    file_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    rows_done INTEGER NOT NULL,
    state TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (file_hash, kind)
);
