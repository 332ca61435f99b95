//! `jit serve`: the HTTP API spoken to with a real HTTP client (ureq) against the real server
//! process: replies equal to the CLI's `--json`, `ETag`/`If-Match` (412 with the current version,
//! 428 without), the token (401), the origin and host checks (403), `--read-only`, `--public`,
//! the Server-Sent Events stream with ids, `Last-Event-ID` resume and keep-alives, and Ctrl-C.
//! Then the browser scenarios of tests/browser/ (playwright-core driving Debian's chromium).

use crate::common::{Repo, jit_bin, jit_cmd};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running `jit serve`, stopped (SIGKILL) when dropped.
struct Server {
    child: Child,
    base: String,
    token: String,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(repo: &Repo, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = jit_cmd(repo.path())
            .args(["serve", "--json", "--port", "0"])
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("jit serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the startup line");
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        let obj = v.as_object().expect("one object");
        assert_eq!(
            obj.keys().collect::<Vec<_>>(),
            ["token", "url"],
            "the startup line is {{url, token}}"
        );
        let url = v["url"].as_str().unwrap().to_string();
        let token = v["token"].as_str().unwrap().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        assert!(url.ends_with(&format!("/?token={token}")), "{url}");
        assert_eq!(token.len(), 32);
        Server {
            child,
            base: url.split("/?").next().unwrap().to_string(),
            token,
            url,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

/// A reply: status, headers we look at, and the body as JSON (Null when not JSON).
struct Got {
    status: u16,
    etag: Option<String>,
    headers: ureq::http::HeaderMap,
    body: Value,
}

fn got(mut r: ureq::http::Response<ureq::Body>) -> Got {
    let text = r.body_mut().read_to_string().unwrap_or_default();
    Got {
        status: r.status().as_u16(),
        etag: r
            .headers()
            .get("etag")
            .map(|v| v.to_str().unwrap().to_string()),
        headers: r.headers().clone(),
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

fn get(s: &Server, path: &str) -> Got {
    got(agent().get(s.url(path)).call().expect("GET"))
}

/// A write with the given headers (`None` for one left out) and a JSON body.
fn write(
    s: &Server,
    method: &str,
    path: &str,
    token: Option<&str>,
    if_match: Option<&str>,
    body: &Value,
) -> Got {
    let a = agent();
    let url = s.url(path);
    let mut req = match method {
        "POST" => a.post(&url),
        "PATCH" => a.patch(&url),
        "DELETE" => {
            let mut r = a.delete(&url);
            if let Some(t) = token {
                r = r.header("authorization", format!("Bearer {t}"));
            }
            if let Some(m) = if_match {
                r = r.header("if-match", m);
            }
            return got(r.call().expect("DELETE"));
        }
        other => panic!("{other}"),
    };
    req = req.header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(m) = if_match {
        req = req.header("if-match", m);
    }
    got(req.send(body.to_string()).expect("write"))
}

fn code_of(g: &Got) -> &str {
    g.body["error"]["code"].as_str().unwrap_or("")
}

/// Strips what legitimately differs between two reads of the same issue: nothing, here; the
/// check is that the API returns exactly what `jit issue show --json` prints.
fn same_issue(api: &Value, cli: &Value) {
    assert_eq!(api, cli, "the API's issue is the CLI's `issue show --json`");
}

/// `jit issue list --json --full ARGS` without its `shape`: the API's pages hold whole issues,
/// as the page needs them, and name no shape.
fn full_list(repo: &Repo, args: &[&str]) -> Value {
    let mut a = vec!["issue", "list", "--full"];
    a.extend_from_slice(args);
    let mut v = repo.ok(&a);
    assert_eq!(v["shape"], "full/1");
    v.as_object_mut().unwrap().remove("shape");
    v
}

#[test]
fn serve_api_mirrors_the_cli_and_guards_every_write() {
    let repo = Repo::new();
    repo.define_gate("review", &[]);
    let a = repo.create("alpha <b>", &["--label", "ui", "--type", "feature"]);
    let b = repo.create("bravo", &["--label", "ui", "--type", "bug", "--dep", &a]);
    let c = repo.create("charlie", &["--gate", "review"]);
    let s = Server::start(&repo, &[], &[]);

    // Reads mirror the CLI.
    let list = get(&s, "/api/issues");
    assert_eq!(list.status, 200);
    assert_eq!(list.body, full_list(&repo, &[]));
    let one = get(&s, &format!("/api/issues/{a}"));
    assert_eq!(one.status, 200);
    same_issue(&one.body, &repo.ok(&["issue", "show", &a]));
    assert_eq!(one.etag.as_deref(), Some("\"1\""));
    let rel = get(&s, &format!("/api/issues/{a}?related=true"));
    same_issue(&rel.body, &repo.ok(&["issue", "show", &a, "--related"]));
    let not_modified = got(agent()
        .get(s.url(&format!("/api/issues/{a}")))
        .header("if-none-match", "\"1\"")
        .call()
        .unwrap());
    assert_eq!(not_modified.status, 304);
    // The query language, paging, errors.
    let q = get(&s, "/api/issues?filter=label%3Aui%20-type%3Abug");
    assert_eq!(
        q.body,
        full_list(&repo, &["--filter", "label:ui -type:bug"])
    );
    assert_eq!(q.body["issues"].as_array().unwrap().len(), 1);
    let page = get(&s, "/api/issues?limit=2");
    assert_eq!(page.body, full_list(&repo, &["--limit", "2"]));
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let next = get(&s, &format!("/api/issues?limit=2&cursor={cursor}"));
    assert_eq!(
        next.body,
        full_list(&repo, &["--limit", "2", "--cursor", cursor])
    );
    let bad = get(&s, "/api/issues?filter=state%3Adoing");
    assert_eq!((bad.status, code_of(&bad)), (400, "invalid_query"));
    assert_eq!(bad.body["error"]["details"]["position"], 7);
    assert_eq!(bad.body["error"]["details"]["token"], "doing");
    assert_eq!(get(&s, "/api/issues/zzzzzzzz").status, 404);
    assert_eq!(get(&s, "/api/issues/..%2F..%2Fetc").status, 400);
    assert_eq!(code_of(&get(&s, "/api/nope")), "no_route");
    assert_eq!(
        get(&s, "/api/gates").body,
        repo.ok(&["gate", "list"]),
        "gates as `gate list --json`"
    );
    let ev = get(&s, "/api/events?event=issue.created");
    assert_eq!(
        ev.body,
        repo.ok(&["events", "query", "--event", "issue.created"])
    );

    // Writes: token, origin, If-Match, content type, each refused before anything changes.
    let before = repo.read_issue(&a);
    let events = repo.event_count();
    let patch = json!({ "title": "alpha renamed" });
    let p = format!("/api/issues/{a}");
    let no_token = write(&s, "PATCH", &p, None, Some("\"1\""), &patch);
    assert_eq!((no_token.status, code_of(&no_token)), (401, "unauthorized"));
    let wrong = write(
        &s,
        "PATCH",
        &p,
        Some("not-the-token"),
        Some("\"1\""),
        &patch,
    );
    assert_eq!(wrong.status, 401);
    let missing = write(&s, "PATCH", &p, Some(&s.token), None, &patch);
    assert_eq!(
        (missing.status, code_of(&missing)),
        (428, "precondition_required")
    );
    let stale = write(&s, "PATCH", &p, Some(&s.token), Some("\"7\""), &patch);
    assert_eq!((stale.status, code_of(&stale)), (412, "version_conflict"));
    assert_eq!(
        stale.etag.as_deref(),
        Some("\"1\""),
        "412 carries the current version"
    );
    assert_eq!(stale.body["error"]["details"]["actual"], 1);
    let foreign = got(agent()
        .patch(s.url(&p))
        .header("authorization", format!("Bearer {}", s.token))
        .header("if-match", "\"1\"")
        .header("origin", "http://evil.example")
        .header("content-type", "application/json")
        .send(patch.to_string())
        .unwrap());
    assert_eq!(
        (foreign.status, code_of(&foreign)),
        (403, "forbidden_origin")
    );
    let cross = got(agent()
        .patch(s.url(&p))
        .header("authorization", format!("Bearer {}", s.token))
        .header("if-match", "\"1\"")
        .header("sec-fetch-site", "cross-site")
        .header("content-type", "application/json")
        .send(patch.to_string())
        .unwrap());
    assert_eq!(cross.status, 403);
    let text = got(agent()
        .patch(s.url(&p))
        .header("authorization", format!("Bearer {}", s.token))
        .header("if-match", "\"1\"")
        .header("content-type", "text/plain")
        .send(patch.to_string())
        .unwrap());
    assert_eq!(
        (text.status, code_of(&text)),
        (415, "unsupported_media_type")
    );
    let unknown = write(
        &s,
        "PATCH",
        &p,
        Some(&s.token),
        Some("\"1\""),
        &json!({"titel": "x"}),
    );
    assert_eq!((unknown.status, code_of(&unknown)), (400, "invalid_body"));
    let rebound = got(agent()
        .get(s.url("/api/issues"))
        .header("host", "attacker.example:80")
        .call()
        .unwrap());
    assert_eq!((rebound.status, code_of(&rebound)), (403, "forbidden_host"));
    assert_eq!(repo.read_issue(&a), before, "nothing was written");
    assert_eq!(repo.event_count(), events, "no event was recorded");

    // A good write: the core's result, the file and one event, the new version as ETag.
    let own_origin = s.base.clone();
    let ok = got(agent()
        .patch(s.url(&p))
        .header("authorization", format!("Bearer {}", s.token))
        .header("if-match", "\"1\"")
        .header("origin", own_origin.as_str())
        .header("content-type", "application/json")
        .send(
            json!({ "title": "alpha renamed", "labels": ["ui", "core"], "priority": "high" })
                .to_string(),
        )
        .unwrap());
    assert_eq!(ok.status, 200, "{:#}", ok.body);
    assert_eq!(ok.etag.as_deref(), Some("\"2\""));
    let file = repo.read_issue(&a);
    assert_eq!(file["title"], "alpha renamed");
    assert_eq!(file["labels"], json!(["core", "ui"]));
    assert_eq!(file["priority"], "high");
    assert_eq!(ok.body["title"], "alpha renamed");
    assert_eq!(repo.event_count(), events + 1);
    let last = repo.events().pop().unwrap();
    assert_eq!(last["type"], "issue.updated");
    assert_eq!(last["actor"], "human:tester");

    // State changes: refused with the CLI's code when blocked, moved when not.
    let blocked = write(
        &s,
        "PATCH",
        &format!("/api/issues/{b}"),
        Some(&s.token),
        Some("\"1\""),
        &json!({ "state": "in_progress" }),
    );
    assert_eq!((blocked.status, code_of(&blocked)), (409, "blocked"));
    let done = write(
        &s,
        "PATCH",
        &format!("/api/issues/{a}"),
        Some(&s.token),
        Some("*"),
        &json!({ "state": "done" }),
    );
    assert_eq!(done.status, 200);
    assert_eq!(done.body["promoted"], json!([repo.full_id(&b)]));

    // Merge-conflict records are cleared as `--clear-merge-conflicts` clears them.
    let mut file = repo.read_issue(&b);
    file["merge_conflicts"] = json!([{
        "at": "2026-01-01T00:00:00.000Z", "field": "title", "discarded": "x", "reason": "both_changed"
    }]);
    std::fs::write(
        repo.issue_path(&b),
        serde_json::to_vec_pretty(&file).unwrap(),
    )
    .unwrap();
    let cleared = write(
        &s,
        "PATCH",
        &format!("/api/issues/{b}"),
        Some(&s.token),
        Some("*"),
        &json!({ "clear_merge_conflicts": true }),
    );
    assert_eq!(cleared.status, 200, "{:#}", cleared.body);
    assert!(repo.read_issue(&b).get("merge_conflicts").is_none());

    // Create: 201, Location, the created issue as `issue create --json` prints it.
    let created = write(
        &s,
        "POST",
        "/api/issues",
        Some(&s.token),
        None,
        &json!({ "title": "delta", "labels": ["api"], "deps": [c] }),
    );
    assert_eq!(created.status, 201, "{:#}", created.body);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        created.headers.get("location").unwrap().to_str().unwrap(),
        format!("/api/issues/{id}")
    );
    same_issue(&created.body, &repo.ok(&["issue", "show", &id]));
    assert_eq!(created.body["state"], "backlog");

    // Claim, comment, checklist, gates, deps, release: each the CLI's reply and event.
    let d = created.body["short_id"].as_str().unwrap().to_string();
    let cl = |path: &str, v: &str, body: Value| {
        write(
            &s,
            "POST",
            &format!("/api/issues/{c}/{path}"),
            Some(&s.token),
            Some(v),
            &body,
        )
    };
    let claim = cl("claim", "\"1\"", json!({ "ttl": "30m" }));
    assert_eq!(claim.status, 200, "{:#}", claim.body);
    assert_eq!(claim.body["assignee"], "human:tester");
    assert_eq!(claim.body["state"], "in_progress");
    let again = write(
        &s,
        "POST",
        &format!("/api/issues/{c}/claim"),
        Some(&s.token),
        Some("\"2\""),
        &json!({ "to": "agent:other" }),
    );
    assert_eq!((again.status, code_of(&again)), (409, "already_claimed"));
    let comment = cl("comments", "\"2\"", json!({ "body": "on **it**" }));
    assert_eq!(comment.status, 200);
    assert_eq!(comment.body["comment"]["body"], "on **it**");
    let item = cl("checklist", "\"3\"", json!({ "item": "write tests" }));
    assert_eq!(item.status, 200);
    let tick = cl("checklist/check", "\"4\"", json!({ "item": "write tests" }));
    assert_eq!(tick.body["item"]["checked"], true);
    let missing_item = cl("checklist/check", "\"5\"", json!({ "item": "nope" }));
    assert_eq!(
        (missing_item.status, code_of(&missing_item)),
        (400, "no_such_item")
    );
    let gate_stale = cl("gates/review/pass", "\"4\"", json!({}));
    assert_eq!(gate_stale.status, 412, "gate pass checks If-Match too");
    let pass = cl(
        "gates/review/pass",
        "\"5\"",
        json!({ "note": "looks good" }),
    );
    assert_eq!(pass.status, 200, "{:#}", pass.body);
    assert_eq!(pass.body["gate"], "review");
    assert_eq!(
        repo.read_issue(&c)["gates_status"]["review"]["status"],
        "passed"
    );
    let dep = write(
        &s,
        "POST",
        &format!("/api/issues/{d}/deps"),
        Some(&s.token),
        Some("\"1\""),
        &json!({ "on": b }),
    );
    assert_eq!(dep.status, 200, "{:#}", dep.body);
    assert_eq!(
        dep.etag.as_deref(),
        Some("\"2\""),
        "the ETag of the changed issue"
    );
    let cycle = write(
        &s,
        "POST",
        &format!("/api/issues/{b}/deps"),
        Some(&s.token),
        Some("*"),
        &json!({ "on": d }),
    );
    assert_eq!((cycle.status, code_of(&cycle)), (409, "cycle"));
    let rm = write(
        &s,
        "DELETE",
        &format!("/api/issues/{d}/deps/{b}"),
        Some(&s.token),
        Some("\"2\""),
        &Value::Null,
    );
    assert_eq!(rm.status, 200, "{:#}", rm.body);
    assert_eq!(rm.body["changed"], true);
    let release = cl("release", "\"6\"", json!({}));
    assert_eq!(release.status, 200, "{:#}", release.body);
    assert_eq!(release.body["assignee"], Value::Null);
    let kinds: Vec<String> = repo
        .events()
        .iter()
        .filter(|e| e["issue"] == repo.full_id(&c))
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    for k in [
        "issue.claimed",
        "comment.added",
        "checklist.added",
        "checklist.checked",
        "gate.passed",
        "issue.released",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
    }

    // The tokenized URL sets the cookie; the cookie then authorises writes from the page.
    let r = agent().get(&s.url).call().unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_string();
    let by_cookie = got(agent()
        .patch(s.url(&format!("/api/issues/{d}")))
        .header("cookie", pair.as_str())
        .header("if-match", "\"3\"")
        .header("content-type", "application/json")
        .send(json!({ "milestone": "M1" }).to_string())
        .unwrap());
    assert_eq!(by_cookie.status, 200, "{:#}", by_cookie.body);
    let wrong_link = agent().get(s.url("/?token=abc")).call().unwrap();
    assert_eq!(wrong_link.status().as_u16(), 401);
    // The page and its assets.
    let mut page = agent().get(s.url("/")).call().unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let csp = page
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = page.body_mut().read_to_string().unwrap();
    assert!(html.contains("data-testid=\"search\"") && html.contains("src=\"/app.js\""));
    assert_eq!(
        agent()
            .get(s.url("/app.js"))
            .call()
            .unwrap()
            .status()
            .as_u16(),
        200
    );
}

#[test]
fn serve_read_only_refuses_every_write() {
    let repo = Repo::new();
    let a = repo.create("alpha", &[]);
    let s = Server::start(&repo, &["--read-only"], &[]);
    let before = repo.read_issue(&a);
    for (method, path, body) in [
        ("PATCH", format!("/api/issues/{a}"), json!({ "title": "x" })),
        ("POST", "/api/issues".to_string(), json!({ "title": "x" })),
        ("POST", format!("/api/issues/{a}/claim"), json!({})),
        (
            "POST",
            format!("/api/issues/{a}/comments"),
            json!({ "body": "x" }),
        ),
        ("DELETE", format!("/api/issues/{a}/deps/{a}"), Value::Null),
    ] {
        let g = write(&s, method, &path, Some(&s.token), Some("\"1\""), &body);
        assert_eq!(
            (g.status, code_of(&g)),
            (403, "read_only"),
            "{method} {path}"
        );
    }
    assert_eq!(repo.read_issue(&a), before);
    assert_eq!(get(&s, "/api/site").body["read_only"], true);
    assert_eq!(
        get(&s, &format!("/api/issues/{a}")).status,
        200,
        "reads still work"
    );
}

#[test]
fn serve_public_serves_only_public_issues() {
    let repo = Repo::new();
    let secret = repo.create(
        "hotel: rotate the signing keys",
        &["--visibility", "internal"],
    );
    let open = repo.create("open work", &["--dep", &secret]);
    let full = repo.full_id(&secret);
    // A merge discarded a parent of the public issue: the internal one.
    repo.edit_issue(&open, |v| {
        v["merge_conflicts"] = json!([
            {"at": "2026-01-01T02:00:00.000Z", "field": "parent", "discarded": full, "reason": "both_changed"}
        ]);
    });
    assert_eq!(repo.ok(&["validate"])["ok"], true);
    let s = Server::start(&repo, &["--public"], &[]);
    let list = get(&s, "/api/issues");
    assert_eq!(list.body["total"], 1);
    for path in [
        "/api/issues",
        "/api/site",
        &format!("/api/issues/{open}"),
        "/api/events",
    ] {
        let text = get(&s, path).body.to_string();
        for needle in ["hotel: rotate", secret.as_str(), full.as_str()] {
            assert!(
                !text.contains(needle),
                "{path} mentions the internal issue ({needle}): {text}"
            );
        }
    }
    let v = get(&s, &format!("/api/issues/{open}")).body;
    assert!(v.get("merge_conflicts").is_none(), "{v:#}");
    assert_eq!(v["private_dependencies"], 1);
    assert_eq!(
        v["blocked"], true,
        "still blocked by the issue it cannot name"
    );
    assert_eq!(v["blocked_by"][0]["short_id"], "(private)");
    assert_eq!(get(&s, &format!("/api/issues/{secret}")).status, 404);
    let touch = write(
        &s,
        "PATCH",
        &format!("/api/issues/{secret}"),
        Some(&s.token),
        Some("*"),
        &json!({ "title": "x" }),
    );
    assert_eq!(
        touch.status, 404,
        "an internal issue cannot be changed through a public console"
    );
}

/// Reads an event stream on a thread; sends each complete message (its lines) down a channel.
fn sse(s: &Server, last_event_id: Option<&str>, query: &str) -> mpsc::Receiver<Vec<String>> {
    let mut req = agent()
        .get(s.url(&format!("/api/events{query}")))
        .header("accept", "text/event-stream");
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id);
    }
    let r = req.call().expect("the stream opens");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers().get("content-type").unwrap().to_str().unwrap(),
        "text/event-stream"
    );
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(r.into_body().into_reader());
        let mut msg = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let l = line.trim_end_matches(['\r', '\n']).to_string();
            if l.is_empty() {
                if !msg.is_empty() && tx.send(std::mem::take(&mut msg)).is_err() {
                    return;
                }
            } else {
                msg.push(l);
            }
        }
    });
    rx
}

