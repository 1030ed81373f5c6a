-- The payment-notice ledger: every notice a provider posts to the callback is kept,
-- whatever its verdict, and never updated or deleted (an append-only record a bank
-- or a regulator can reconcile against). Instants are UTC milliseconds.
CREATE TABLE payment_notices (
    id INTEGER PRIMARY KEY,
    received_at INTEGER NOT NULL,
    provider TEXT,
    payment_ref TEXT,
    bill_id INTEGER REFERENCES bills(id),
    raw_body TEXT NOT NULL,
    signature TEXT,
    client_addr TEXT,
    verdict TEXT NOT NULL
);
CREATE INDEX payment_notices_bill ON payment_notices(bill_id, id);
CREATE INDEX payment_notices_verdict ON payment_notices(verdict, id);

-- One open provider order per bill, kept by the database: at most one pending online
-- payment per bill, so two starts at the same moment cannot both leave one open.
CREATE UNIQUE INDEX payments_one_pending_online ON payments(bill_id)
    WHERE state = 'pending' AND method = 'online';

-- A bill that got money it no longer expected (a paid notice after a failed, closed
-- or cancelled payment) is flagged for the cashier, with what is to be refunded.
ALTER TABLE bills ADD COLUMN needs_reconciliation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bills ADD COLUMN refund_fen INTEGER NOT NULL DEFAULT 0;
