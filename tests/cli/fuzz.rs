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

// ---- Input classes the trust findings showed were missing (docs/fuzzing.md) ----

/// Numbers at and past the edges: times plus and minus any span stay within what RFC 3339
/// writes and read back; the span parser never panics and never wraps.
#[test]
fn time_and_span_arithmetic_never_wraps_and_always_reads_back() {
    let mut rng = Rng::new(seed() ^ 0x7173);
    let edges = [
        0u64,
        1,
        59,
        86_400,
        31_536_000,
        259_200_000_000,
        u64::MAX / 1000,
        u64::MAX,
    ];
    for _ in 0..iterations(20_000) {
        let ms = match rng.below(4) {
            0 => rng.next() as i64,
            1 => jit::model::Timestamp::MAX_MILLIS - rng.below(1_000_000) as i64,
            2 => jit::model::Timestamp::MIN_MILLIS + rng.below(1_000_000) as i64,
            _ => 1_800_000_000_000 + (rng.next() % 1_000_000_000) as i64,
        };
        let t = Timestamp::from_millis(ms);
        let secs = if rng.below(2) == 0 {
            edges[rng.below(edges.len() as u64) as usize]
        } else {
            rng.next() >> rng.below(64)
        };
        let d = std::time::Duration::from_secs(secs);
        for u in [t, t.plus(d), t.minus(d)] {
            let text = u.to_string();
            assert_eq!(Timestamp::parse(&text).unwrap(), u, "{text} reads back");
            assert!((Timestamp::MIN_MILLIS..=Timestamp::MAX_MILLIS).contains(&u.millis()));
        }
        assert!(t.plus(d) >= t && t.minus(d) <= t, "{t} ± {secs}s");
        // Spans: digits (often far too many) and units in any order.
        let mut s = String::new();
        for _ in 0..rng.below(4) + 1 {
            for _ in 0..rng.below(22) {
                s.push(char::from(b'0' + rng.below(10) as u8));
            }
            s.push(['s', 'm', 'h', 'd', 'w', 'x', ' '][rng.below(7) as usize]);
        }
        match jit::model::time::parse_duration(&s) {
            Ok(d) => assert!(d.as_secs() > 0, "{s}"),
            Err(e) => assert_eq!(e.code(), "invalid_value", "{s}"),
        }
    }
}

/// Issue files the way editors, old versions and attackers leave them: a byte-order mark,
/// versions at `u64::MAX`, times with years past 9999 or before 0, huge leases. Parsing never
/// panics, and whatever parses writes back bytes that parse again.
#[test]
fn issue_files_with_boms_extreme_numbers_and_times_parse_or_are_named() {
    let mut rng = Rng::new(seed() ^ 0xB0B);
    let path = Path::new("issue.json");
    let times = [
        "+10240-08-21T11:05:41.617Z",
        "-0001-01-01T00:00:00.000Z",
        "9999-12-31T23:59:59.999Z",
        "0000-01-01T00:00:00.000Z",
        "+2026-01-01T00:00:00.000Z",
        "1970-01-01T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "+99999999999999999999-01-01T00:00:00Z",
    ];
    for _ in 0..iterations(10_000) {
        let issue = sample_issue(&mut rng);
        let id = issue.id.to_string();
        let mut v: Value = serde_json::to_value(&issue).unwrap();
        for _ in 0..=rng.below(3) {
            let t = times[rng.below(times.len() as u64) as usize];
            match rng.below(5) {
                0 => v["version"] = json!(u64::MAX - rng.below(2)),
                1 => v["updated_at"] = json!(t),
                2 => {
                    v["assignee"] = json!("agent:a");
                    v["lease"] = json!({"holder": "agent:a", "acquired_at": t,
                        "expires_at": times[rng.below(times.len() as u64) as usize],
                        "ttl_secs": rng.next()});
                }
                3 => v["created_at"] = json!(t),
                _ => v["estimate"] = json!(f64::MAX),
            }
        }
        let mut bytes = serde_json::to_vec_pretty(&v).unwrap();
        if rng.below(2) == 0 {
            let mut with_bom = b"\xEF\xBB\xBF".to_vec();
            with_bom.extend(bytes);
            bytes = with_bom;
        }
        match std::panic::catch_unwind(|| jit::store::parse_issue(path, &id, &bytes)) {
            Err(_) => panic!("panicked on {:?}", String::from_utf8_lossy(&bytes)),
            Ok(Err(e)) => assert_eq!(e.code(), "corrupt_file", "{e}"),
            Ok(Ok(i)) => {
                let canonical = i.to_file_bytes().unwrap();
                assert!(!canonical.starts_with(b"\xEF\xBB\xBF"));
                let again = jit::store::parse_issue(path, &id, &canonical)
                    .unwrap_or_else(|e| panic!("wrote what it cannot read: {e}"));
                assert_eq!(again.to_file_bytes().unwrap(), canonical);
            }
        }
    }
}

