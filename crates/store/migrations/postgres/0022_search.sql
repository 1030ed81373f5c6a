-- Search at network scale (issue 17, finding 15): customers and vehicles found by any
-- fragment of plate, VIN or name, and by the visible last four digits of a
-- phone, without scanning the tables. pg_trgm GIN indexes serve `LIKE '%q%'` for
-- three characters and more; PostgreSQL keeps them in step with every write itself.
-- Shorter searches use prefix indexes ("京A").
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX vehicles_plate_trgm ON vehicles USING gin (plate gin_trgm_ops);
-- The VIN from position 10 (model year, plant, serial): its first nine characters
-- are shared by hundreds of thousands of cars; a whole VIN uses its unique index.
CREATE INDEX vehicles_vin_tail_trgm ON vehicles USING gin (substr(vin, 10) gin_trgm_ops);
CREATE INDEX vehicles_plate_prefix ON vehicles (plate text_pattern_ops);
CREATE INDEX customers_name_trgm ON customers USING gin (name gin_trgm_ops);
CREATE INDEX customers_name_prefix ON customers (name text_pattern_ops);
CREATE INDEX customers_phone_tail ON customers (right(phone, 4));
