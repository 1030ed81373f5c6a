-- Alerts of dead letters (issue 22, finding 10): a job or timer that gave up after its
-- last attempt raises an alert for the administrators. One alert stays open per queue
-- and kind, counting the dead letters that joined it, until an administrator
-- acknowledges it; the next dead letter of that kind opens a new one. So an outage of
-- the SMS gateway is one alert saying how many messages died, not a thousand.
CREATE TABLE job_alerts (
    id INTEGER PRIMARY KEY,
    queue TEXT NOT NULL,
    kind TEXT NOT NULL,
    dead_count INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    first_at INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by INTEGER
);
CREATE UNIQUE INDEX job_alerts_open ON job_alerts(queue, kind) WHERE acknowledged_at IS NULL;
