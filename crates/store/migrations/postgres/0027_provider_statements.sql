-- The providers' daily statement files, as the nightly reconciliation downloaded
-- them over HTTP (WeChat Pay's trade bill, Alipay's bill download): the file as
-- received, and the payments read from it, which the day's reconciliation matches
-- against our books (a reference twice in a file is kept twice and summed). Downloading a day again replaces its file and lines.
-- Instants are UTC milliseconds.
CREATE TABLE provider_statements (
    provider TEXT NOT NULL,
    day TEXT NOT NULL,
    raw_text TEXT NOT NULL,
    line_count BIGINT NOT NULL,
    fetched_at BIGINT NOT NULL,
    PRIMARY KEY (provider, day)
);

CREATE TABLE provider_statement_lines (
    provider TEXT NOT NULL,
    day TEXT NOT NULL,
    provider_ref TEXT NOT NULL,
    payment_ref TEXT NOT NULL,
    amount_fen BIGINT NOT NULL
);
CREATE INDEX provider_statement_lines_day ON provider_statement_lines(provider, day);
