-- Notice nonces a provider has used (WeChat Pay's `Wechatpay-Nonce`): a nonce seen
-- twice within the signature window is a replay. Rows older than a day are purged
-- by the nightly reconciliation job. Instants are UTC milliseconds.
CREATE TABLE provider_nonces (
    provider TEXT NOT NULL,
    nonce TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (provider, nonce)
);
CREATE INDEX provider_nonces_at ON provider_nonces(at);

-- Which provider each sandbox transaction played (the sandbox plays the generic
-- sandbox provider, WeChat Pay and Alipay), so each provider's statement file
-- holds its own transactions; and the refunds the sandboxes took.
ALTER TABLE sandbox_transactions ADD COLUMN provider TEXT NOT NULL DEFAULT 'sandbox';
ALTER TABLE sandbox_transactions ADD COLUMN kind TEXT NOT NULL DEFAULT 'payment';

-- The nightly reconciliation's result per day and provider (run again, a day's
-- row is replaced): how many statement lines came out each way.
CREATE TABLE reconciliation_runs (
    day TEXT NOT NULL,
    provider TEXT NOT NULL,
    matched BIGINT NOT NULL,
    amount_mismatch BIGINT NOT NULL,
    missing BIGINT NOT NULL,
    extra BIGINT NOT NULL,
    ran_at BIGINT NOT NULL,
    PRIMARY KEY (day, provider)
);
