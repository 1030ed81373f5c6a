-- Payment and the end of the service loop: electronic bills and their payments (desk
-- or online through a provider with signed callbacks), the owner's rating, pick-up and
-- delivery (上门取送车) with hand-over photos, owner calendar-feed tokens, and the
-- follow-up call (回访) due within 3 days of delivery.
-- Instants are UTC milliseconds; money is fen.
CREATE TABLE bills (
    id INTEGER PRIMARY KEY,
    repair_order_id INTEGER NOT NULL UNIQUE REFERENCES repair_orders(id),
    station_id INTEGER NOT NULL REFERENCES stations(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    number TEXT NOT NULL UNIQUE,
    lines TEXT NOT NULL,
    vat_bp INTEGER NOT NULL,
    net_fen INTEGER NOT NULL,
    vat_fen INTEGER NOT NULL,
    gross_fen INTEGER NOT NULL,
    paid_fen INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    paid_at INTEGER
);
CREATE INDEX bills_station ON bills(station_id, issued_at);
CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    bill_id INTEGER NOT NULL REFERENCES bills(id),
    payment_ref TEXT NOT NULL UNIQUE,
    method TEXT NOT NULL,
    provider TEXT,
    provider_ref TEXT,
    reference TEXT,
    amount_fen INTEGER NOT NULL,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by_role TEXT NOT NULL,
    created_by_id INTEGER NOT NULL,
    settled_at INTEGER,
    failure TEXT
);
CREATE INDEX payments_bill ON payments(bill_id);
CREATE UNIQUE INDEX payments_provider_ref ON payments(provider, provider_ref);
CREATE TABLE ratings (
    repair_order_id INTEGER PRIMARY KEY REFERENCES repair_orders(id),
    station_id INTEGER NOT NULL REFERENCES stations(id),
    stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    comment TEXT,
    channel TEXT NOT NULL,
    rated_at INTEGER NOT NULL
);
CREATE INDEX ratings_station ON ratings(station_id, rated_at);
CREATE TABLE pickups (
    id INTEGER PRIMARY KEY,
    station_id INTEGER NOT NULL REFERENCES stations(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    vehicle_id INTEGER NOT NULL REFERENCES vehicles(id),
    appointment_id INTEGER REFERENCES appointments(id),
    repair_order_id INTEGER REFERENCES repair_orders(id),
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    window_end INTEGER NOT NULL,
    driver_id INTEGER REFERENCES staff(id),
    state TEXT NOT NULL,
    checklist TEXT NOT NULL DEFAULT '[]',
    confirmed_by TEXT,
    confirmed_at INTEGER,
    signature_ref TEXT,
    cancel_reason TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX pickups_station ON pickups(station_id, window_start);
CREATE TABLE pickup_photos (
    id INTEGER PRIMARY KEY,
    pickup_id INTEGER NOT NULL REFERENCES pickups(id),
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    bytes BLOB NOT NULL,
    uploaded_at INTEGER NOT NULL,
    uploaded_by INTEGER NOT NULL
);
CREATE INDEX pickup_photos_pickup ON pickup_photos(pickup_id, id);
CREATE TABLE calendar_tokens (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX calendar_tokens_customer ON calendar_tokens(customer_id);
CREATE TABLE follow_ups (
    id INTEGER PRIMARY KEY,
    repair_order_id INTEGER NOT NULL UNIQUE REFERENCES repair_orders(id),
    station_id INTEGER NOT NULL REFERENCES stations(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    delivered_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'open',
    done_at INTEGER,
    done_by INTEGER,
    outcome TEXT,
    note TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX follow_ups_due ON follow_ups(state, due_at);
-- A delivered order creates its follow-up task in the same transaction, whatever path
-- delivered it: due 3 days (259,200,000 ms) after the hand-over, with an event.
CREATE TRIGGER follow_up_on_delivery AFTER UPDATE OF delivered_at ON repair_orders
WHEN OLD.delivered_at IS NULL AND NEW.delivered_at IS NOT NULL
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
