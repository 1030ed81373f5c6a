-- Photos an auditor attaches to a failed checkpoint of a quality-audit visit (issue
-- 11, SPEC §10), kept like the pick-up hand-over photos: the checked bytes in the
-- database with their type, size and SHA-256. Shown on the visit and on the
-- corrective action of that checkpoint.
CREATE TABLE audit_photos (
    id INTEGER PRIMARY KEY,
    visit_id INTEGER NOT NULL REFERENCES audit_visits(id),
    code TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    bytes BLOB NOT NULL,
    uploaded_at INTEGER NOT NULL,
    uploaded_by INTEGER NOT NULL
);
CREATE INDEX audit_photos_visit ON audit_photos(visit_id, code, id);
