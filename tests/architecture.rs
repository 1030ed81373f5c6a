//! Keeps `docs/architecture.md` true to the tree: the table of areas × layers in it is
//! generated from the modules under `crates/*/src`, and the web layer reaches the
//! database only through `app`. On a mismatch the failure prints the table to paste.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

#[path = "architecture/cycles.rs"]
mod cycles;

/// The layers, as the table's columns: (heading, source folder).
const LAYERS: [(&str, &str); 6] = [
    ("domain", "crates/domain/src"),
    ("store", "crates/store/src"),
    ("app", "crates/app/src"),
    ("web api", "crates/web/src/api"),
    ("web console", "crates/web/src/console"),
    ("web owner", "crates/web/src/owner"),
];

/// Modules that are machinery or shared value types, not business areas. Every other
/// module is an area and must be named as in the other layers.
const MACHINERY: [&str; 51] = [
    // domain: value types and the permission model every area uses
    "certification",
    "ids",
    "mask",
    "money",
    "odometer",
    "permission",
    "phone",
    "plate",
    "role",
    "signature",
    "text",
    "violation",
    "vin",
    "wechat_id",
    // the closed code lists and how they state themselves
    "code",
    // store: the connection, migrations, the event log, scoping, sessions, the
    // throw-away databases of the test suites, the multi-row insert helper, the group
    // commit of SQLite's writer
    "audit",
    "bulk",
    "db",
    "group_commit",
    "error",
    "event",
    "migrate",
    "outbox",
    "query",
    "scope",
    "session",
    "settings",
    "transaction",
    "idempotency",
    "test_database",
    // app: sign-in, the clock, input reading and its OpenAPI schemas, notifications,
    // jobs and timers, signing keys, bulk data (`job` and `auth` also name the domain's
    // rules and the console page)
    "auth",
    "clock",
    "demo",
    "export",
    "import",
    "input",
    "job",
    "notify",
    "password",
    "schema",
    "shared",
    "signing",
    // web: the frame, forms, the shared table page, timeline rows, the owner page,
    // the searchable select and status tag, the role homes (composed of areas' views)
    "chrome",
    "form",
    "table",
    "timeline",
    "select",
    "home",
    "error_page",
    "toast",
    // the shared start of the console's create and update handlers
    "post",
];

/// Web modules that are machinery only there (names also used as areas elsewhere are
/// not listed: `page` is the owner pages' shared template).
const WEB_MACHINERY: [&str; 2] = ["page", "file"];

const BEGIN: &str = "<!-- areas:begin -->";
const END: &str = "<!-- areas:end -->";

/// The top-level modules of a folder: `name.rs` files and `name/mod.rs` folders.
fn modules(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if p.is_dir() && p.join("mod.rs").exists() {
            out.insert(name);
        } else if let Some(stem) = name.strip_suffix(".rs")
            && !matches!(stem, "lib" | "mod" | "main")
        {
            out.insert(stem.to_string());
        }
    }
    out
}

/// The table as the document holds it.
fn table(root: &Path) -> String {
    let mut rows: BTreeMap<String, Vec<bool>> = BTreeMap::new();
    for (i, (_, dir)) in LAYERS.iter().enumerate() {
        for m in modules(&root.join(dir)) {
            if MACHINERY.contains(&m.as_str()) || WEB_MACHINERY.contains(&m.as_str()) {
                continue;
            }
            rows.entry(m).or_insert_with(|| vec![false; LAYERS.len()])[i] = true;
        }
    }
    let mut t = String::from("| area |");
    for (h, _) in LAYERS {
        t.push_str(&format!(" {h} |"));
    }
    t.push_str("\n| --- |");
    for _ in LAYERS {
        t.push_str(" :-: |");
    }
    t.push('\n');
    for (area, cells) in rows {
        t.push_str(&format!("| `{area}` |"));
        for c in cells {
            t.push_str(if c { " ✓ |" } else { "   |" });
        }
        t.push('\n');
    }
    t
}

#[test]
fn the_areas_table_matches_the_tree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = fs::read_to_string(root.join("docs/architecture.md")).unwrap_or_default();
    let held = doc
        .split_once(BEGIN)
        .and_then(|(_, rest)| rest.split_once(END))
        .map(|(t, _)| t.trim().to_string())
        .unwrap_or_default();
    let expected = table(root);
    assert!(
        held == expected.trim(),
        "docs/architecture.md's table of areas is out of date; put this between \
         {BEGIN} and {END}:\n\n{expected}"
    );
}

