-- The consent ledger (issue 21): per customer and purpose, append-only; the current
-- state of a purpose is its latest entry. The customers' two yes/no flags stay as a
-- projection of the latest service-contact and marketing entries (older code reads
-- them); the ledger is what outbound messages check at send time.
CREATE TABLE consent_entries (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    purpose TEXT NOT NULL,
    granted INTEGER NOT NULL,
    source TEXT NOT NULL,
    evidence TEXT NOT NULL DEFAULT '',
    actor_kind TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    actor_id INTEGER NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX consent_customer ON consent_entries(customer_id, purpose, id);
-- History is never rewritten.
CREATE TRIGGER consent_entries_append_only BEFORE UPDATE ON consent_entries
BEGIN
    SELECT RAISE(ABORT, 'consent entries are append-only');
END;
-- The old flags become entries with source `legacy`: nobody recorded how they were
-- given, so there is no evidence. The service flag covered reminders, progress and
-- surveys, so it is carried into both of those purposes.
INSERT INTO consent_entries (customer_id, purpose, granted, source, evidence, actor_kind, actor_role, actor_id, at)
SELECT id, 'service_contact', consent_service, 'legacy', '', 'system', 'system', 0, created_at FROM customers;
INSERT INTO consent_entries (customer_id, purpose, granted, source, evidence, actor_kind, actor_role, actor_id, at)
SELECT id, 'surveys', consent_service, 'legacy', '', 'system', 'system', 0, created_at FROM customers;
INSERT INTO consent_entries (customer_id, purpose, granted, source, evidence, actor_kind, actor_role, actor_id, at)
SELECT id, 'marketing', consent_marketing, 'legacy', '', 'system', 'system', 0, created_at FROM customers;
-- A message held back because the customer did not consent is `suppressed`, with why.
ALTER TABLE outbox ADD COLUMN suppressed_reason TEXT;
-- Scheduling the follow-up call (回访) at delivery skips a customer whose latest
-- survey entry is not a yes.
DROP TRIGGER follow_up_on_delivery;
CREATE TRIGGER follow_up_on_delivery AFTER UPDATE OF delivered_at ON repair_orders
WHEN OLD.delivered_at IS NULL AND NEW.delivered_at IS NOT NULL
 AND COALESCE((SELECT ce.granted FROM consent_entries ce WHERE ce.customer_id = NEW.customer_id
                AND ce.purpose = 'surveys' ORDER BY ce.id DESC LIMIT 1), 0) = 1
BEGIN
    INSERT OR IGNORE INTO follow_ups (repair_order_id, station_id, customer_id, delivered_at, due_at, state, created_at)
    VALUES (NEW.id, NEW.station_id, NEW.customer_id, NEW.delivered_at, NEW.delivered_at + 259200000, 'open', NEW.updated_at);
    INSERT INTO events (at, actor_role, actor_id, entity, entity_id, kind, data, reason)
    SELECT NEW.updated_at, 'system', 0, 'follow_up', f.id, 'created',
           json_object('repair_order_id', NEW.id, 'due_at', f.due_at), NULL
    FROM follow_ups f
    WHERE f.repair_order_id = NEW.id
      AND NOT EXISTS (SELECT 1 FROM events e WHERE e.entity = 'follow_up' AND e.entity_id = f.id AND e.kind = 'created');
END;
