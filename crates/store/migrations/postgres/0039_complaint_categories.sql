-- Complaint categories as data (issue 10): head office adds a category with its
-- names in both languages, renames it and retires it (a retired category stays on
-- the complaints that have it; no new complaint may choose it). Seeded with the
-- shipped list (SPEC §6). UTC milliseconds.
CREATE TABLE complaint_categories (
    code TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    position INTEGER NOT NULL,
    retired_at BIGINT,
    created_at BIGINT NOT NULL,
    created_by BIGINT NOT NULL
);
INSERT INTO complaint_categories (code, name_zh, name_en, position, created_at, created_by) VALUES
    ('repair_quality', '维修质量', 'Repair quality', 1, 0, 0),
    ('service_attitude', '服务态度', 'Service attitude', 2, 0, 0),
    ('price_dispute', '价格争议', 'Price dispute', 3, 0, 0),
    ('waiting_time', '等待时间', 'Waiting time', 4, 0, 0),
    ('parts_quality', '配件质量', 'Parts quality', 5, 0, 0),
    ('other', '其他', 'Other', 6, 0, 0);
-- The WeChat id of a staff member, when they have given one: escalation notices go
-- by SMS to the phone and by WeChat to this id (issue 10 item 3).
ALTER TABLE staff ADD COLUMN wechat_id TEXT;
