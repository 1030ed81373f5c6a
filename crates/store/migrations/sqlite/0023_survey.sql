-- Callback surveys (issue 11, SPEC §10): questionnaire versions (the questions as a
-- JSON body, checked by the domain before they are stored), invitations (who, for
-- which station and order, why, where it stands, the one-time link's SHA-256 and its
-- expiry), answers keeping the version they were given on, the monthly sample runs
-- (one row per month: re-running the batch asks nobody twice) and hot alerts (the
-- station's follow-up task, linked to the complaint it may become). UTC milliseconds.
CREATE TABLE survey_questionnaires (
    version INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    published_by INTEGER NOT NULL
);
CREATE TABLE survey_invitations (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    vehicle_id INTEGER REFERENCES vehicles(id),
    repair_order_id INTEGER UNIQUE REFERENCES repair_orders(id),
    station_id INTEGER NOT NULL REFERENCES stations(id),
    region_id INTEGER NOT NULL REFERENCES regions(id),
    reason TEXT NOT NULL,
    sample_month TEXT,
    version INTEGER NOT NULL REFERENCES survey_questionnaires(version),
    state TEXT NOT NULL,
    state_reason TEXT,
    token_hash TEXT UNIQUE,
    expires_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    answered_at INTEGER,
    answered_via TEXT,
    answered_by INTEGER,
    UNIQUE (sample_month, customer_id)
);
CREATE INDEX survey_invitations_station ON survey_invitations(station_id, created_at);
CREATE INDEX survey_invitations_customer ON survey_invitations(customer_id, created_at);
CREATE INDEX survey_invitations_answered ON survey_invitations(answered_at);
CREATE TABLE survey_answers (
    invitation_id INTEGER NOT NULL REFERENCES survey_invitations(id),
    question_key TEXT NOT NULL,
    version INTEGER NOT NULL,
    score INTEGER,
    text TEXT,
    answered_at INTEGER NOT NULL,
    PRIMARY KEY (invitation_id, question_key)
);
CREATE TABLE survey_sample_runs (
    month TEXT PRIMARY KEY,
    drawn INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE survey_alerts (
    id INTEGER PRIMARY KEY,
    invitation_id INTEGER NOT NULL UNIQUE REFERENCES survey_invitations(id),
    station_id INTEGER NOT NULL REFERENCES stations(id),
    region_id INTEGER NOT NULL REFERENCES regions(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    triggers TEXT NOT NULL,
    state TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    escalated_at INTEGER,
    done_at INTEGER,
    done_by INTEGER,
    note TEXT,
    complaint_id INTEGER REFERENCES complaints(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX survey_alerts_station ON survey_alerts(station_id, state, due_at);
CREATE INDEX survey_alerts_customer ON survey_alerts(customer_id);
