//! What every handler shares.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Shared state: the use cases and the metrics renderer.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub app: app::App,
    /// Renders Prometheus metrics, when a recorder is installed.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Whether cookies get the Secure flag (behind TLS).
    pub secure_cookies: bool,
    /// Reverse proxies whose forwarding headers are believed (see [`crate::client`]).
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    /// Recently resolved API tokens.
    pub tokens: TokenCache,
    /// Forms whose first submission runs in this process (repeats wait on them).
    pub forms: crate::idempotency::FormWaits,
    /// The demo server's movable clock (the same one the app reads); `None` outside
    /// `aftersales demo`, and then `POST /api/v1/demo/clock` does not exist.
    pub demo_clock: Option<Arc<app::clock::DemoClock>>,
}

/// Resolved API tokens with the time they were resolved.
pub type TokenCache = Arc<Mutex<HashMap<String, (domain::permission::Principal, i64)>>>;

impl AppState {
    /// State over an app.
    pub fn new(
        app: app::App,
        metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    ) -> AppState {
        AppState {
            app,
            metrics,
            secure_cookies: false,
            trusted_proxies: Arc::default(),
            tokens: TokenCache::default(),
            forms: crate::idempotency::FormWaits::default(),
            demo_clock: None,
        }
    }

    /// Mounts the demo clock route over `clock`, which must be the clock `app` reads.
    pub fn with_demo_clock(mut self, clock: Arc<app::clock::DemoClock>) -> AppState {
        self.demo_clock = Some(clock);
        self
    }

    /// Gives cookies the Secure flag (a deployment behind TLS).
    pub fn with_secure_cookies(mut self, secure: bool) -> AppState {
        self.secure_cookies = secure;
        self
    }

    /// Believes forwarding headers from these proxies only.
    pub fn with_trusted_proxies(mut self, proxies: Vec<ipnet::IpNet>) -> AppState {
        self.trusted_proxies = Arc::new(proxies);
        self
    }
}

/// How long a resolved API token is trusted before it is looked up again, so a revoked
/// token stops working within this time.
const TOKEN_CACHE_MS: i64 = 10_000;

impl AppState {
    /// The principal of an API token, cached briefly: integration calls are the hot path.
    pub async fn token_principal(
        &self,
        token: &str,
    ) -> Result<Option<domain::permission::Principal>, app::AppError> {
        let now = jiff::Timestamp::now().as_millisecond();
        if let Ok(cache) = self.tokens.lock()
            && let Some((p, at)) = cache.get(token)
            && now - at < TOKEN_CACHE_MS
        {
            return Ok(Some(p.clone()));
        }
        let p = app::auth::token_principal(&self.app, token).await?;
        if let (Some(p), Ok(mut cache)) = (&p, self.tokens.lock()) {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(token.to_string(), (p.clone(), now));
        }
        Ok(p)
    }
}
