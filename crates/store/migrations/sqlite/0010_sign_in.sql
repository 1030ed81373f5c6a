-- Sign-in attempts for throttling that a stranger cannot turn against a real user
-- (domain::auth): every failed password or code, and every code request, with the
-- account and the client's address; and the addresses an account signed in from.
CREATE TABLE sign_in_attempts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    account TEXT NOT NULL,
    address TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX sign_in_attempts_account ON sign_in_attempts(kind, account, at);
CREATE INDEX sign_in_attempts_address ON sign_in_attempts(kind, address, at);
CREATE TABLE sign_in_known_addresses (
    account TEXT NOT NULL,
    address TEXT NOT NULL,
    last_ok_at INTEGER NOT NULL,
    PRIMARY KEY (account, address)
);
