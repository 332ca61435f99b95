//! Property tests standing in for fuzzers: seeded random inputs to the query parser, the
//! issue-file parser and the merge driver. None may panic; each keeps its invariants.
//! CI runs a short pass; `JIT_FUZZ_ITERS=200000 cargo test --test cli fuzz` runs a long one
//! (docs/fuzzing.md). A failure prints its seed and input.

use crate::safety::Rng;
use jit::model::{Issue, IssueId, Timestamp};
use serde_json::{Value, json};
use std::path::Path;

fn iterations(default: u64) -> u64 {
    std::env::var("JIT_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn seed() -> u64 {
    std::env::var("JIT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0xF022)
}

const FRAGMENTS: &[&str] = &[
    "state:",
    "ready",
    "priority:",
    ">=",
    "<",
    ">",
    "high",
    "-",
    "label:",
    "\"",
    "a b",
    "\\",
    "*",
    "|",
    ":",
    "assignee:agent:*",
    "created:>7d",
    "due:<2026-12-01",
    "text:",
    "sort:-priority",
    "blocked:true",
    "has:pr",
    " ",
    "é",
    "\u{202e}",
    "\0",
    "🦀",
    "milestone:\"Phase 1\"",
    "id:01",
    "estimate:>3",
    "updated:<24h",
    "none",
    "sort:",
    "gate:",
    "is:open",
    "=",
    "--",
    "::",
    "''",
];

#[test]
fn query_parser_never_panics_and_points_inside_the_input() {
    let now = Timestamp::parse("2026-06-01T00:00:00Z").unwrap();
    let mut rng = Rng::new(seed());
    for _ in 0..iterations(20_000) {
        let mut q = String::new();
        for _ in 0..rng.below(8) {
            if rng.below(6) == 0 {
                // raw random characters, including multi-byte ones
                for _ in 0..rng.below(4) {
                    q.push(char::from_u32(rng.below(0x3000) as u32).unwrap_or('?'));
                }
            } else {
                q.push_str(FRAGMENTS[rng.below(FRAGMENTS.len() as u64) as usize]);
            }
        }
        let result = std::panic::catch_unwind(|| jit::query::parse(&q, now));
        match result {
            Err(_) => panic!("query parser panicked on {q:?}"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                assert_eq!(e.code(), "invalid_query", "{q:?}: {e}");
                let pos = e.details()["position"].as_u64().unwrap_or(0) as usize;
                assert!(
                    pos >= 1 && pos <= q.chars().count() + 1,
                    "{q:?}: position {pos}"
                );
            }
        }
    }
}

fn sample_issue(rng: &mut Rng) -> Issue {
    let now = Timestamp::parse("2026-06-01T00:00:00Z").unwrap();
    let id = IssueId::from_ulid(ulid::Ulid::from_parts(
        1_700_000_000_000,
        u128::from(rng.next()) << 16 | 7,
    ));
    let mut i = Issue::new(id, "A sample".into(), now);
    i.labels = vec!["a".into(), "b".into()];
    i.context.insert("k".into(), "v".into());
    i
}

fn mutate_bytes(rng: &mut Rng, bytes: &mut Vec<u8>) {
    for _ in 0..=rng.below(4) {
        if bytes.is_empty() {
            bytes.push(b'{');
        }
        let at = rng.below(bytes.len() as u64) as usize;
        match rng.below(4) {
            0 => bytes[at] = rng.next() as u8,
            1 => {
                bytes.remove(at);
            }
            2 => bytes.insert(at, b"{}[]\":,0tn\\\xff"[rng.below(12) as usize]),
            _ => bytes.truncate(at),
        }
    }
}

fn mutate_value(rng: &mut Rng, v: &mut Value) {
    let keys: Vec<String> = v
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    if keys.is_empty() {
        return;
    }
    let k = &keys[rng.below(keys.len() as u64) as usize];
    let replacement = match rng.below(7) {
        0 => Value::Null,
        1 => json!(rng.next()),
        2 => json!("text"),
        3 => json!([1, "x", null]),
        4 => json!({"nested": true}),
        5 => json!(-1),
        _ => Value::Bool(true),
    };
    if rng.below(5) == 0 {
        v.as_object_mut().unwrap().remove(k);
    } else {
        v[k] = replacement;
    }
}

#[test]
fn issue_file_parser_never_panics_and_round_trips() {
    let mut rng = Rng::new(seed() ^ 0x1551);
    let path = Path::new("issue.json");
    for _ in 0..iterations(20_000) {
        let issue = sample_issue(&mut rng);
        let id = issue.id.to_string();
        let mut bytes = issue.to_file_bytes().unwrap();
        if rng.below(2) == 0 {
            mutate_bytes(&mut rng, &mut bytes);
        } else {
            let mut v: Value = serde_json::from_slice(&bytes).unwrap();
            mutate_value(&mut rng, &mut v);
            bytes = serde_json::to_vec_pretty(&v).unwrap();
        }
        let parsed = std::panic::catch_unwind(|| jit::store::parse_issue(path, &id, &bytes));
        match parsed {
            Err(_) => panic!(
                "issue parser panicked on {:?}",
                String::from_utf8_lossy(&bytes)
            ),
            Ok(Err(e)) => assert_eq!(e.code(), "corrupt_file", "{e}"),
            Ok(Ok(i)) => {
                // Canonical bytes are a fixed point: writing, reading and writing again changes nothing.
                let canonical = i.to_file_bytes().unwrap();
                let again = jit::store::parse_issue(path, &id, &canonical).unwrap();
                assert_eq!(
                    again.to_file_bytes().unwrap(),
                    canonical,
                    "round trip of {:?}",
                    String::from_utf8_lossy(&bytes)
                );
            }
        }
    }
}

fn edit(rng: &mut Rng, i: &mut Issue, side: &str) {
    let later = Timestamp::from_millis(i.updated_at.millis() + 1 + rng.below(10_000) as i64);
    for _ in 0..=rng.below(3) {
        match rng.below(8) {
            0 => i.title = format!("{side} title {}", rng.below(3)),
            1 => i.labels.push(format!("l{}", rng.below(4))),
            2 => {
                if !i.labels.is_empty() {
                    i.labels.remove(0);
                }
            }
            3 => {
                i.context.insert(format!("c{}", rng.below(3)), side.into());
            }
            4 => {
                i.priority =
                    [jit::model::Priority::Low, jit::model::Priority::High][rng.below(2) as usize]
            }
            5 => {
                i.assignee = Some(format!("agent:{side}"));
                i.lease = Some(jit::model::Lease {
                    holder: format!("agent:{side}"),
                    acquired_at: later,
                    expires_at: None,
                    ttl_secs: None,
                });
                i.state = jit::model::State::InProgress;
            }
            6 => i.comments.push(jit::model::Comment {
                id: format!("{side}{}", rng.below(1000)),
                author: "human:x".into(),
                at: later,
                body: side.into(),
            }),
            _ => i.description = format!("{side} description"),
        }
    }
    i.updated_at = later;
    i.version += 1;
}

#[test]
fn merge_driver_is_total_symmetric_and_canonical() {
    let mut rng = Rng::new(seed() ^ 0x3E26E);
    for n in 0..iterations(3_000) {
        let base = sample_issue(&mut rng);
        let mut ours = base.clone();
        let mut theirs = base.clone();
        edit(&mut rng, &mut ours, "ours");
        edit(&mut rng, &mut theirs, "theirs");
        let b = base.to_file_bytes().unwrap();
        let o = ours.to_file_bytes().unwrap();
        let t = theirs.to_file_bytes().unwrap();
        let with_base = rng.below(4) != 0;
        let base_arg = with_base.then_some(b.as_slice());
        let ab =
            jit::gitops::merge_issue(base_arg, &o, &t).unwrap_or_else(|e| panic!("case {n}: {e}"));
        let ba =
            jit::gitops::merge_issue(base_arg, &t, &o).unwrap_or_else(|e| panic!("case {n}: {e}"));
        assert_eq!(ab.bytes, ba.bytes, "case {n}: merge is not symmetric");
        let merged: Issue = serde_json::from_slice(&ab.bytes)
            .unwrap_or_else(|e| panic!("case {n}: not an issue: {e}"));
        assert_eq!(
            merged.to_file_bytes().unwrap(),
            ab.bytes,
            "case {n}: not canonical"
        );
        // Labels each side added survive, unless the other side removed them.
        for l in ours.labels.iter().chain(&theirs.labels) {
            if !base.labels.contains(l) {
                assert!(merged.labels.contains(l), "case {n}: label {l} lost");
            }
        }
        // Corrupt input is an error, never a panic or conflict markers.
        let mut broken = o.clone();
        mutate_bytes(&mut rng, &mut broken);
        let r = std::panic::catch_unwind(|| jit::gitops::merge_issue(base_arg, &broken, &t));
        assert!(
            r.is_ok(),
            "case {n}: merge driver panicked on corrupt input"
        );
    }
}
