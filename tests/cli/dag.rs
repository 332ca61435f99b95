//! The dependency DAG and the state machine: adding and removing edges, cycle refusal with the
//! whole cycle in the error, derived `backlog`/`ready`, cascades, refused transitions, graph
//! views and graph exports.

use crate::common::{MISSING_ID, Repo, short_ids, strings};
use crate::contract::{
    DepChange, Edge, IssueView, NodeList, State, TreeNode, TreeReply, outcome, parse,
};

#[test]
fn dep_add_and_rm_move_the_issue_between_ready_and_backlog() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let b = repo.create("b", &[]);
    let c: DepChange = parse(&repo.ok(&["dep", "add", &b, "--on", &a]));
    assert!(c.changed);
    assert_eq!(c.dependency, repo.full_id(&a));
    let view = IssueView::from_value(&c.issue);
    assert_eq!(view.state, State::Backlog);
    assert_eq!(view.dependencies, vec![repo.full_id(&a)]);
    assert_eq!(
        strings(&repo.read_issue(&b)["dependencies"]),
        vec![repo.full_id(&a)]
    );

    // Adding it again changes nothing.
    let events = repo.event_count();
    let again: DepChange = parse(&repo.ok(&["dep", "add", &b, "--on", &a]));
    assert!(!again.changed);
    assert_eq!(repo.event_count(), events);

    let c: DepChange = parse(&repo.ok(&["dep", "rm", &b, "--on", &a]));
    assert!(c.changed);
    assert_eq!(IssueView::from_value(&c.issue).state, State::Ready);
    assert!(
        repo.read_issue(&b)["dependencies"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    repo.err(&["dep", "rm", &b, "--on", &a], "not_a_dependency", 2);

    // A dependency on a done issue keeps the issue ready.
    repo.ok(&["issue", "update", &a, "--state", "done"]);
    let c: DepChange = parse(&repo.ok(&["dep", "add", &b, "--on", &a]));
    assert_eq!(IssueView::from_value(&c.issue).state, State::Ready);
}

#[test]
fn a_self_dependency_is_a_cycle_of_one() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let d = repo.err(&["dep", "add", &a, "--on", &a], "cycle", 4);
    assert_eq!(strings(&d["path"]), vec![a.clone(), a.clone()]);
    assert!(
        repo.read_issue(&a)["dependencies"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_two_issue_cycle_is_refused_with_its_path() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let b = repo.create("b", &["--dep", &a]);
    let d = repo.err(&["dep", "add", &a, "--on", &b], "cycle", 4);
    assert_eq!(strings(&d["path"]), vec![a.clone(), b.clone(), a.clone()]);
    assert!(
        repo.read_issue(&a)["dependencies"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_long_cycle_is_refused_with_the_whole_path() {
    let repo = Repo::new();
    // chain[i] depends on chain[i + 1]: c0 -> c1 -> ... -> c5.
    let mut chain = vec![repo.create("c5", &[])];
    for n in (0..5).rev() {
        let next = chain[0].clone();
        chain.insert(0, repo.create(&format!("c{n}"), &["--dep", &next]));
    }
    // A side branch that must not appear in the path.
    let side = repo.create("side", &[]);
    repo.ok(&["dep", "add", &chain[2], "--on", &side]);
    let bytes = std::fs::read(repo.issue_path(&chain[5])).unwrap();
    let d = repo.err(&["dep", "add", &chain[5], "--on", &chain[0]], "cycle", 4);
    let path = strings(&d["path"]);
    let mut want = vec![chain[5].clone()];
    want.extend(chain.iter().cloned());
    assert_eq!(
        path, want,
        "the path walks the whole cycle and returns to its start"
    );
    assert_eq!(path.first(), path.last());
    assert_eq!(std::fs::read(repo.issue_path(&chain[5])).unwrap(), bytes);
    // The message shows it too.
    let (v, _) = repo.json(&["dep", "add", &chain[5], "--on", &chain[0]]);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&want.join(" -> ")),
        "{v:#}"
    );
    // Creating with --dep cannot close a cycle (a new issue has no dependents), and a shortcut
    // edge along the chain's direction is fine.
    repo.ok(&["dep", "add", &chain[0], "--on", &chain[5]]);
}

#[test]
fn a_dependency_on_a_missing_issue_is_not_found() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let d = repo.err(&["dep", "add", &a, "--on", MISSING_ID], "not_found", 3);
    assert_eq!(d["id"], MISSING_ID);
    repo.err(&["dep", "add", &a, "--on", "zzzzzzzz"], "not_found", 3);
    repo.err(
        &["issue", "create", "--title", "x", "--dep", MISSING_ID],
        "not_found",
        3,
    );
    assert_eq!(repo.issue_files().len(), 1);
}

#[test]
fn finishing_dependencies_cascades_through_a_diamond() {
    let repo = Repo::new();
    let d = repo.create("d", &[]);
    let b = repo.create("b", &["--dep", &d]);
    let c = repo.create("c", &["--dep", &d]);
    let a = repo.create("a", &["--dep", &b, "--dep", &c]);
    let state = |id: &str| repo.state(id);
    assert_eq!(
        [state(&d), state(&b), state(&c), state(&a)],
        ["ready", "backlog", "backlog", "backlog"]
    );
    let full = |id: &str| repo.full_id(id);

    let events = repo.event_count();
    let (_, t) = outcome(&repo.ok(&["issue", "update", &d, "--state", "done"]));
    let mut promoted = t.promoted.clone();
    promoted.sort();
    let mut want = vec![full(&b), full(&c)];
    want.sort();
    assert_eq!(promoted, want, "finishing d promotes b and c");
    assert_eq!(
        repo.event_count(),
        events + 3,
        "one event for d and one per promoted dependent"
    );
    assert_eq!(
        [state(&b), state(&c), state(&a)],
        ["ready", "ready", "backlog"]
    );
    let q = repo.ok(&["query", "ready"]);
    let mut ready = short_ids(&q);
    ready.sort();
    let mut want = vec![b.clone(), c.clone()];
    want.sort();
    assert_eq!(ready, want);

    let (_, t) = outcome(&repo.ok(&["issue", "update", &b, "--state", "done"]));
    assert!(t.promoted.is_empty(), "a still waits for c");
    assert_eq!(state(&a), "backlog");
    let blockers = IssueView::from_value(&repo.show(&a)).blocked_by;
    assert_eq!(blockers.len(), 1, "only c blocks a now: {blockers:?}");

    repo.ok(&["issue", "update", &c, "--state", "in_progress"]);
    let (_, t) = outcome(&repo.ok(&["issue", "update", &c, "--state", "done"]));
    assert_eq!(t.promoted, vec![full(&a)]);
    assert_eq!(state(&a), "ready");
    assert!(!IssueView::from_value(&repo.show(&a)).blocked);
    assert!(repo.ok(&["validate"])["ok"].as_bool().unwrap());
}

#[test]
fn create_with_dep_starts_in_backlog_until_the_dep_is_done() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let b = repo.create("b", &["--dep", &a]);
    assert_eq!(repo.state(&b), "backlog");
    repo.ok(&["issue", "update", &a, "--state", "done"]);
    let c = repo.create("c", &["--dep", &a]);
    assert_eq!(repo.state(&c), "ready");
    let d = repo.create("d", &["--dep", &a, "--dep", &b]);
    assert_eq!(repo.state(&d), "backlog");
}

#[test]
fn starting_a_blocked_issue_is_refused_with_its_blockers() {
    let repo = Repo::new();
    let a = repo.create("alpha", &[]);
    let b = repo.create("b", &["--dep", &a]);
    let bytes = std::fs::read(repo.issue_path(&b)).unwrap();
    for target in ["in_progress", "done", "gated", "ready"] {
        let d = repo.err(&["issue", "update", &b, "--state", target], "blocked", 6);
        assert_eq!(d["id"].as_str(), Some(repo.full_id(&b).as_str()));
        let blockers = d["blockers"].as_array().unwrap();
        assert_eq!(blockers.len(), 1, "{d:#}");
        assert_eq!(blockers[0]["kind"], "dependency");
        assert_eq!(blockers[0]["short_id"].as_str(), Some(a.as_str()));
        assert_eq!(blockers[0]["id"].as_str(), Some(repo.full_id(&a).as_str()));
        assert_eq!(blockers[0]["state"], "ready");
        assert_eq!(blockers[0]["title"], "alpha");
    }
    assert_eq!(std::fs::read(repo.issue_path(&b)).unwrap(), bytes);
    // Human output says why.
    let out = repo.jit(&["issue", "update", &b, "--state", "in_progress"]);
    assert_eq!(crate::common::code(&out), 6);
    assert!(
        crate::common::stderr(&out).contains(&a),
        "{}",
        crate::common::stderr(&out)
    );
    // Once a is done, b can start.
    repo.ok(&["issue", "update", &a, "--state", "done"]);
    let (v, _) = outcome(&repo.ok(&["issue", "update", &b, "--state", "in_progress"]));
    assert_eq!(v.state, State::InProgress);
}

#[test]
fn a_done_issue_is_not_reopened_by_update() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let b = repo.create("b", &["--dep", &a]);
    repo.ok(&["issue", "update", &a, "--state", "done"]);
    assert_eq!(repo.state(&b), "ready");
    for target in ["ready", "backlog", "in_progress"] {
        let d = repo.err(
            &["issue", "update", &a, "--state", target],
            "invalid_transition",
            2,
        );
        assert_eq!(
            (d["from"].as_str(), d["to"].as_str()),
            (Some("done"), Some(target))
        );
    }
    assert_eq!(repo.state(&a), "done");
    assert_eq!(repo.state(&b), "ready", "nothing was demoted");
    // The explicit way back is `issue reopen`, which demotes dependents not yet started.
    if crate::common::code(&repo.jit(&["issue", "reopen", "--help"])) != 0 {
        eprintln!("skipping: this jit has no `issue reopen`");
        return;
    }
    repo.err(
        &["issue", "reopen", &a, "--reason", " "],
        "invalid_value",
        2,
    );
    repo.err(
        &["issue", "reopen", &b, "--reason", "not done"],
        "invalid_transition",
        2,
    );
    let (v, t) = outcome(&repo.ok(&["issue", "reopen", &a, "--reason", "regressed"]));
    assert_eq!(v.state, State::Ready);
    assert_eq!(v.reopened, Some(true));
    assert_eq!(t.demoted, vec![repo.full_id(&b)]);
    assert_eq!(repo.state(&b), "backlog");
    let reopened = repo
        .events()
        .into_iter()
        .rev()
        .find(|e| e["type"] == "issue.reopened")
        .expect("issue.reopened event");
    assert_eq!(reopened["issue"].as_str(), Some(repo.full_id(&a).as_str()));
    assert!(repo.ok(&["validate"])["ok"].as_bool().unwrap());
}

