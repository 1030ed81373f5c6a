//! The follow-up call created at delivery and recorded, on SQLite, and on
//! PostgreSQL when `TEST_DATABASE_URL` is set (a fresh database per test, dropped at
//! the end).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use serde_json::json;

use crate::common;
use crate::desk;
use common::{Env, at};
use desk::*;

on_both_backends!(
    follow_up_created_at_delivery,
    no_follow_up_without_survey_consent,
    a_withdrawal_after_delivery_takes_the_call_off_the_list,
);

/// Records one consent answer for the fixture's customer at the desk.
async fn consent(env: &Env, fx: &Fx, purpose: &str, granted: bool) {
    let input = app::privacy::consent::ConsentInput {
        purpose: json!(purpose),
        granted: json!(granted),
        source: json!("call"),
        evidence: json!("REC-0001"),
    };
    app::privacy::consent::record(
        &env.app,
        &grant(app::privacy::consent::WRITE),
        fx.customer,
        &input,
    )
    .await
    .unwrap();
}

async fn no_follow_up_without_survey_consent(env: &Env) {
    use app::follow_up;
    let fx = fixture(env).await;
    consent(env, &fx, "surveys", false).await;
    let ro = delivered_order(env, &fx).await;
    let e = follow_up::for_order(&env.app, &grant(follow_up::READ), ro)
        .await
        .unwrap_err();
    assert!(matches!(e, app::AppError::NotFound), "no task scheduled");
    assert!(
        follow_up::due(&env.app, &grant(follow_up::READ), None, None)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_withdrawal_after_delivery_takes_the_call_off_the_list(env: &Env) {
    use app::follow_up;
    let fx = fixture(env).await;
    delivered_order(env, &fx).await;
    let due = || async {
        follow_up::due(&env.app, &grant(follow_up::READ), None, None)
            .await
            .unwrap()
            .len()
    };
    assert_eq!(due().await, 1);
    consent(env, &fx, "surveys", false).await;
    assert_eq!(due().await, 0, "withdrawn: not called");
    consent(env, &fx, "surveys", true).await;
    assert_eq!(due().await, 1, "given again: back on the list");
}

async fn follow_up_created_at_delivery(env: &Env) {
    use app::follow_up;
    let fx = fixture(env).await;
    assert!(
        follow_up::due(&env.app, &grant(follow_up::READ), None, None)
            .await
            .unwrap()
            .is_empty()
    );
    let ro = delivered_order(env, &fx).await;
    let delivered = at(2026, 11, 24, 13, 0).as_millisecond();
    let task = follow_up::for_order(&env.app, &grant(follow_up::READ), ro)
        .await
        .unwrap();
    assert_eq!(task.delivered_at, delivered);
    assert_eq!(task.due_at, delivered + 3 * 24 * 3_600_000);
    assert_eq!(task.due_at, delivered + follow_up::DUE_AFTER_MS);
    assert_eq!(
        task.created_at, delivered,
        "created in the delivering transaction"
    );
    assert_eq!(task.state, "open");
    let log = events(env, "follow_up", task.id).await;
    assert_eq!(log, vec!["created".to_string()]);

    let due = follow_up::due(&env.app, &grant(follow_up::READ), Some(fx.station), None)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert!(!due[0].overdue);
    // Not yet due before a cut-off earlier than its due time.
    assert!(
        follow_up::due(&env.app, &grant(follow_up::READ), None, Some(delivered))
            .await
            .unwrap()
            .is_empty()
    );
    env.set(at(2026, 11, 28, 9, 0));
    let due = follow_up::due(&env.app, &grant(follow_up::READ), None, None)
        .await
        .unwrap();
    assert!(due[0].overdue, "past 3 days");

    let e = follow_up::complete(
        &env.app,
        &grant(follow_up::WRITE),
        task.id,
        &follow_up::CallInput {
            outcome: json!("maybe"),
            note: json!(null),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(rule(&e), "follow_up.outcome");
    let call = follow_up::CallInput {
        outcome: json!("reached"),
        note: json!("车主满意"),
    };
    follow_up::complete(&env.app, &grant(follow_up::WRITE), task.id, &call)
        .await
        .unwrap();
    let e = follow_up::complete(&env.app, &grant(follow_up::WRITE), task.id, &call)
        .await
        .unwrap_err();
    assert_eq!(rule(&e), "follow_up.done");
    assert!(
        follow_up::due(&env.app, &grant(follow_up::READ), None, None)
            .await
            .unwrap()
            .is_empty()
    );
}
