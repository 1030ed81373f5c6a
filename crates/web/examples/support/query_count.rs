//! Counts the SQL statements the database driver runs, for the benchmarks' "work
//! done" figures (statements per operation do not depend on how busy the machine
//! is, wall-clock times do). The driver reports every statement as a `tracing` event
//! with target `sqlx::query`; this subscriber counts those events while counting is
//! on and keeps every other event (and the driver's formatting work) off otherwise,
//! so the timed phases pay nothing.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

static ON: AtomicBool = AtomicBool::new(false);
static COUNT: AtomicU64 = AtomicU64::new(0);

const TARGET: &str = "sqlx::query";

struct Counter;

impl Subscriber for Counter {
    fn register_callsite(&self, m: &'static Metadata<'static>) -> Interest {
        if m.target() == TARGET {
            // Asked again at every statement, so counting can be switched on and off.
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        m.target() == TARGET && ON.load(Ordering::Relaxed)
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {
        COUNT.fetch_add(1, Ordering::Relaxed);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// Installs the counter as the process's subscriber (once, before anything logs).
pub fn install() {
    let _ = tracing::subscriber::set_global_default(Counter);
}

/// Counts the statements run while `f` runs (across every task of the process).
pub async fn count<T>(f: impl std::future::Future<Output = T>) -> (u64, T) {
    let before = COUNT.load(Ordering::Relaxed);
    ON.store(true, Ordering::Relaxed);
    let out = f.await;
    ON.store(false, Ordering::Relaxed);
    (COUNT.load(Ordering::Relaxed) - before, out)
}
