-- The owner's rights (issue 21): correction and deletion requests, handled by head
-- office against a deadline, and the time an outbox message's body was redacted
-- (retention: a delivered message keeps its kind, time, channel and masked
-- recipient only). Instants are UTC milliseconds.
CREATE TABLE privacy_requests (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    kind TEXT NOT NULL,
    scopes TEXT NOT NULL,
    ground TEXT,
    detail TEXT NOT NULL,
    state TEXT NOT NULL,
    filed_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    escalated_at INTEGER,
    answered_at INTEGER,
    answered_by INTEGER,
    answer TEXT,
    outcome TEXT
);
CREATE INDEX privacy_requests_state ON privacy_requests(state, due_at);
CREATE INDEX privacy_requests_customer ON privacy_requests(customer_id, id);
ALTER TABLE outbox ADD COLUMN redacted_at INTEGER;
CREATE INDEX otp_created ON otp_codes(created_at);
CREATE INDEX sign_in_attempts_at ON sign_in_attempts(at);
CREATE INDEX audit_at ON audit_log(at);
