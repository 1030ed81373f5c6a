//! Sign-in throttling that a stranger cannot turn against a real user.
//!
//! Failures are counted three ways over a sliding [`WINDOW_MS`]: for one account from
//! one address (the pair), from one address across all accounts, and for one
//! account from every address. A flat per-account lock would let anyone lock out
//! anyone by typing wrong passwords for their name, so:
//!
//! - the **pair** waits with a growing delay after [`PAIR_FREE`] failures — only the
//!   guesser's own address is slowed for that account;
//! - an **address** that fails [`ADDRESS_FREE`] times across accounts waits (one
//!   address spraying many user names or phone numbers);
//! - an **account** failing [`ACCOUNT_FREE`] times from everywhere (a distributed
//!   guess) waits only at addresses it has never signed in from: the owner's own
//!   device and address still get in.
//!
//! The same rules serve staff passwords and owners' one-time codes; requests for
//! codes are limited the same way (a stranger asking for codes for an owner's number
//! exhausts only their own allowance).

/// The sliding window over which failures count.
pub const WINDOW_MS: i64 = 60 * 60_000;
/// Failures of one account from one address before that pair waits.
pub const PAIR_FREE: i64 = 5;
/// Failures from one address across accounts before the address waits.
pub const ADDRESS_FREE: i64 = 20;
/// Failures of one account from all addresses before unknown addresses wait.
pub const ACCOUNT_FREE: i64 = 10;
/// How long an unknown address waits once an account is under a distributed guess.
pub const ACCOUNT_WAIT_MS: i64 = 15 * 60_000;

/// What was counted for one attempt, within the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures {
    /// Failures of this account from this address.
    pub pair: i64,
    /// When the pair last failed, UTC ms.
    pub pair_last_at: Option<i64>,
    /// Failures from this address, any account.
    pub address: i64,
    /// When this address last failed, UTC ms.
    pub address_last_at: Option<i64>,
    /// Failures of this account, any address.
    pub account: i64,
    /// When this account last failed, UTC ms.
    pub account_last_at: Option<i64>,
    /// The account has signed in from this address before.
    pub known_address: bool,
}

/// Whether an attempt may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// Check the credentials.
    Allow,
    /// Refuse without checking; try again at this UTC ms.
    WaitUntil(i64),
}

/// The delay after the `n`-th failure over a free allowance: one minute, doubling,
/// at most an hour.
pub fn growing_delay_ms(over: i64) -> i64 {
    if over < 0 {
        return 0;
    }
    (1i64 << over.clamp(0, 6)).min(60) * 60_000
}

/// Decides whether an attempt at `now` may go ahead.
pub fn throttle(f: &Failures, now: i64) -> Throttle {
    let mut until = 0i64;
    if let Some(last) = f.pair_last_at
        && f.pair >= PAIR_FREE
    {
        until = until.max(last + growing_delay_ms(f.pair - PAIR_FREE));
    }
    if let Some(last) = f.address_last_at
        && f.address >= ADDRESS_FREE
    {
        until = until.max(last + growing_delay_ms(f.address - ADDRESS_FREE));
    }
    if let Some(last) = f.account_last_at
        && f.account >= ACCOUNT_FREE
        && !f.known_address
    {
        until = until.max(last + ACCOUNT_WAIT_MS);
    }
    if until > now {
        Throttle::WaitUntil(until)
    } else {
        Throttle::Allow
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 10_000_000;

    #[test]
    fn a_stranger_guessing_does_not_lock_the_owner_out_of_their_own_address() {
        // The stranger's address has failed many times for this account.
        let stranger = Failures {
            pair: 8,
            pair_last_at: Some(NOW - 1_000),
            address: 8,
            address_last_at: Some(NOW - 1_000),
            account: 8,
            account_last_at: Some(NOW - 1_000),
            known_address: false,
        };
        assert!(matches!(throttle(&stranger, NOW), Throttle::WaitUntil(_)));
        // The owner, from their own address: no pair or address failures.
        let owner = Failures {
            account: 8,
            account_last_at: Some(NOW - 1_000),
            ..Failures::default()
        };
        assert_eq!(throttle(&owner, NOW), Throttle::Allow);
    }

    #[test]
    fn a_distributed_guess_slows_unknown_addresses_only() {
        let f = Failures {
            account: ACCOUNT_FREE,
            account_last_at: Some(NOW - 1_000),
            ..Failures::default()
        };
        assert_eq!(
            throttle(&f, NOW),
            Throttle::WaitUntil(NOW - 1_000 + ACCOUNT_WAIT_MS)
        );
        let known = Failures {
            known_address: true,
            ..f
        };
        assert_eq!(throttle(&known, NOW), Throttle::Allow);
    }

    #[test]
    fn one_address_spraying_many_accounts_waits() {
        let f = Failures {
            address: ADDRESS_FREE,
            address_last_at: Some(NOW),
            ..Failures::default()
        };
        assert_eq!(throttle(&f, NOW), Throttle::WaitUntil(NOW + 60_000));
        let f = Failures {
            address: ADDRESS_FREE - 1,
            ..f
        };
        assert_eq!(throttle(&f, NOW), Throttle::Allow);
    }

    #[test]
    fn the_pair_delay_grows_and_is_capped() {
        assert_eq!(growing_delay_ms(-1), 0);
        assert_eq!(growing_delay_ms(0), 60_000);
        assert_eq!(growing_delay_ms(1), 120_000);
        assert_eq!(growing_delay_ms(100), 3_600_000);
    }

    proptest! {
        /// Below every allowance nothing waits; a wait always lies in the future and
        /// never beyond an hour after the latest failure.
        #[test]
        fn waits_are_bounded(pair in 0i64..50, address in 0i64..50, account in 0i64..50,
                             ago in 0i64..7_200_000, known: bool) {
            let last = NOW - ago;
            let f = Failures {
                pair, pair_last_at: Some(last),
                address, address_last_at: Some(last),
                account, account_last_at: Some(last),
                known_address: known,
            };
            match throttle(&f, NOW) {
                Throttle::Allow => {}
                Throttle::WaitUntil(t) => {
                    prop_assert!(t > NOW);
                    prop_assert!(t <= last + 3_600_000);
                    prop_assert!(pair >= PAIR_FREE || address >= ADDRESS_FREE
                        || (account >= ACCOUNT_FREE && !known));
                }
            }
            if pair < PAIR_FREE && address < ADDRESS_FREE && (account < ACCOUNT_FREE || known) {
                prop_assert_eq!(throttle(&f, NOW), Throttle::Allow);
            }
        }
    }
}