#[test]
fn archiving_is_allowed_from_any_open_state() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let b = repo.create("b", &["--dep", &a]);
    let (v, _) = outcome(&repo.ok(&["issue", "update", &b, "--state", "archived"]));
    assert_eq!(v.state, State::Archived);
    assert!(!v.blocked, "a closed issue is not blocked");
    repo.err(
        &["issue", "update", &b, "--state", "done"],
        "invalid_transition",
        2,
    );
    // Unarchiving derives the state again.
    repo.ok(&["issue", "update", &b, "--state", "backlog"]);
    assert_eq!(repo.state(&b), "backlog");
}

/// Builds c -> b -> a (c depends on b, b on a) plus a lone issue d.
fn chain_repo() -> (Repo, [String; 4]) {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let b = repo.create("b", &["--dep", &a]);
    let c = repo.create("c", &["--dep", &b]);
    let d = repo.create("d", &[]);
    (repo, [a, b, c, d])
}

fn tree_ids(t: &TreeNode) -> String {
    if t.children.is_empty() {
        t.id[18..].to_ascii_lowercase()
    } else {
        let kids: Vec<String> = t.children.iter().map(tree_ids).collect();
        format!("{}({})", t.id[18..].to_ascii_lowercase(), kids.join(","))
    }
}

#[test]
fn graph_show_and_downstream_return_trees() {
    let (repo, [a, b, c, d]) = chain_repo();
    let f = |s: &str| repo.full_id(s);
    let up: TreeReply = parse(&repo.ok(&["graph", "show", &c]));
    assert_eq!(up.root, f(&c));
    assert_eq!(up.direction, "upstream");
    let mut nodes: Vec<String> = up.nodes.iter().map(|n| n.short_id.clone()).collect();
    nodes.sort();
    let mut want = vec![a.clone(), b.clone(), c.clone()];
    want.sort();
    assert_eq!(nodes, want, "d is not reachable from c");
    let mut edges = up.edges;
    edges.sort_by(|x, y| (&x.from, &x.to).cmp(&(&y.from, &y.to)));
    let mut want_edges = vec![
        Edge {
            from: f(&c),
            to: f(&b),
        },
        Edge {
            from: f(&b),
            to: f(&a),
        },
    ];
    want_edges.sort_by(|x, y| (&x.from, &x.to).cmp(&(&y.from, &y.to)));
    assert_eq!(edges, want_edges);
    assert_eq!(tree_ids(&up.tree), format!("{c}({b}({a}))"));
    let node_c = up.nodes.iter().find(|n| n.short_id == c).unwrap();
    assert_eq!((node_c.title.as_str(), node_c.state), ("c", State::Backlog));

    let down: TreeReply = parse(&repo.ok(&["graph", "downstream", &a]));
    assert_eq!(down.direction, "downstream");
    assert_eq!(tree_ids(&down.tree), format!("{a}({b}({c}))"));
    assert_eq!(down.edges.len(), 2);
    assert!(
        down.edges.contains(&Edge {
            from: f(&b),
            to: f(&a)
        }),
        "edges keep the depends-on direction"
    );

    let lone: TreeReply = parse(&repo.ok(&["graph", "show", &d]));
    assert_eq!(lone.nodes.len(), 1);
    assert!(lone.edges.is_empty() && lone.tree.children.is_empty());
}

