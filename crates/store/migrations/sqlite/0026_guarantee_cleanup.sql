-- The thresholds of the earlier three-guarantees model were kept under the setting
-- `three_guarantees` (migration 0004). Since issue 19 the maker's policy is the
-- setting `three_guarantees_policy` and nothing reads the old key: it goes, so no one
-- mistakes it for the policy in force.
DELETE FROM settings WHERE key = 'three_guarantees';
