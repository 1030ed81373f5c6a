-- The follow-up trigger fires for every update that names `delivered_at`, and every
-- progress update (a stage change) names it. Its function ran only to find that the
-- order was not being delivered: a PL/pgSQL call and an after-trigger event per stage
-- change, a tenth of the server's time for the statement. The condition moves into the
-- trigger's WHEN, which the executor checks without calling the function (SQLite's
-- trigger has had it since 0017).
DROP TRIGGER follow_up_on_delivery ON repair_orders;
CREATE TRIGGER follow_up_on_delivery AFTER UPDATE OF delivered_at ON repair_orders
    FOR EACH ROW
    WHEN (OLD.delivered_at IS NULL AND NEW.delivered_at IS NOT NULL)
    EXECUTE FUNCTION follow_up_on_delivery();
