-- What the three-guarantees counters (三包, SPEC §15) are computed from, beyond the
-- orders themselves: the order's service type (only quality repairs count, routine
-- maintenance does not), whether the diagnosed concern is a serious safety fault, and
-- which main part (engine, transmission, traction battery, drive motor) a labour
-- operation replaces.
ALTER TABLE repair_orders ADD COLUMN service_type TEXT NOT NULL DEFAULT 'repair';
ALTER TABLE repair_orders ADD COLUMN safety_fault BIGINT NOT NULL DEFAULT 0;
ALTER TABLE labour_operations ADD COLUMN major_part TEXT;
