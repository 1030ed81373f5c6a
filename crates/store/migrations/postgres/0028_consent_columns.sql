-- The consent ledger (0017) is the only source of consent: customers.consent_service
-- and customers.consent_marketing are DEPRECATED. Nothing reads them any more (the
-- customer list, page, form, API and CSV export read the latest ledger entry per
-- purpose); they are still written with each entry for one release, so an older app
-- server sharing the database during a rolling upgrade keeps reading what it expects,
-- and will be dropped after that.
--
-- A customer the ledger has no entry for in a purpose the flags spoke for keeps the
-- flag's meaning as a `legacy` entry without evidence, as 0017 did for everyone: the
-- service flag covered service contact and surveys, the marketing flag marketing.
INSERT INTO consent_entries (customer_id, purpose, granted, source, evidence, actor_kind, actor_role, actor_id, at)
SELECT c.id, 'service_contact', c.consent_service, 'legacy', '', 'system', 'system', 0, c.created_at FROM customers c
WHERE NOT EXISTS (SELECT 1 FROM consent_entries e WHERE e.customer_id = c.id AND e.purpose = 'service_contact') ORDER BY c.id;
INSERT INTO consent_entries (customer_id, purpose, granted, source, evidence, actor_kind, actor_role, actor_id, at)
SELECT c.id, 'surveys', c.consent_service, 'legacy', '', 'system', 'system', 0, c.created_at FROM customers c
WHERE NOT EXISTS (SELECT 1 FROM consent_entries e WHERE e.customer_id = c.id AND e.purpose = 'surveys') ORDER BY c.id;
INSERT INTO consent_entries (customer_id, purpose, granted, source, evidence, actor_kind, actor_role, actor_id, at)
SELECT c.id, 'marketing', c.consent_marketing, 'legacy', '', 'system', 'system', 0, c.created_at FROM customers c
WHERE NOT EXISTS (SELECT 1 FROM consent_entries e WHERE e.customer_id = c.id AND e.purpose = 'marketing') ORDER BY c.id;
COMMENT ON COLUMN customers.consent_service IS 'DEPRECATED (0028): read consent_entries; written for one release only';
COMMENT ON COLUMN customers.consent_marketing IS 'DEPRECATED (0028): read consent_entries; written for one release only';
