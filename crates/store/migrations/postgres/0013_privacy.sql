-- Privacy (issue 21): who acted is typed (a person, an integration token, the
-- system), exports keep their row counts, and lookups by actor and time are fast
-- enough for the per-user rate limit of the caller lookup.
ALTER TABLE audit_log ADD COLUMN actor_kind TEXT NOT NULL DEFAULT 'person';
ALTER TABLE audit_log ADD COLUMN row_count BIGINT;
CREATE INDEX audit_actor ON audit_log(actor_role, actor_id, action, at);
