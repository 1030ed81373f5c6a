-- Complaint attachments keep their file (issue 10): the checked bytes in the database
-- with their SHA-256, as the pick-up and audit photos are, and the uploader's role
-- (`owner` for the owner's phone page, whose id is then a customer's). Rows recorded
-- before this step hold metadata only: no bytes, nothing to serve.
ALTER TABLE complaint_attachments ADD COLUMN sha256 TEXT;
ALTER TABLE complaint_attachments ADD COLUMN bytes BLOB;
ALTER TABLE complaint_attachments ADD COLUMN by_role TEXT NOT NULL DEFAULT '';
-- The part a complaint is about, when the analysis names one (a number of the parts
-- catalogue, checked when it is recorded): the analysis' "by part" dimension.
ALTER TABLE complaints ADD COLUMN part_number TEXT;