#[test]
fn graph_roots_order_and_critical_path() {
    let (repo, [a, b, c, d]) = chain_repo();
    let ids = |l: &NodeList| {
        l.issues
            .iter()
            .map(|n| n.short_id.clone())
            .collect::<Vec<_>>()
    };

    let roots: NodeList = parse(&repo.ok(&["graph", "roots"]));
    let mut got = ids(&roots);
    got.sort();
    let mut want = vec![a.clone(), d.clone()];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(roots.total, 2);

    let order: NodeList = parse(&repo.ok(&["graph", "order"]));
    let o = ids(&order);
    assert_eq!(o.len(), 4);
    let pos = |s: &String| o.iter().position(|x| x == s).unwrap();
    assert!(
        pos(&a) < pos(&b) && pos(&b) < pos(&c),
        "dependencies come first: {o:?}"
    );

    let cp: NodeList = parse(&repo.ok(&["graph", "critical-path"]));
    assert_eq!(ids(&cp), vec![a.clone(), b.clone(), c.clone()]);
    // Finished work leaves the critical path.
    repo.ok(&["issue", "update", &a, "--state", "done"]);
    let cp: NodeList = parse(&repo.ok(&["graph", "critical-path"]));
    assert_eq!(ids(&cp), vec![b.clone(), c.clone()]);
    // A longer chain elsewhere takes over.
    let e1 = repo.create("e1", &[]);
    let e2 = repo.create("e2", &["--dep", &e1]);
    let e3 = repo.create("e3", &["--dep", &e2]);
    let cp: NodeList = parse(&repo.ok(&["graph", "critical-path"]));
    assert_eq!(ids(&cp), vec![e1, e2, e3]);
}

