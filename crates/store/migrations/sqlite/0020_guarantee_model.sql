-- What the three-guarantees model of 家用汽车产品修理更换退货责任规定 (2021) needs recorded
-- beyond the order itself. Instants are UTC milliseconds, dates are local YYYY-MM-DD.
--
-- Rights are NOT stored: they are recomputed from this history by the domain, which
-- judges every event on its own date and odometer reading, so a right once arisen is
-- found again on every later reading (it never disappears) and a correction of the
-- history (a wrongly classified line) corrects the rights with it.

-- Art 18: the delivery date, when the car was handed over on another day than the
-- invoice (purchase_date). NULL means the invoice date.
ALTER TABLE vehicles ADD COLUMN delivered_on TEXT;

-- Art 40: one repair's clock. `agreed_at` is when owner and repairer agreed the
-- repair (reception when not set); `completed_at` when the owner was told to collect.
CREATE TABLE guarantee_spans (
    repair_order_id INTEGER PRIMARY KEY REFERENCES repair_orders(id),
    agreed_at INTEGER NOT NULL,
    completed_at INTEGER,
    updated_at INTEGER NOT NULL
);

-- Art 24 para 3 and Art 40: intervals of a repair not counted (battery or special-part
-- transport, rescue travel, the car waiting for its owner), with their evidence.
CREATE TABLE guarantee_excluded (
    id INTEGER PRIMARY KEY,
    repair_order_id INTEGER NOT NULL REFERENCES repair_orders(id),
    kind TEXT NOT NULL,
    from_at INTEGER NOT NULL,
    to_at INTEGER NOT NULL,
    evidence TEXT NOT NULL,
    created_by INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX guarantee_excluded_order ON guarantee_excluded(repair_order_id, from_at);

-- One fault of an order as diagnosed: quality or not, the smallest part repaired (the
-- "same problem"), its system and listed main part, what was done (repair, main part,
-- assembly), serious safety and Art 23 faults, and an Art 32 exclusion with its ground,
-- explanation and evidence.
CREATE TABLE guarantee_lines (
    id INTEGER PRIMARY KEY,
    repair_order_id INTEGER NOT NULL REFERENCES repair_orders(id),
    quality INTEGER NOT NULL,
    part TEXT,
    system TEXT,
    main_part TEXT,
    code TEXT,
    action TEXT NOT NULL,
    serious_safety INTEGER NOT NULL DEFAULT 0,
    art23 TEXT,
    exclusion_reason TEXT,
    exclusion_explanation TEXT,
    exclusion_evidence TEXT,
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX guarantee_lines_order ON guarantee_lines(repair_order_id, id);

-- Arts 25-29: replacement or refund requests citing a right (article + subject), with
-- the answer and perform deadlines on the station's working calendar and the state
-- as the domain keeps it (JSON).
CREATE TABLE guarantee_requests (
    id INTEGER PRIMARY KEY,
    vehicle_id INTEGER NOT NULL REFERENCES vehicles(id),
    station_id INTEGER NOT NULL REFERENCES stations(id),
    kind TEXT NOT NULL,
    article TEXT NOT NULL,
    subject TEXT NOT NULL,
    filed_on TEXT NOT NULL,
    answer_by TEXT NOT NULL,
    state TEXT NOT NULL,
    state_json TEXT NOT NULL,
    channel TEXT NOT NULL,
    usage_charge_fen INTEGER,
    filed_by INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX guarantee_requests_vehicle ON guarantee_requests(vehicle_id, id);
