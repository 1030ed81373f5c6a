-- Idempotency keys of API requests (IETF httpapi Idempotency-Key draft): one row per
-- caller and key, with the request's fingerprint and, once answered, the response to
-- replay (a form's redirect keeps its Location). status is NULL while the first
-- request is still in flight.
CREATE TABLE idempotency_keys (
    principal TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    content_type TEXT,
    location TEXT,
    body TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (principal, idem_key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys(expires_at);