#[test]
fn exports_contain_every_node_and_edge() {
    let (repo, [a, b, c, d]) = chain_repo();
    let dot = crate::common::stdout(&repo.jit(&["export", "--format", "dot"]));
    assert!(dot.trim_start().starts_with("digraph"), "{dot}");
    assert!(dot.contains(&format!("\"{c}\" -> \"{b}\"")), "{dot}");
    assert!(dot.contains(&format!("\"{b}\" -> \"{a}\"")), "{dot}");
    assert_eq!(dot.matches("->").count(), 2, "{dot}");
    assert!(dot.contains(&format!("\"{d}\"")));
    let mermaid = crate::common::stdout(&repo.jit(&["export", "--format", "mermaid"]));
    assert!(mermaid.starts_with("flowchart"), "{mermaid}");
    assert!(mermaid.contains(&format!("i_{c} --> i_{b}")), "{mermaid}");
    assert!(mermaid.contains(&format!("i_{b} --> i_{a}")), "{mermaid}");
    assert_eq!(mermaid.matches("-->").count(), 2);
    assert!(mermaid.contains(&format!("i_{d}")));
}

#[test]
fn titles_cannot_break_out_of_exports() {
    let repo = Repo::new();
    let a = repo.create("say \"hi\"] --> x; <b> \\", &[]);
    let dot = crate::common::stdout(&repo.jit(&["export", "--format", "dot"]));
    let line = dot
        .lines()
        .find(|l| l.contains(&format!("\"{a}\" [label=")))
        .unwrap();
    let label = line
        .split_once("[label=\"")
        .unwrap()
        .1
        .strip_suffix("\"];")
        .unwrap();
    let unescaped = label.replace("\\\\", "").replace("\\\"", "");
    assert!(
        !unescaped.contains('"'),
        "every quote in a dot label is escaped: {line}"
    );
    let mermaid = crate::common::stdout(&repo.jit(&["export", "--format", "mermaid"]));
    let line = mermaid
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("i_{a}[")))
        .unwrap();
    let label = line
        .split_once("[\"")
        .unwrap()
        .1
        .strip_suffix("\"]")
        .unwrap();
    assert!(
        !label.contains('"'),
        "no raw quote ends a mermaid label early: {line}"
    );
    assert!(
        !label.contains('<'),
        "no raw HTML in a mermaid label: {line}"
    );
}
