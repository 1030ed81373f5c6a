-- PostgreSQL's follow-up trigger gains the WHEN that SQLite's has had since 0017; the
-- numbers of the two backends' migrations stay in step.
SELECT 1;
