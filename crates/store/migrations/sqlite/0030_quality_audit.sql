-- Quality audits (issue 11, SPEC §10): checklist versions (the checkpoints as JSON, a
-- visit keeps the version it was scored on), visits with their answers and scores, the
-- corrective action each failed checkpoint becomes with its events, and the quarterly
-- rating of each depot by its stations. UTC milliseconds; dates as YYYY-MM-DD.
CREATE TABLE audit_checklists (
    id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL UNIQUE,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    checkpoints INTEGER NOT NULL,
    published_at INTEGER NOT NULL,
    published_by INTEGER NOT NULL
);
CREATE TABLE audit_visits (
    id INTEGER PRIMARY KEY,
    station_id INTEGER NOT NULL REFERENCES stations(id),
    region_id INTEGER NOT NULL REFERENCES regions(id),
    checklist_id INTEGER NOT NULL REFERENCES audit_checklists(id),
    kind TEXT NOT NULL,
    auditor_id INTEGER NOT NULL,
    visited_on TEXT NOT NULL,
    state TEXT NOT NULL,
    passed INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    not_applicable INTEGER NOT NULL DEFAULT 0,
    summary TEXT,
    created_at INTEGER NOT NULL,
    submitted_at INTEGER
);
CREATE INDEX audit_visits_station ON audit_visits (station_id, visited_on);
CREATE TABLE audit_answers (
    visit_id INTEGER NOT NULL REFERENCES audit_visits(id),
    code TEXT NOT NULL,
    verdict TEXT NOT NULL,
    finding TEXT,
    PRIMARY KEY (visit_id, code)
);
CREATE TABLE corrective_actions (
    id INTEGER PRIMARY KEY,
    visit_id INTEGER NOT NULL REFERENCES audit_visits(id),
    station_id INTEGER NOT NULL REFERENCES stations(id),
    region_id INTEGER NOT NULL REFERENCES regions(id),
    code TEXT NOT NULL,
    problem TEXT NOT NULL,
    due_on TEXT NOT NULL,
    state TEXT NOT NULL,
    cause TEXT,
    measure TEXT,
    evidence TEXT,
    verify_note TEXT,
    standard_note TEXT,
    overdue INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (visit_id, code)
);
CREATE INDEX corrective_actions_station ON corrective_actions (station_id, state, due_on);
CREATE TABLE corrective_action_events (
    id INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES corrective_actions(id),
    at INTEGER NOT NULL,
    actor_id INTEGER NOT NULL,
    step TEXT NOT NULL,
    note TEXT
);
CREATE INDEX corrective_action_events_action ON corrective_action_events (action_id, id);
CREATE TABLE depot_ratings (
    id INTEGER PRIMARY KEY,
    depot_id INTEGER NOT NULL REFERENCES depots(id),
    station_id INTEGER NOT NULL REFERENCES stations(id),
    quarter TEXT NOT NULL,
    score INTEGER NOT NULL,
    comment TEXT,
    rated_by INTEGER NOT NULL,
    rated_at INTEGER NOT NULL,
    UNIQUE (depot_id, station_id, quarter)
);
