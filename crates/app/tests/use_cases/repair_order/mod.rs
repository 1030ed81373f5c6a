//! The service loop end to end on SQLite, and on PostgreSQL when `TEST_DATABASE_URL`
//! is set (a fresh database per test, dropped at the end), one module per concept.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use app::AppSettings;

use crate::common;
use common::Env;

mod booking;
mod comeback;
mod fixture;
mod service_loop;

const PREFIX: &str = "svc";

fn settings() -> AppSettings {
    AppSettings::default()
}

/// One test per backend for each `module::scenario`, named after the scenario.
macro_rules! on_both_backends {
    ($($module:ident :: $name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let env = super::Env::sqlite(super::PREFIX, super::settings()).await;
                super::$module::$name(&env).await;
                env.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(env) = super::Env::postgres(super::PREFIX, super::settings()).await else {
                    eprintln!("TEST_DATABASE_URL not set; skipped");
                    return;
                };
                super::$module::$name(&env).await;
                env.finish().await;
            }
        }
    )*};
}

on_both_backends!(
    booking::concurrent_bookings_never_exceed_capacity,
    booking::holidays_closed_hours_and_the_past_are_refused,
    booking::reschedule_cancel_and_no_show,
    service_loop::full_service_loop,
    comeback::expired_certificate_blocks_assignment,
    comeback::comeback_within_twelve_months_is_linked_and_free,
    comeback::header_names_an_actor_only_in_their_own_role,
);
