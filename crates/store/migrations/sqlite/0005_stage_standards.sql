-- Versioned stage standards (SPEC §5): stages, standard times and checkpoints as head
-- office publishes them. `body` is the standard's JSON form; version 1 is built in and
-- only stored once head office republishes. Instants are UTC milliseconds;
-- `published_by` is a staff id.
CREATE TABLE stage_standards (
    version INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    published_by INTEGER NOT NULL
);
