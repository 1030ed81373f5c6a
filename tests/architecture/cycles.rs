//! No two source files of a crate import each other, directly or round a circle
//! (issue 9; `docs/architecture.md`, "Files that exist so two others need not know
//! each other"). A file imports another when it names a path that resolves to the
//! other's module: `crate::…`, `super::…`, `self::…`, or a child module by its bare
//! name. A module's own declarations of its children (`mod x;`) are not imports, and
//! neither is a comment (doc links name other modules freely) or the file's
//! `#[cfg(test)]` tail.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// A module path inside a crate (`[]` is the crate root).
type ModPath = Vec<String>;

/// The module path of a source file relative to its crate's `src`.
fn module_of(src: &Path, file: &Path) -> ModPath {
    let rel = file.strip_prefix(src).unwrap_or(file);
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The source without comments and without the `#[cfg(test)]` tail: only what the
/// compiled file names counts.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let code = match line.find("//") {
            // A `//` inside a string (a URL) keeps the line: a path after it in the
            // same line is rare, and missing one only misses an edge.
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// Every path written in `code` (`a::b::c`), as its segments, from its first one.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let bytes = code.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !ident(bytes[i]) || bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        // A path starts at an identifier not preceded by `::` (nor by another
        // identifier character, which the loop already consumed).
        let preceded = i >= 2 && &bytes[i - 2..i] == b"::";
        let mut segs = Vec::new();
        let mut j = i;
        loop {
            let start = j;
            while j < bytes.len() && ident(bytes[j]) {
                j += 1;
            }
            segs.push(code[start..j].to_string());
            if bytes[j..].starts_with(b"::") && j + 2 < bytes.len() && ident(bytes[j + 2]) {
                j += 2;
            } else {
                break;
            }
        }
        if !preceded && segs.len() > 1 {
            out.push(segs);
        }
        i = j.max(i + 1);
    }
    out
}

/// The module a path names, resolved from module `at`: the longest known module
/// along it, or none when the path does not start inside this crate.
fn resolve(at: &ModPath, path: &[String], known: &BTreeSet<ModPath>) -> Option<ModPath> {
    let mut base: ModPath = match path.first().map(String::as_str) {
        Some("crate") => Vec::new(),
        Some("self" | "super") => at.clone(),
        Some(first) => {
            let mut child = at.clone();
            child.push(first.to_string());
            if !known.contains(&child) {
                return None;
            }
            at.clone()
        }
        None => return None,
    };
    let mut rest = path;
    if matches!(path.first().map(String::as_str), Some("crate" | "self")) {
        rest = &path[1..];
    }
    // `super` names the parent of the file's module (for `foo/mod.rs`, the folder's).
    while rest.first().is_some_and(|s| s == "super") {
        base.pop()?;
        rest = &rest[1..];
    }
    for seg in rest {
        let mut next = base.clone();
        next.push(seg.clone());
        if known.contains(&next) {
            base = next;
        } else {
            break;
        }
    }
    Some(base)
}

/// The files of one crate and, for each, the files it imports.
fn imports(src: &Path) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    let mut files = Vec::new();
    super::rust_files(src, &mut files);
    let files: Vec<(ModPath, PathBuf)> = files
        .into_iter()
        .filter(|f| !f.components().any(|c| c.as_os_str() == "bin"))
        .map(|f| (module_of(src, &f), f))
        .collect();
    let known: BTreeSet<ModPath> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut graph = BTreeMap::new();
    for (m, f) in &files {
        let text = fs::read_to_string(f).unwrap_or_default();
        let mut to = BTreeSet::new();
        for p in paths_in(&code_of(&text)) {
            if let Some(target) = resolve(m, &p, &known)
                && &target != m
                // A file naming an item of a module above it (`crate::App`,
                // `super::Loaded`) takes from the module that declares it; the
                // declaring file's own arrows down are its children, not imports.
                && !m.starts_with(&target)
            {
                to.insert(target);
            }
        }
        graph.insert(m.clone(), to);
    }
    graph
}

/// The circles of a graph: each strongly connected set of more than one file.
fn circles(graph: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<ModPath>> {
    // Kosaraju: order by finish time, then walk the reversed graph.
    fn finish(
        n: &ModPath,
        g: &BTreeMap<ModPath, BTreeSet<ModPath>>,
        seen: &mut BTreeSet<ModPath>,
        order: &mut Vec<ModPath>,
    ) {
        if !seen.insert(n.clone()) {
            return;
        }
        for m in g.get(n).into_iter().flatten() {
            finish(m, g, seen, order);
        }
        order.push(n.clone());
    }
    let mut seen = BTreeSet::new();
    let mut order = Vec::new();
    for n in graph.keys() {
        finish(n, graph, &mut seen, &mut order);
    }
    let mut reversed: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for (a, bs) in graph {
        for b in bs {
            reversed.entry(b.clone()).or_default().insert(a.clone());
        }
    }
    let mut taken = BTreeSet::new();
    let mut out = Vec::new();
    for n in order.iter().rev() {
        let mut set = Vec::new();
        let mut stack = vec![n.clone()];
        while let Some(x) = stack.pop() {
            if !taken.insert(x.clone()) {
                continue;
            }
            set.push(x.clone());
            stack.extend(reversed.get(&x).into_iter().flatten().cloned());
        }
        if set.len() > 1 {
            set.sort();
            out.push(set);
        }
    }
    out
}

#[test]
fn no_two_files_import_each_other() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for krate in ["domain", "store", "app", "web", "testkit"] {
        let src = root.join("crates").join(krate).join("src");
        let graph = imports(&src);
        assert!(graph.len() >= 5, "{krate}: no source files read");
        for c in circles(&graph) {
            let names: Vec<String> = c.iter().map(|m| m.join("::")).collect();
            found.push(format!("{krate}: {}", names.join(" ↔ ")));
        }
    }
    assert!(
        found.is_empty(),
        "files importing each other:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_circle_is_found() {
    let m = |s: &str| -> ModPath { s.split("::").map(str::to_string).collect() };
    let known: BTreeSet<ModPath> = [m("a"), m("a::b"), m("a::c"), m("d")].into();
    // `a::b` names `super::c::f`, `a::c` names `crate::a::b::g`: a circle.
    let b = resolve(&m("a::b"), &m("super::c::f"), &known);
    let c = resolve(&m("a::c"), &m("crate::a::b::g"), &known);
    assert_eq!(b, Some(m("a::c")));
    assert_eq!(c, Some(m("a::b")));
    // A path into another crate, or to an item of the module itself, names no file.
    assert_eq!(resolve(&m("a::b"), &m("store::x"), &known), None);
    assert_eq!(resolve(&m("a"), &m("b::f"), &known), Some(m("a::b")));
    let graph: BTreeMap<ModPath, BTreeSet<ModPath>> = [
        (m("a::b"), [m("a::c")].into()),
        (m("a::c"), [m("a::b")].into()),
        (m("d"), [m("a::b")].into()),
    ]
    .into();
    assert_eq!(circles(&graph), vec![vec![m("a::b"), m("a::c")]]);
    // Comments and a test tail name nothing; a path after `::` is not a path start.
    let code = code_of(
        "use x::y; // super::z::w\nfn f() { crate::q::r() }\n#[cfg(test)]\nmod t { use super::s::t; }",
    );
    let paths: Vec<String> = paths_in(&code).iter().map(|p| p.join("::")).collect();
    assert_eq!(paths, ["x::y", "crate::q::r"]);
}
