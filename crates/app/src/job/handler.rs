//! Handlers: what each kind of job or timer does, registered by kind.
//!
//! A handler has up to three parts. [`Handler::inside`] makes its database changes on
//! the connection of the transaction that also marks the row done, so they happen
//! exactly once: if the handler fails, or the worker lost its claim, they roll back
//! with it. [`Handler::outside`] is for an effect beyond the database (a webhook
//! POST); it runs before that transaction, so it happens at least once, and its
//! receiver drops repeats by the stable key it is sent. [`Handler::failed`] records a
//! failure in the caller's own tables, in the transaction that records it in the queue.

use crate::App;
use sqlx::AnyConnection;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use store::job::Claimed;

/// A boxed future, so handlers can be stored by kind.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a handler part answers: done, or why not (kept as the row's last error).
pub type Outcome = Result<(), String>;

/// What a handler is given besides its row.
#[derive(Clone)]
pub struct Ctx {
    /// The use cases.
    pub app: App,
    /// An HTTP client for outside effects.
    pub http: reqwest::Client,
    /// This worker's name (recorded by handlers that want to show who ran them).
    pub worker: String,
}

/// One kind of job or timer.
pub trait Handler: Send + Sync {
    /// An effect outside the database, run before the completing transaction; at least
    /// once. The default does nothing.
    fn outside<'a>(&'a self, _ctx: &'a Ctx, _job: &'a Claimed) -> BoxFuture<'a, Outcome> {
        Box::pin(async { Ok(()) })
    }

    /// The database changes, made in the transaction that marks the row done.
    fn inside<'a>(
        &'a self,
        ctx: &'a Ctx,
        conn: &'a mut AnyConnection,
        job: &'a Claimed,
    ) -> BoxFuture<'a, Outcome>;

    /// Records a failed attempt in the handler's own tables; `dead` when it was the
    /// last. Runs in the transaction that records the failure. The default does nothing.
    fn failed<'a>(
        &'a self,
        _conn: &'a mut AnyConnection,
        _job: &'a Claimed,
        _error: &'a str,
        _dead: bool,
    ) -> BoxFuture<'a, Result<(), store::StoreError>> {
        Box::pin(async { Ok(()) })
    }

    /// Called, in the retrying transaction, when a person sends a dead or cancelled row
    /// of this kind round again. The default does nothing.
    fn retried<'a>(
        &'a self,
        _conn: &'a mut AnyConnection,
        _payload: &'a str,
    ) -> BoxFuture<'a, Result<(), store::StoreError>> {
        Box::pin(async { Ok(()) })
    }
}

/// The handlers a worker knows, by kind.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Arc<dyn Handler>>,
}

impl Registry {
    /// An empty registry (tests register their own kinds).
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Adds (or replaces) the handler of `kind`.
    pub fn register(&mut self, kind: &str, handler: impl Handler + 'static) -> &mut Registry {
        self.handlers.insert(kind.to_string(), Arc::new(handler));
        self
    }

    /// The handler of `kind`.
    pub fn get(&self, kind: &str) -> Option<Arc<dyn Handler>> {
        self.handlers.get(kind).cloned()
    }

    /// The registered kinds, sorted.
    pub fn kinds(&self) -> Vec<String> {
        let mut k: Vec<String> = self.handlers.keys().cloned().collect();
        k.sort();
        k
    }
}
