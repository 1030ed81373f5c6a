-- The service loop: labour catalogue, holiday plan, slot capacity, appointments,
-- repair orders with checkpoints and estimate lines.
-- Instants are UTC milliseconds; money is fen; hours and quantities are hundredths.
CREATE TABLE labour_operations (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    standard_hundredths INTEGER NOT NULL,
    min_grade INTEGER,
    qualification TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE holiday_plan (
    day TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT
);
CREATE TABLE capacity_slots (
    station_id INTEGER NOT NULL REFERENCES stations(id),
    slot_start INTEGER NOT NULL,
    slot_minutes INTEGER NOT NULL,
    bays INTEGER NOT NULL,
    used_bays INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (station_id, slot_start)
);
CREATE TABLE capacity_techs (
    station_id INTEGER NOT NULL,
    slot_start INTEGER NOT NULL,
    class_index INTEGER NOT NULL,
    capacity INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (station_id, slot_start, class_index),
    FOREIGN KEY (station_id, slot_start) REFERENCES capacity_slots(station_id, slot_start)
);
CREATE TABLE appointments (
    id INTEGER PRIMARY KEY,
    station_id INTEGER NOT NULL REFERENCES stations(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    vehicle_id INTEGER NOT NULL REFERENCES vehicles(id),
    service_type TEXT NOT NULL,
    channel TEXT NOT NULL,
    start_at INTEGER NOT NULL,
    duration_minutes INTEGER NOT NULL,
    slot_minutes INTEGER NOT NULL,
    slot_count INTEGER NOT NULL,
    tech_class INTEGER NOT NULL,
    operation_codes TEXT NOT NULL,
    concern TEXT,
    state TEXT NOT NULL,
    reschedules INTEGER NOT NULL DEFAULT 0,
    checked_in_at INTEGER,
    repair_order_id INTEGER,
    cancel_reason TEXT,
    closed_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX appointments_station ON appointments(station_id, start_at);
CREATE INDEX appointments_vehicle ON appointments(vehicle_id);
CREATE TABLE repair_orders (
    id INTEGER PRIMARY KEY,
    station_id INTEGER NOT NULL REFERENCES stations(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    vehicle_id INTEGER NOT NULL REFERENCES vehicles(id),
    appointment_id INTEGER REFERENCES appointments(id),
    concern TEXT NOT NULL,
    concern_code TEXT,
    state TEXT NOT NULL,
    current_stage TEXT,
    standard_version INTEGER NOT NULL,
    applicable TEXT NOT NULL DEFAULT '',
    hourly_rate_fen INTEGER NOT NULL,
    vat_bp INTEGER NOT NULL,
    promised_at INTEGER,
    received_at INTEGER NOT NULL,
    delivered_at INTEGER,
    late_minutes INTEGER,
    courtesy_car INTEGER NOT NULL DEFAULT 0,
    comeback_of INTEGER REFERENCES repair_orders(id),
    owner_token_hash TEXT UNIQUE,
    owner_token_revoked_at INTEGER,
    version INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX repair_orders_station ON repair_orders(station_id, delivered_at);
CREATE INDEX repair_orders_vehicle ON repair_orders(vehicle_id, delivered_at);
CREATE INDEX repair_orders_comeback ON repair_orders(comeback_of);
CREATE TABLE repair_order_checkpoints (
    repair_order_id INTEGER NOT NULL REFERENCES repair_orders(id),
    code TEXT NOT NULL,
    stage TEXT NOT NULL,
    checked_at INTEGER NOT NULL,
    checked_by INTEGER NOT NULL,
    note TEXT,
    PRIMARY KEY (repair_order_id, code)
);
CREATE TABLE estimate_lines (
    id INTEGER PRIMARY KEY,
    repair_order_id INTEGER NOT NULL REFERENCES repair_orders(id),
    line_no INTEGER NOT NULL,
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    hundredths INTEGER NOT NULL,
    unit_price_fen INTEGER NOT NULL,
    amount_fen INTEGER NOT NULL,
    decision TEXT NOT NULL,
    decided_by TEXT,
    decided_at INTEGER,
    decision_channel TEXT,
    decision_ip TEXT,
    signature_ref TEXT,
    reoffer_of INTEGER,
    comeback INTEGER NOT NULL DEFAULT 0,
    extra INTEGER NOT NULL DEFAULT 0,
    work TEXT NOT NULL DEFAULT 'not_started',
    done INTEGER NOT NULL DEFAULT 0,
    technician_id INTEGER REFERENCES staff(id),
    created_at INTEGER NOT NULL,
    UNIQUE (repair_order_id, line_no)
);
