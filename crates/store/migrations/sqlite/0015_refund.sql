-- Refunds of a bill: per line (credited on the bill) or of money received beyond
-- its total (a second provider payment), through the provider for online payments
-- or in cash or by transfer at the desk. Rows are inserted, then only move from
-- pending to succeeded or failed. Instants are UTC milliseconds.
CREATE TABLE refunds (
    id INTEGER PRIMARY KEY,
    bill_id INTEGER NOT NULL REFERENCES bills(id),
    refund_ref TEXT NOT NULL UNIQUE,
    payment_id INTEGER REFERENCES payments(id),
    method TEXT NOT NULL,
    provider TEXT,
    provider_refund_ref TEXT,
    amount_fen INTEGER NOT NULL,
    excess_fen INTEGER NOT NULL,
    lines TEXT NOT NULL,
    reason TEXT NOT NULL,
    state TEXT NOT NULL,
    requested_by_role TEXT NOT NULL,
    requested_by_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    settled_at INTEGER
);
CREATE INDEX refunds_bill ON refunds(bill_id, id);

-- Credited on the bill by line refunds (pending or succeeded), fen.
ALTER TABLE bills ADD COLUMN refunded_fen INTEGER NOT NULL DEFAULT 0;

-- The sandbox provider's own side: every transaction its checkout took or refused,
-- as a real provider keeps them. Its order query answers from here and its daily
-- statement file is drawn from here. Only the sandbox writes it.
CREATE TABLE sandbox_transactions (
    id INTEGER PRIMARY KEY,
    payment_ref TEXT NOT NULL,
    provider_ref TEXT NOT NULL UNIQUE,
    amount_fen INTEGER NOT NULL,
    status TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX sandbox_transactions_ref ON sandbox_transactions(payment_ref, id);
CREATE INDEX sandbox_transactions_at ON sandbox_transactions(at);
