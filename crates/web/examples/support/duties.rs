//! What a running server does beside answering requests, for the benchmarks: its
//! pool opened at start, and the standard job worker (the SQLite checkpoint chain
//! among its timers), with the test server's hand-moved clock following real time so
//! that its timers come due. A benchmark without it would measure a server that
//! connects on the first rush and never checkpoints its log.

use std::time::{Duration, Instant};
use testkit::TestApp;
use tokio::sync::watch;

/// The worker and the clock follower; stopped when dropped.
pub struct Duties {
    stop: watch::Sender<bool>,
}

impl Drop for Duties {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Starts the server's duties on `t`, with its pool opened as `serve` opens its own
/// (`store::db::default_min_connections` of the test server's 16).
pub async fn start(t: &TestApp) -> Duties {
    let db = &t.app.db;
    db.warm(store::db::default_min_connections(db.backend, 16))
        .await
        .expect("open the pool");
    app::job::checkpoint::ensure(&t.app)
        .await
        .expect("arm the checkpoint chain");
    let (stop, stopped) = watch::channel(false);
    let worker =
        app::job::worker::Worker::new(t.app.clone(), app::job::handler::Registry::standard());
    tokio::spawn(worker.run(stopped.clone()));
    let (clock, mut stopped) = (t.clock.clone(), stopped);
    tokio::spawn(async move {
        let mut last = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stopped.changed() => return,
            }
            let now = Instant::now();
            clock.advance_ms((now - last).as_millis() as i64);
            last = now;
        }
    });
    Duties { stop }
}
