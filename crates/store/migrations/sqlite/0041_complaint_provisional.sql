-- SPEC §6: a year without a loaded official holiday plan is not an ordinary
-- Monday–Friday year. A business-hours deadline that reaches past the end of the
-- loaded plan is computed on the regular week and marked provisional (per stage, and
-- for the queue's next deadline) until a plan is loaded, when it is recomputed.
ALTER TABLE complaint_stages ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;
ALTER TABLE complaints ADD COLUMN deadline_provisional INTEGER NOT NULL DEFAULT 0;
-- Administrators are warned once per plan end, from 60 days before it: one row per
-- end date the warning was given for (the timer's own idempotency).
CREATE TABLE holiday_plan_warnings (
    plan_end TEXT PRIMARY KEY,
    warned_at INTEGER NOT NULL
);