/// The next message with an `id:` (an event), skipping comments and `retry:`.
fn next_event(rx: &mpsc::Receiver<Vec<String>>, wait: Duration) -> (String, Value) {
    let end = Instant::now() + wait;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        let msg = rx.recv_timeout(left).expect("an event arrives");
        let id = msg.iter().find_map(|l| l.strip_prefix("id: "));
        let data = msg.iter().find_map(|l| l.strip_prefix("data: "));
        if let (Some(id), Some(data)) = (id, data) {
            return (id.to_string(), serde_json::from_str(data).unwrap());
        }
    }
}

#[test]
fn serve_streams_events_from_any_process_and_resumes_from_last_event_id() {
    let repo = Repo::new();
    repo.create("before the server", &[]);
    let s = Server::start(&repo, &[], &[("JIT_SERVE_KEEPALIVE_MS", "300")]);
    let rx = sse(&s, None, "");
    // The first message sets the reconnection delay.
    let first = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(first[0].starts_with("retry: "), "{first:?}");
    // Another process writes; the stream carries its events, with their ids.
    let x = repo.create("from another process", &[]);
    let (id1, e1) = next_event(&rx, Duration::from_secs(10));
    assert_eq!(e1["type"], "issue.created");
    assert_eq!(e1["issue"], repo.full_id(&x));
    assert_eq!(e1["id"], id1.as_str());
    repo.ok(&["issue", "update", &x, "--title", "renamed elsewhere"]);
    repo.ok(&["issue", "comment", &x, "--body", "hello"]);
    let (id2, e2) = next_event(&rx, Duration::from_secs(10));
    let (id3, e3) = next_event(&rx, Duration::from_secs(10));
    assert_eq!(
        (e2["type"].as_str(), e3["type"].as_str()),
        (Some("issue.updated"), Some("comment.added"))
    );
    assert!(id1 < id2 && id2 < id3, "in order");
    // Idle: keep-alive comments.
    let end = Instant::now() + Duration::from_secs(10);
    let mut saw_keepalive = false;
    while Instant::now() < end && !saw_keepalive {
        if let Ok(m) = rx.recv_timeout(Duration::from_secs(2)) {
            saw_keepalive = m.iter().any(|l| l.starts_with(": keep-alive"));
        }
    }
    assert!(saw_keepalive, "an idle stream gets keep-alive comments");
    // A reconnecting client resumes after the last id it saw: exactly what it missed.
    let resumed = sse(&s, Some(&id1), "");
    let (r2, _) = next_event(&resumed, Duration::from_secs(10));
    let (r3, _) = next_event(&resumed, Duration::from_secs(10));
    assert_eq!((r2, r3), (id2.clone(), id3.clone()));
    let also = sse(&s, None, &format!("?after={id2}"));
    assert_eq!(next_event(&also, Duration::from_secs(10)).0, id3);
    // `?tail=N` replays the last N first.
    let tail = sse(&s, None, "?tail=1");
    assert_eq!(next_event(&tail, Duration::from_secs(10)).0, id3);
    // A bad id is refused as the CLI refuses `events tail --after`.
    let bad = got(agent()
        .get(s.url("/api/events"))
        .header("accept", "text/event-stream")
        .header("last-event-id", "../x")
        .call()
        .unwrap());
    assert_eq!((bad.status, code_of(&bad)), (400, "invalid_value"));
}

