//! The shape the code keeps (ARCHITECTURE.md): no module of `src/server/`
//! imports one that imports it back, directly or around a loop; the
//! services run SQL through `Db` and `Tx`, not through macros of their own;
//! and no service file grows past what one concern needs.
//!
//! The modules compared are `server::<module>` and `server::service::<module>`;
//! an import counts wherever it is written (a `use`, or a path in the code),
//! unit tests aside.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

const SERVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/server");

/// A service file longer than this is asking to be split by concern.
const MOST_SERVICE_LINES: usize = 600;

#[test]
fn no_module_of_the_server_imports_one_that_imports_it_back() {
    let graph = imports();
    if let Some(cycle) = find_cycle(&graph) {
        panic!("modules import each other around a loop: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_services_define_no_macros_of_their_own() {
    for (file, source) in rust_files(&Path::new(SERVER).join("service")) {
        assert!(!source.contains("macro_rules!"), "{} defines a macro", file.display());
    }
}

#[test]
fn no_service_file_is_longer_than_one_concern_needs() {
    for (file, source) in rust_files(&Path::new(SERVER).join("service")) {
        let lines = source.lines().count();
        assert!(lines <= MOST_SERVICE_LINES, "{} has {lines} lines", file.display());
    }
}

#[test]
fn the_import_reader_sees_use_trees_and_paths_in_code() {
    let source =
        "use super::{a, b::{self, C}, d::e};\npub use list::*;\nfn f() { crate::server::x::y(); super::g::h() }";
    let mut paths = paths_in(source);
    paths.sort();
    let expected =
        ["crate::server::x::y", "list::*", "super::a", "super::b", "super::b::C", "super::d::e", "super::g::h"];
    assert_eq!(paths, expected);
    let graph = BTreeMap::from([
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["c".to_owned()])),
        ("c".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]);
    assert_eq!(find_cycle(&graph), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
}

/// Every `.rs` file under `dir` with its text.
fn rust_files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let source = fs::read_to_string(&path).unwrap();
            files.push((path, source));
        }
    }
    files
}

/// The module a file defines, as a path: `crate::server::service::users`.
fn module_of(file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(SERVER).unwrap().with_extension("");
    let mut path: Vec<String> = ["crate", "server"].map(String::from).to_vec();
    path.extend(relative.iter().map(|part| part.to_string_lossy().into_owned()));
    if path.last().is_some_and(|last| last == "mod") {
        path.pop();
    }
    path
}

/// The module of the graph a path lies in: the module of the server, or of
/// the services, that defines what it names (`server` for `server/mod.rs`).
fn node_of(path: &[String], modules: &BTreeSet<Vec<String>>) -> Option<String> {
    if path.len() < 2 || path[..2] != ["crate", "server"] {
        return None;
    }
    let deepest = if path.get(2).is_some_and(|m| m == "service") { 4 } else { 3 };
    let depth = (2..=deepest.min(path.len())).rev().find(|depth| modules.contains(&path[..*depth].to_vec()))?;
    Some(if depth == 2 { "server".to_owned() } else { path[2..depth].join("::") })
}

/// Which module of the graph imports which.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let files = rust_files(Path::new(SERVER));
    let modules: BTreeSet<Vec<String>> = files.iter().map(|(file, _)| module_of(file)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, source) in files {
        let module = module_of(&file);
        let Some(me) = node_of(&module, &modules) else { continue };
        for path in paths_in(&source) {
            let first = path.split("::").next().unwrap_or_default();
            let child = [module.clone(), vec![first.to_owned()]].concat();
            // A path from a child module, written without `self::`; other
            // roots (`std`, `sqlx`) are crates.
            if !matches!(first, "crate" | "super" | "self") && !modules.contains(&child) {
                continue;
            }
            let mut resolved = module.clone();
            for part in path.split("::") {
                match part {
                    "crate" => resolved = vec!["crate".to_owned()],
                    "super" => {
                        resolved.pop();
                    }
                    "self" => {}
                    name => resolved.push(name.to_owned()),
                }
            }
            if let Some(target) = node_of(&resolved, &modules).filter(|target| *target != me) {
                graph.entry(me.clone()).or_default().insert(target);
            }
        }
    }
    graph
}

/// The paths a file names: those of its `use` trees, expanded, and those
/// written in its code through `crate::` or `super::`. Comments and the
/// unit tests at the end are left out.
fn paths_in(source: &str) -> Vec<String> {
    let code: String = source
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default()
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut paths = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("use ") {
        let before_ok = rest[..at].chars().last().is_none_or(|c| !c.is_alphanumeric() && c != '_');
        let end = rest[at..].find(';').map_or(rest.len(), |end| at + end);
        if before_ok {
            expand(&rest[at + 4..end], "", &mut paths);
        }
        rest = &rest[end.min(rest.len())..];
        if rest.starts_with(';') {
            rest = &rest[1..];
        }
    }
    let mut text = code.as_str();
    while let Some(at) = ["crate::", "super::"].iter().filter_map(|root| text.find(root)).min() {
        let start = &text[at..];
        let length = start.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(start.len());
        let path = start[..length].trim_end_matches(':');
        let before_ok = text[..at].chars().last().is_none_or(|c| !c.is_alphanumeric() && c != '_' && c != ':');
        if before_ok && path.contains("::") && !start[length..].starts_with('{') {
            paths.push(path.to_owned());
        }
        text = &text[at + length.max(1)..];
    }
    paths.sort();
    paths.dedup();
    paths
}

/// The paths of a `use` tree, each after `prefix`.
fn expand(tree: &str, prefix: &str, paths: &mut Vec<String>) {
    let tree = tree.trim();
    let joined = |tail: &str| if prefix.is_empty() { tail.to_owned() } else { format!("{prefix}::{tail}") };
    match tree.find('{') {
        None => {
            let name = tree.split(" as ").next().unwrap_or_default().trim();
            match name {
                "" | "*" => {}
                "self" => paths.push(prefix.to_owned()),
                _ => paths.push(joined(name)),
            }
        }
        Some(open) => {
            let head = tree[..open].trim().trim_end_matches("::");
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let prefix = if head.is_empty() { prefix.to_owned() } else { joined(head) };
            let mut depth = 0;
            let mut part = String::new();
            for c in inner.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&part, &prefix, paths);
                        part.clear();
                        continue;
                    }
                    _ => {}
                }
                part.push(c);
            }
            expand(&part, &prefix, paths);
        }
    }
}

/// A loop of imports, first module repeated at its end, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if !done.insert(node.to_owned()) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, done, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
}
