-- One pick-up (or return) that is not cancelled per appointment and per repair order,
-- kept by the database so two desks scheduling at the same moment cannot both succeed.
CREATE UNIQUE INDEX pickups_one_active_per_appointment ON pickups(appointment_id)
    WHERE state <> 'cancelled' AND appointment_id IS NOT NULL;
CREATE UNIQUE INDEX pickups_one_active_per_order ON pickups(repair_order_id)
    WHERE state <> 'cancelled' AND repair_order_id IS NOT NULL;
