-- Jobs and timers: one durable queue for every piece of background work.
-- A job is work retried with backoff until done or dead; a timer fires once at its due
-- time and can be re-armed (its due time moved) until then. Both share the states
-- queued (a timer: armed), running, done (a timer: fired), dead and cancelled.
-- For a running row, due_at is the end of its worker's lease: once it has passed, the
-- worker is presumed gone and another may claim the row. `worker` names the claim, so
-- a worker that lost its lease cannot complete the row.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    dedupe_key TEXT UNIQUE,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    last_error TEXT,
    worker TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX jobs_live ON jobs(due_at) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_state_kind ON jobs(state, kind);

CREATE TABLE timers (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    last_error TEXT,
    worker TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX timers_live ON timers(due_at) WHERE state IN ('queued', 'running');
CREATE INDEX timers_state_kind ON timers(state, kind);

-- What the `job.probe` timer kind writes when it fires: a canary that shows the workers
-- fire timers, each once (no unique key on purpose, so a double firing would show).
CREATE TABLE job_probes (
    id INTEGER PRIMARY KEY,
    probe_key TEXT NOT NULL,
    worker TEXT NOT NULL,
    fired_at INTEGER NOT NULL
);

-- Messages waiting in the outbox are delivered by jobs from now on.
INSERT INTO jobs (kind, dedupe_key, payload, state, due_at, attempts, max_attempts, created_at)
SELECT 'outbox.deliver', 'outbox:' || id, '{"outbox_id":' || id || '}', 'queued', due_at, attempts, 9, due_at
FROM outbox WHERE status = 'pending';
