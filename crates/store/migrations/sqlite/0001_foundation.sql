-- Foundation: network, people, customers, vehicles, sessions, outbox, events, audit.
-- Instants are UTC milliseconds; money is fen; coordinates are micro-degrees.
CREATE TABLE regions (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL
);
CREATE TABLE stations (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    region_id INTEGER NOT NULL REFERENCES regions(id),
    address TEXT NOT NULL,
    adcode TEXT NOT NULL,
    city TEXT NOT NULL,
    lon_e6 INTEGER NOT NULL,
    lat_e6 INTEGER NOT NULL,
    opening_hours TEXT NOT NULL,
    bays INTEGER NOT NULL,
    capabilities TEXT NOT NULL,
    status TEXT NOT NULL,
    star_rating INTEGER NOT NULL DEFAULT 3,
    labour_rate_fen INTEGER NOT NULL DEFAULT 18000,
    timezone TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    closed_at INTEGER
);
CREATE INDEX stations_region ON stations(region_id);
CREATE TABLE depots (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    region_id INTEGER NOT NULL UNIQUE REFERENCES regions(id),
    address TEXT NOT NULL
);
CREATE TABLE mobile_units (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    station_id INTEGER NOT NULL REFERENCES stations(id),
    plate TEXT NOT NULL,
    lon_e6 INTEGER NOT NULL,
    lat_e6 INTEGER NOT NULL,
    state TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX mobile_units_station ON mobile_units(station_id);
CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    station_id INTEGER REFERENCES stations(id),
    region_id INTEGER REFERENCES regions(id),
    phone TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX staff_station ON staff(station_id);
CREATE INDEX staff_region ON staff(region_id);
CREATE TABLE certificates (
    id INTEGER PRIMARY KEY,
    staff_id INTEGER NOT NULL REFERENCES staff(id),
    credential TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    expires_on TEXT NOT NULL
);
CREATE INDEX certificates_staff ON certificates(staff_id);
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT NOT NULL UNIQUE,
    id_number TEXT,
    station_id INTEGER NOT NULL REFERENCES stations(id),
    channel TEXT NOT NULL,
    quiet_hours TEXT,
    consent_service INTEGER NOT NULL,
    consent_marketing INTEGER NOT NULL,
    club_member INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX customers_station ON customers(station_id, id);
CREATE TABLE vehicles (
    id INTEGER PRIMARY KEY,
    vin TEXT NOT NULL UNIQUE,
    brand TEXT NOT NULL,
    model TEXT NOT NULL,
    model_year INTEGER NOT NULL,
    plate TEXT,
    purchase_date TEXT NOT NULL,
    warranty_start TEXT NOT NULL,
    warranty_end TEXT NOT NULL,
    warranty_km INTEGER NOT NULL,
    is_ev INTEGER NOT NULL,
    owner_id INTEGER NOT NULL REFERENCES customers(id),
    station_id INTEGER NOT NULL REFERENCES stations(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX vehicles_owner ON vehicles(owner_id);
CREATE INDEX vehicles_station ON vehicles(station_id, id);
CREATE INDEX vehicles_plate ON vehicles(plate);
CREATE TABLE ownerships (
    id INTEGER PRIMARY KEY,
    vehicle_id INTEGER NOT NULL REFERENCES vehicles(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    from_at INTEGER NOT NULL,
    to_at INTEGER
);
CREATE INDEX ownerships_vehicle ON ownerships(vehicle_id);
CREATE TABLE odometer_readings (
    id INTEGER PRIMARY KEY,
    vehicle_id INTEGER NOT NULL REFERENCES vehicles(id),
    km INTEGER NOT NULL,
    source TEXT NOT NULL,
    cluster_replaced INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    recorded_by INTEGER
);
CREATE INDEX odometer_vehicle ON odometer_readings(vehicle_id, id);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_role TEXT NOT NULL,
    actor_id INTEGER NOT NULL,
    entity TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX events_entity ON events(entity, entity_id, id);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_role TEXT NOT NULL,
    actor_id INTEGER NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    field TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    principal_role TEXT NOT NULL,
    principal_id INTEGER NOT NULL,
    csrf TEXT NOT NULL,
    lang TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE otp_codes (
    id INTEGER PRIMARY KEY,
    phone TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    used INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX otp_phone ON otp_codes(phone, id);
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    station_id INTEGER REFERENCES stations(id),
    region_id INTEGER REFERENCES regions(id),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    customer_id INTEGER,
    template TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at INTEGER NOT NULL,
    claimed_until INTEGER NOT NULL DEFAULT 0,
    sent_at INTEGER,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox(status, due_at);
CREATE TABLE inbox_messages (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    template TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX inbox_customer ON inbox_messages(customer_id, id);