/// Command lines as a careless agent writes them: values that start with `-`, unknown flags,
/// huge numbers, hostile text, missing arguments. Under `--json` every run prints exactly one
/// JSON object, exits with a documented code, and never panics.
#[test]
fn command_lines_never_panic_and_always_answer_one_json_object() {
    let repo = crate::common::Repo::new();
    let id = repo.create("Target", &[]);
    let mut rng = Rng::new(seed() ^ 0xC11);
    let heads: &[&[&str]] = &[
        &["issue", "list", "--filter"],
        &["query", "ready", "--filter"],
        &["issue", "claim-next", "--filter"],
        &["issue", "claim", &id, "--ttl"],
        &["issue", "heartbeat", &id, "--ttl"],
        &["query", "stale", "--days"],
        &["issue", "update", &id, "--if-version"],
        &["issue", "comment", &id, "--body"],
        &["issue", "create", "--title"],
        &["events", "query", "--since"],
        &["issue", "list", "--limit"],
        &["gate", "define", "g", "--title", "g", "--timeout"],
        &["issue"],
        &["export", "--format"],
    ];
    let values = [
        "-label:bug",
        "--",
        "-",
        "--json",
        "99999999999999999999",
        "18446744073709551615",
        "3000000d",
        "99999999999999d",
        "-1",
        "0",
        "\u{202e}evil",
        "$(touch /tmp/x)",
        "",
        "label:bug -label:wontfix",
        "\"",
        "🦀",
        "1h30m",
        "nope",
        "-state:done",
        "--bogus",
    ];
    for _ in 0..iterations(150) {
        let mut args: Vec<String> = heads[rng.below(heads.len() as u64) as usize]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for _ in 0..rng.below(3) {
            args.push(values[rng.below(values.len() as u64) as usize].to_string());
        }
        // `--json` first: after a `--` in the generated arguments it would be a value.
        let out = repo
            .cmd()
            .arg("--json")
            .args(&args)
            .env("JIT_HOOKS", "off")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            matches!(out.status.code(), Some(0..=9)),
            "{args:?}: {:?}",
            out.status
        );
        let v = crate::common::parse_one_object(&out);
        if out.status.code() != Some(0) {
            assert!(v["error"]["code"].is_string(), "{args:?}: {v}");
            assert!(!v["error"]["message"].as_str().unwrap().is_empty());
        }
    }
}

/// The MCP wire with random input: random bytes, truncated requests, deep nesting, values that
/// are not JSON-RPC, `tools/call` with random params. Every line that carries (or could carry)
/// a request gets exactly one reply, and the server keeps answering.
#[cfg(feature = "mcp")]
#[test]
fn every_line_sent_to_mcp_gets_exactly_one_reply() {
    let repo = crate::common::Repo::new();
    let mut c = crate::trust::mcp::Client::start(&repo);
    c.initialize();
    let mut rng = Rng::new(seed() ^ 0x3C9);
    let n = iterations(120);
    for k in 0..n {
        let id = 1000 + k;
        let good = json!({"jsonrpc": "2.0", "id": id, "method": "ping"}).to_string();
        let mut line: Vec<u8> = match rng.below(6) {
            0 => {
                let mut b = vec![b'x'];
                for _ in 0..rng.below(64) {
                    b.push(match rng.next() as u8 {
                        b'\n' => b' ',
                        x => x,
                    });
                }
                b
            }
            1 => good.as_bytes()[..rng.below(good.len() as u64 - 1) as usize + 1].to_vec(),
            2 => {
                let depth = rng.below(200_000) as usize + 1;
                "[".repeat(depth).into_bytes()
            }
            3 => json!([rng.next(), "x"]).to_string().into_bytes(),
            4 => {
                let params = [
                    json!(null),
                    json!([]),
                    json!({}),
                    json!({"name": rng.next()}),
                    json!({"name": "nope"}),
                    json!({"name": "show", "arguments": "x"}),
                    json!({"name": "show", "arguments": {"id": "zzz"}}),
                ][rng.below(7) as usize]
                    .clone();
                json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params})
                    .to_string()
                    .into_bytes()
            }
            _ => good.into_bytes(),
        };
        // A line that happens to be blank is not a message; make it one.
        if line.iter().all(u8::is_ascii_whitespace) {
            line.insert(0, b'x');
        }
        line.push(b'\n');
        c.write(&line);
        let reply = c.read();
        assert!(
            reply.get("result").is_some() || reply["error"]["code"].is_i64(),
            "{reply}"
        );
    }
    let pong = c.request("ping", json!({}));
    assert!(pong.get("result").is_some(), "{pong}");
    c.finish();
}
