-- Search at network scale (issue 17, finding 15): customers and vehicles found by any
-- fragment of plate, VIN, model or name, and by the visible last four digits of a
-- phone, without scanning the tables. Trigram full-text indexes hold the fragments;
-- they are external-content tables kept in step by triggers, so every write of the
-- store, the CSV import and the demo's bulk rows update them in the same transaction.
-- Searches shorter than three characters (a trigram) use the ordinary indexes as
-- prefixes ("京A").
CREATE VIRTUAL TABLE vehicle_search USING fts5(
    plate, vin, model,
    content = 'vehicles', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO vehicle_search(vehicle_search) VALUES ('rebuild');
CREATE TRIGGER vehicles_search_insert AFTER INSERT ON vehicles BEGIN
    INSERT INTO vehicle_search(rowid, plate, vin, model)
    VALUES (new.id, new.plate, new.vin, new.model);
END;
CREATE TRIGGER vehicles_search_delete AFTER DELETE ON vehicles BEGIN
    INSERT INTO vehicle_search(vehicle_search, rowid, plate, vin, model)
    VALUES ('delete', old.id, old.plate, old.vin, old.model);
END;
CREATE TRIGGER vehicles_search_update AFTER UPDATE OF plate, vin, model ON vehicles BEGIN
    INSERT INTO vehicle_search(vehicle_search, rowid, plate, vin, model)
    VALUES ('delete', old.id, old.plate, old.vin, old.model);
    INSERT INTO vehicle_search(rowid, plate, vin, model)
    VALUES (new.id, new.plate, new.vin, new.model);
END;

CREATE VIRTUAL TABLE customer_search USING fts5(
    name,
    content = 'customers', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO customer_search(customer_search) VALUES ('rebuild');
CREATE TRIGGER customers_search_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_search(rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER customers_search_delete AFTER DELETE ON customers BEGIN
    INSERT INTO customer_search(customer_search, rowid, name) VALUES ('delete', old.id, old.name);
END;
CREATE TRIGGER customers_search_update AFTER UPDATE OF name ON customers BEGIN
    INSERT INTO customer_search(customer_search, rowid, name) VALUES ('delete', old.id, old.name);
    INSERT INTO customer_search(rowid, name) VALUES (new.id, new.name);
END;

-- Exact and prefix matches of a name; the phone's visible tail (never the number).
CREATE INDEX customers_name ON customers(name);
CREATE INDEX customers_phone_tail ON customers(substr(phone, -4));
