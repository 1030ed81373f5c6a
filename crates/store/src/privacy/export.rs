//! The owner's complete export: every table that holds something keyed to one
//! customer, read as plain JSON rows. [`SECTIONS`] is the one list; the coverage test
//! (`crates/web/tests/http/privacy_rights_web.rs`) compares it with every table of the
//! schema that has a customer column, on both databases, and fails when one is
//! missing — so a new table keyed to customers cannot be left out silently.

use crate::error::StoreResult;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Column, Row};

/// One section of the export: its name, the tables it covers and the query (with
/// `$1` the customer id; `$2`, where used, is a second copy of it).
#[derive(Debug, Clone, Copy)]
pub struct Section {
    /// Section name in the JSON and the page.
    pub name: &'static str,
    /// The tables this section reads (for the coverage test).
    pub tables: &'static [&'static str],
    /// The query.
    pub sql: &'static str,
}

/// Every section, in the order the page shows them. Secrets are left out on
/// purpose: token hashes (calendar feeds), photo bytes (only their description), and
/// message bodies after delivery (redacted by retention).
pub const SECTIONS: &[Section] = &[
    Section {
        name: "customer",
        tables: &["customers"],
        // No consent columns: the ledger (section `consent`) is the truth since
        // migration 0028; the record's old flags would only contradict it.
        sql: "SELECT id, name, phone, id_number, station_id, channel, quiet_hours, club_member, \
              created_at FROM customers WHERE id = $1",
    },
    Section {
        name: "vehicles",
        tables: &["vehicles"],
        sql: "SELECT * FROM vehicles WHERE owner_id = $1 \
              OR id IN (SELECT vehicle_id FROM ownerships WHERE customer_id = $2) ORDER BY id",
    },
    Section {
        name: "ownerships",
        tables: &["ownerships"],
        sql: "SELECT * FROM ownerships WHERE customer_id = $1 ORDER BY id",
    },
    Section {
        name: "odometer_readings",
        tables: &["odometer_readings"],
        sql: "SELECT o.id, o.vehicle_id, o.km, o.source, o.recorded_at FROM odometer_readings o \
              JOIN vehicles v ON v.id = o.vehicle_id WHERE v.owner_id = $1 ORDER BY o.id",
    },
    Section {
        name: "appointments",
        tables: &["appointments"],
        sql: "SELECT * FROM appointments WHERE customer_id = $1 ORDER BY id",
    },
    Section {
        name: "pickups",
        tables: &["pickups"],
        sql: "SELECT * FROM pickups WHERE customer_id = $1 ORDER BY id",
    },
    Section {
        name: "pickup_photos",
        tables: &["pickup_photos"],
        sql: "SELECT ph.id, ph.pickup_id, ph.content_type, ph.size_bytes, ph.sha256, ph.uploaded_at \
              FROM pickup_photos ph JOIN pickups p ON p.id = ph.pickup_id WHERE p.customer_id = $1 ORDER BY ph.id",
    },
    Section {
        name: "repair_orders",
        tables: &["repair_orders"],
        sql: "SELECT * FROM repair_orders WHERE customer_id = $1 ORDER BY id",
    },
    Section {
        name: "estimate_decisions",
        tables: &["estimate_lines"],
        sql: "SELECT l.* FROM estimate_lines l JOIN repair_orders r ON r.id = l.repair_order_id \
              WHERE r.customer_id = $1 ORDER BY l.id",
    },
    Section {
        name: "bills",
        tables: &["bills"],
        sql: "SELECT * FROM bills WHERE customer_id = $1 ORDER BY id",
    },
    Section {
        name: "payments",
        tables: &["payments"],
        sql: "SELECT p.* FROM payments p JOIN bills b ON b.id = p.bill_id WHERE b.customer_id = $1 ORDER BY p.id",
    },
    Section {
        name: "refunds",
        tables: &["refunds"],
        sql: "SELECT f.* FROM refunds f JOIN bills b ON b.id = f.bill_id WHERE b.customer_id = $1 ORDER BY f.id",
    },
    Section {
        name: "ratings",
        tables: &["ratings"],
        sql: "SELECT g.* FROM ratings g JOIN repair_orders r ON r.id = g.repair_order_id \
              WHERE r.customer_id = $1 ORDER BY g.rated_at",
    },
    Section {
        name: "follow_ups",
        tables: &["follow_ups"],
        sql: "SELECT * FROM follow_ups WHERE customer_id = $1 ORDER BY id",
    },
    Section {
        name: "complaints",
        tables: &["complaints"],
        sql: "SELECT id, station_id, vehicle_id, repair_order_id, channel, category, severity, description, \
              state, responsibility, cause, breached, reopened, received_at, closed_at \
              FROM complaints WHERE customer_id = $1 ORDER BY id",
    },
    Section {
        name: "complaint_history",
        tables: &[
            "complaint_events",
            "complaint_follow_ups",
            "complaint_goodwill",
        ],
        sql: "SELECT e.complaint_id, e.at, e.kind, e.actor_role, e.detail FROM complaint_events e \
              JOIN complaints c ON c.id = e.complaint_id WHERE c.customer_id = $1 ORDER BY e.id",
    },
    Section {
        name: "surveys",
        tables: &["survey_invitations"],
        sql: "SELECT id, station_id, vehicle_id, repair_order_id, reason, sample_month, version, state, \
              state_reason, due_at, created_at, answered_at, answered_via \
              FROM survey_invitations WHERE customer_id = $1 ORDER BY id",
    },
    Section {
        name: "survey_answers",
        tables: &[],
        sql: "SELECT a.invitation_id, a.question_key, a.version, a.score, a.text, a.answered_at \
              FROM survey_answers a JOIN survey_invitations i ON i.id = a.invitation_id \
              WHERE i.customer_id = $1 ORDER BY a.invitation_id, a.question_key",
    },
    Section {
        name: "survey_alerts",
        tables: &["survey_alerts"],
        sql: "SELECT id, invitation_id, station_id, triggers, state, due_at, escalated_at, done_at, note, \
              complaint_id, created_at FROM survey_alerts WHERE customer_id = $1 ORDER BY id",
    },
    Section {
        name: "messages_sent",
        tables: &["outbox"],
        sql: "SELECT id, channel, recipient, template, status, due_at, sent_at, redacted_at, \
              CASE WHEN redacted_at IS NULL AND template <> 'otp' THEN payload ELSE NULL END AS payload \
              FROM outbox WHERE customer_id = $1 ORDER BY id",
    },
    Section {
        name: "inbox",
        tables: &["inbox_messages"],
        sql: "SELECT * FROM inbox_messages WHERE customer_id = $1 ORDER BY id",
    },
    Section {
        name: "calendar_feeds",
        tables: &["calendar_tokens"],
        sql: "SELECT id, created_at, revoked_at FROM calendar_tokens WHERE customer_id = $1 ORDER BY id",
    },
    Section {
        name: "privacy_requests",
        tables: &["privacy_requests"],
        sql: "SELECT id, kind, scopes, ground, detail, state, filed_at, due_at, answered_at, answer, outcome \
              FROM privacy_requests WHERE customer_id = $1 ORDER BY id",
    },
    Section {
        name: "consent",
        tables: &["consent_entries"],
        sql: "SELECT purpose, granted, source, evidence, actor_kind, actor_role, at \
              FROM consent_entries WHERE customer_id = $1 ORDER BY id",
    },
    Section {
        name: "changes",
        tables: &["events"],
        sql: "SELECT at, actor_role, kind, data, reason FROM events WHERE entity = 'customer' AND entity_id = $1 ORDER BY id",
    },
    Section {
        name: "who_viewed",
        tables: &["audit_log"],
        sql: "SELECT at, actor_kind, actor_role, action, entity, field, reason, row_count FROM audit_log \
              WHERE (entity = 'customer' AND entity_id = $1) \
              OR (entity = 'pickup' AND entity_id IN (SELECT id FROM pickups WHERE customer_id = $2)) ORDER BY id",
    },
];

