-- Each battery check keeps the capacity-fade promise it is held to (issue 19, "a
-- broken fade promise creates a right"): the model's promise in force when the check
-- was recorded, or the first one head office records after it. A later change of the
-- model's promise does not judge the check again, so a right that arose from it is
-- never taken back. Checks recorded before this migration are held to today's promise.
ALTER TABLE guarantee_battery_checks ADD COLUMN promise_share_permille BIGINT;
ALTER TABLE guarantee_battery_checks ADD COLUMN promise_years BIGINT;
ALTER TABLE guarantee_battery_checks ADD COLUMN promise_km BIGINT;
UPDATE guarantee_battery_checks SET
    promise_share_permille = (SELECT p.min_share_permille FROM guarantee_fade_promises p
        JOIN vehicles v ON v.model = p.model WHERE v.id = guarantee_battery_checks.vehicle_id),
    promise_years = (SELECT p.years FROM guarantee_fade_promises p
        JOIN vehicles v ON v.model = p.model WHERE v.id = guarantee_battery_checks.vehicle_id),
    promise_km = (SELECT p.km FROM guarantee_fade_promises p
        JOIN vehicles v ON v.model = p.model WHERE v.id = guarantee_battery_checks.vehicle_id);