#[test]
fn service_and_payment_are_no_module_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (layer, dir) in LAYERS {
        let found = modules(&root.join(dir));
        for grab_bag in ["service", "payment"] {
            assert!(
                !found.contains(grab_bag),
                "{layer} has a `{grab_bag}` module"
            );
        }
    }
}

/// Every `.rs` file under a folder.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn the_web_layer_reads_through_app_only() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = fs::read_to_string(root.join("crates/web/Cargo.toml")).unwrap_or_default();
    let deps = manifest
        .split_once("[dependencies]")
        .map(|(_, rest)| rest.split("\n[").next().unwrap_or(""))
        .unwrap_or("");
    assert!(
        !deps.lines().any(|l| l.trim_start().starts_with("store")),
        "web's [dependencies] name the store"
    );
    let mut files = vec![];
    rust_files(&root.join("crates/web/src"), &mut files);
    assert!(files.len() > 10, "web sources found");
    for f in files {
        let text = fs::read_to_string(&f).unwrap_or_default();
        assert!(
            !text.contains("store::"),
            "{} names the store; read through a use case in `app`",
            f.display()
        );
        assert!(
            !text.contains(".app.db"),
            "{} reaches the database handle; ask a use case in `app`",
            f.display()
        );
    }
}

/// Files of `crates/app/src` allowed to open a transaction themselves: the runner, and
/// the demo builder, which bulk-loads a fresh database on one dedicated connection
/// before anything else can reach it (no use case, nobody to race).
const OWN_TRANSACTIONS: [&str; 2] = ["transaction.rs", "demo.rs"];

/// Folders whose bulk writers open their own transactions: the demo and the network
/// simulator write a station-month of rows per transaction on a database no server is
/// writing to, so a retry of the runner has nothing to wait for and a failure stops
/// the run.
const BULK_WRITERS: [&str; 2] = ["demo", "simulation"];

/// What opening a transaction by hand looks like in source.
const BARE_BEGINS: [&str; 5] = [
    ".begin()",
    "begin(app)",
    "begin_with(",
    "crate::begin",
    ".commit()",
];

/// Every write of a use case runs through the one transaction runner (issue 20): no
/// file under `crates/app/src` begins (or commits) a transaction itself, and every
/// use-case name handed to the runner is one of `app::transaction::USE_CASES`, so
/// its retries and give-ups are counted in `/metrics` from zero.
#[test]
fn every_app_transaction_runs_through_the_runner() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/app/src");
    let mut files = vec![];
    rust_files(&root, &mut files);
    assert!(files.len() > 20, "app sources found");
    let mut named = BTreeSet::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap_or(f);
        let allowed = OWN_TRANSACTIONS.iter().any(|a| rel == Path::new(a))
            || BULK_WRITERS.iter().any(|b| rel.starts_with(b));
        let text = fs::read_to_string(f).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if !allowed && let Some(b) = BARE_BEGINS.iter().find(|b| code.contains(**b)) {
                panic!(
                    "{}:{} opens a transaction outside the runner (`{b}`); use \
                     crate::transaction::run(app, \"area.use_case\", |mut tx| async move {{ … }})",
                    rel.display(),
                    n + 1
                );
            }
        }
        // The names handed to the runner: `run(app, "x.y"` or `.run("x.y"`.
        for part in text.split("run(").skip(1) {
            let after = part
                .trim_start()
                .strip_prefix("app,")
                .or_else(|| part.trim_start().strip_prefix("&self.ctx.app,"))
                .unwrap_or(part)
                .trim_start();
            if let Some(rest) = after.strip_prefix('"')
                && let Some((name, _)) = rest.split_once('"')
                && name.contains('.')
                && !name.contains(' ')
            {
                named.insert((rel.display().to_string(), name.to_string()));
            }
        }
    }
    assert!(named.len() > 50, "runner calls found: {}", named.len());
    for (file, name) in &named {
        assert!(
            app::transaction::USE_CASES.contains(&name.as_str()),
            "{file} runs use case `{name}`, which is not in app::transaction::USE_CASES"
        );
    }
}