/// Tables that hold a customer's id but are left out of the export, each with why
/// (the coverage test accepts them only from this list).
pub const LEFT_OUT: &[(&str, &str)] = &[
    (
        "sessions",
        "sign-in sessions: hashes of credentials, gone when they expire",
    ),
    (
        "otp_codes",
        "sign-in codes: hashed, purged after use or 10 minutes",
    ),
    (
        "sign_in_attempts",
        "throttling records keyed by the number, kept as network logs",
    ),
    ("idempotency_keys", "hashes of requests, purged after 24 h"),
];

/// Reads one section for one customer: each row as a JSON object of its columns.
pub async fn section(
    conn: &mut AnyConnection,
    s: &Section,
    customer_id: i64,
) -> StoreResult<Vec<serde_json::Value>> {
    let mut q = sqlx::query(s.sql).bind(customer_id);
    if s.sql.contains("$2") {
        q = q.bind(customer_id);
    }
    let rows = q.fetch_all(conn).await?;
    Ok(rows.iter().map(to_json).collect())
}

/// A row as a JSON object: integers, reals and text as they are, NULL as null, bytes
/// left out (the schema keeps no personal data in bytes but photos, not exported).
fn to_json(r: &AnyRow) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (i, c) in r.columns().iter().enumerate() {
        let v = if let Ok(v) = r.try_get::<Option<i64>, _>(i) {
            v.map_or(serde_json::Value::Null, serde_json::Value::from)
        } else if let Ok(v) = r.try_get::<Option<String>, _>(i) {
            v.map_or(serde_json::Value::Null, serde_json::Value::from)
        } else if let Ok(v) = r.try_get::<Option<f64>, _>(i) {
            v.map_or(serde_json::Value::Null, serde_json::Value::from)
        } else if let Ok(v) = r.try_get::<Option<bool>, _>(i) {
            v.map_or(serde_json::Value::Null, serde_json::Value::from)
        } else {
            continue;
        };
        m.insert(c.name().to_string(), v);
    }
    serde_json::Value::Object(m)
}

/// The tables of the schema that have a column naming a customer (`customer_id`,
/// `owner_id`) or are the customers themselves, read from the database's own
/// catalogue (SQLite's `sqlite_master` with `pragma_table_info`, PostgreSQL's
/// `information_schema`).
pub async fn customer_tables(conn: &mut AnyConnection, postgres: bool) -> StoreResult<Vec<String>> {
    let sql = if postgres {
        "SELECT DISTINCT table_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND column_name IN ('customer_id', 'owner_id') ORDER BY 1"
    } else {
        "SELECT DISTINCT m.name FROM sqlite_master m, pragma_table_info(m.name) c \
         WHERE m.type = 'table' AND c.name IN ('customer_id', 'owner_id') ORDER BY 1"
    };
    let mut names: Vec<String> = sqlx::query_scalar(sql).fetch_all(conn).await?;
    names.push("customers".into());
    names.sort();
    names.dedup();
    Ok(names)
}
