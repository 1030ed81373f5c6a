-- The counted minutes (the policy's mode, pauses removed) from a stage's origin to
-- the moment it was met: the 1-hour and 2-hour response rates and the mean time per
-- stage of the complaint analysis read them instead of recomputing every clock.
ALTER TABLE complaint_stages ADD COLUMN counted_minutes INTEGER;
