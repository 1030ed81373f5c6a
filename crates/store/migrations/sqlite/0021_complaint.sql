-- Complaints (issue 10, SPEC §6): the complaint with its clock summary (next deadline
-- indexed for the queue), every event, the service-level policies by version, the
-- clock's segments and pauses, the stages met, the three zeros, the follow-up,
-- goodwill, attachment metadata and the notices of warnings and escalations (the
-- station manager's inbox; unique per step so each is sent once). UTC milliseconds.
CREATE TABLE complaint_policies (
    id INTEGER PRIMARY KEY,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    version INTEGER NOT NULL,
    mode TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by INTEGER NOT NULL,
    UNIQUE (category, severity, version)
);
CREATE TABLE complaints (
    id INTEGER PRIMARY KEY,
    station_id INTEGER NOT NULL REFERENCES stations(id),
    region_id INTEGER NOT NULL REFERENCES regions(id),
    customer_id INTEGER REFERENCES customers(id),
    vehicle_id INTEGER REFERENCES vehicles(id),
    repair_order_id INTEGER,
    channel TEXT NOT NULL,
    source_link TEXT,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    urgent_reason TEXT,
    description TEXT NOT NULL,
    state TEXT NOT NULL,
    policy_id INTEGER NOT NULL REFERENCES complaint_policies(id),
    clock_no INTEGER NOT NULL,
    clock_started_at INTEGER NOT NULL,
    analysed_at INTEGER,
    responsibility TEXT,
    cause TEXT,
    paused_since INTEGER,
    next_deadline_at INTEGER,
    next_stage TEXT,
    breached INTEGER NOT NULL DEFAULT 0,
    reopened INTEGER NOT NULL DEFAULT 0,
    received_at INTEGER NOT NULL,
    closed_at INTEGER,
    created_by INTEGER NOT NULL
);
CREATE INDEX complaints_deadline ON complaints(next_deadline_at, id);
CREATE INDEX complaints_station_deadline ON complaints(station_id, next_deadline_at, id);
CREATE INDEX complaints_region_deadline ON complaints(region_id, next_deadline_at, id);
CREATE INDEX complaints_vehicle ON complaints(vehicle_id, received_at);
CREATE INDEX complaints_customer ON complaints(customer_id, id);
CREATE INDEX complaints_received ON complaints(received_at);
CREATE TABLE complaint_events (
    id INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints(id),
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    actor_id INTEGER NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX complaint_events_complaint ON complaint_events(complaint_id, id);
CREATE TABLE complaint_segments (
    id INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints(id),
    clock_no INTEGER NOT NULL,
    from_at INTEGER NOT NULL,
    station_id INTEGER NOT NULL,
    mode TEXT NOT NULL
);
CREATE INDEX complaint_segments_complaint ON complaint_segments(complaint_id, clock_no, from_at);
CREATE TABLE complaint_pauses (
    id INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints(id),
    clock_no INTEGER NOT NULL,
    from_at INTEGER NOT NULL,
    to_at INTEGER
);
CREATE INDEX complaint_pauses_complaint ON complaint_pauses(complaint_id, clock_no, from_at);
CREATE TABLE complaint_stages (
    complaint_id INTEGER NOT NULL REFERENCES complaints(id),
    clock_no INTEGER NOT NULL,
    stage TEXT NOT NULL,
    deadline_at INTEGER,
    met_at INTEGER,
    PRIMARY KEY (complaint_id, clock_no, stage)
);
CREATE TABLE complaint_zeros (
    complaint_id INTEGER NOT NULL REFERENCES complaints(id),
    clock_no INTEGER NOT NULL,
    zero TEXT NOT NULL,
    status TEXT NOT NULL,
    text TEXT NOT NULL,
    at INTEGER NOT NULL,
    by_id INTEGER NOT NULL,
    PRIMARY KEY (complaint_id, clock_no, zero)
);
CREATE TABLE complaint_follow_ups (
    complaint_id INTEGER NOT NULL REFERENCES complaints(id),
    clock_no INTEGER NOT NULL,
    satisfaction INTEGER NOT NULL,
    accepts_closure INTEGER NOT NULL,
    note TEXT NOT NULL,
    at INTEGER NOT NULL,
    by_id INTEGER NOT NULL,
    PRIMARY KEY (complaint_id, clock_no)
);
CREATE TABLE complaint_goodwill (
    id INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints(id),
    kind TEXT NOT NULL,
    value_fen INTEGER NOT NULL,
    note TEXT NOT NULL,
    approved_by INTEGER NOT NULL,
    approved_role TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX complaint_goodwill_complaint ON complaint_goodwill(complaint_id);
CREATE TABLE complaint_attachments (
    id INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    at INTEGER NOT NULL,
    by_id INTEGER NOT NULL
);
CREATE INDEX complaint_attachments_complaint ON complaint_attachments(complaint_id);
CREATE TABLE complaint_notices (
    id INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints(id),
    clock_no INTEGER NOT NULL,
    stage TEXT NOT NULL,
    step TEXT NOT NULL,
    level TEXT NOT NULL,
    station_id INTEGER NOT NULL,
    region_id INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    read_at INTEGER,
    UNIQUE (complaint_id, clock_no, stage, step)
);
CREATE INDEX complaint_notices_station ON complaint_notices(station_id, level, id);
CREATE INDEX complaint_notices_region ON complaint_notices(region_id, level, id);
