-- Short searches within one station (issue 17, finding 15): an advisor's "京A" or a
-- one-character family name is a prefix of the plate or name among that station's
-- rows. With only the network-wide prefix indexes of migration 0022, the search read
-- every matching row of the network to find the station's few; with the station
-- first, it reads the station's matching rows only.
CREATE INDEX vehicles_station_plate ON vehicles(station_id, plate);
CREATE INDEX customers_station_name ON customers(station_id, name);