#[test]
fn serve_listens_on_loopback_and_stops_on_ctrl_c() {
    let repo = Repo::new();
    let mut s = Server::start(&repo, &[], &[]);
    assert!(s.base.starts_with("http://127.0.0.1:"));
    let pid = s.child.id().to_string();
    let st = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(st.success());
    let end = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < end, "jit serve did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    // A busy port is an error with a code, not a panic.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port().to_string();
    let (v, code) = repo.json(&["serve", "--port", &port]);
    assert_eq!(
        (v["error"]["code"].as_str(), code),
        (Some("io"), 1),
        "{v:#}"
    );
}

/// The browser scenarios (tests/browser/*.test.mjs): node's test runner driving Debian's
/// chromium through playwright-core against the real `jit serve` and `jit export web`.
#[test]
fn browser_scenarios() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let ready = std::path::Path::new("/usr/bin/chromium").exists()
        && dir.join("node_modules/playwright-core").is_dir()
        && std::process::Command::new("node")
            .arg("--version")
            .output()
            .is_ok();
    if !ready {
        if std::env::var_os("CI").is_some() {
            panic!(
                "CI is set but chromium, node or tests/browser/node_modules is missing; .ci/run installs them"
            );
        }
        eprintln!(
            "skipping browser_scenarios: needs /usr/bin/chromium, node and `npm ci` in tests/browser"
        );
        return;
    }
    let mut out = std::process::Command::new("node")
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .arg(dir.join("serve.test.mjs"))
        .arg(dir.join("export.test.mjs"))
        .arg(dir.join("query.test.mjs"))
        .env("JIT_BIN", jit_bin())
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    let mut text = String::new();
    out.stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let mut err = String::new();
    out.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let status = out.wait().unwrap();
    assert!(status.success(), "browser tests failed:\n{text}\n{err}");
    eprintln!("{text}");
}
