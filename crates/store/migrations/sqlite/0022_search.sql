-- Search at network scale (issue 17, finding 15): customers and vehicles found by any
-- fragment of plate, VIN or name, and by the visible last four digits of a
-- phone, without scanning the tables. Trigram full-text indexes hold the fragments;
-- they are external-content tables kept in step by triggers, so every write of the
-- store, the CSV import and the demo's bulk rows update them in the same transaction.
-- Searches shorter than three characters (a trigram) use the ordinary indexes as
-- prefixes ("京A").
-- The VIN is indexed from position 10 (model year, plant, serial): its first nine
-- characters (maker, model, check digit) are shared by hundreds of thousands of cars,
-- so their trigrams would make every search read huge lists; a whole VIN is found
-- by the VIN's own unique index. Contentless: the index stores no copy of the texts.
CREATE VIRTUAL TABLE vehicle_search USING fts5(
    plate, vin_tail,
    content = '', contentless_delete = 1, tokenize = 'trigram'
);
INSERT INTO vehicle_search(rowid, plate, vin_tail) SELECT id, plate, substr(vin, 10) FROM vehicles;
CREATE TRIGGER vehicles_search_insert AFTER INSERT ON vehicles BEGIN
    INSERT INTO vehicle_search(rowid, plate, vin_tail) VALUES (new.id, new.plate, substr(new.vin, 10));
END;
CREATE TRIGGER vehicles_search_delete AFTER DELETE ON vehicles BEGIN
    DELETE FROM vehicle_search WHERE rowid = old.id;
END;
CREATE TRIGGER vehicles_search_update AFTER UPDATE OF plate, vin ON vehicles BEGIN
    DELETE FROM vehicle_search WHERE rowid = old.id;
    INSERT INTO vehicle_search(rowid, plate, vin_tail) VALUES (new.id, new.plate, substr(new.vin, 10));
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
