//! Many processes at once: the store lock must serialise every read-check-write, so concurrent
//! creates never collide, concurrent updates of one issue never lose a write, racing edges never
//! close a cycle, and readers never see a half-written file.

use crate::common::{Repo, code, parse_one_object, stderr, stdout};
use crate::contract::{IssueView, ListPage, ValidateReport};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};

const PROCS: usize = 8;

#[test]
fn parallel_creates_make_every_issue_exactly_once() {
    const EACH: usize = 25;
    let repo = Repo::new();
    let barrier = Barrier::new(PROCS);
    let created: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..PROCS)
            .map(|p| {
                let (repo, barrier) = (&repo, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    (0..EACH)
                        .map(|n| {
                            let out = repo
                                .cmd()
                                .args([
                                    "issue",
                                    "create",
                                    "--title",
                                    &format!("p{p} n{n}"),
                                    "--json",
                                ])
                                .output()
                                .unwrap();
                            assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
                            parse_one_object(&out)["short_id"]
                                .as_str()
                                .unwrap()
                                .to_string()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let total = PROCS * EACH;
    assert_eq!(created.len(), total);
    assert_eq!(
        created.iter().collect::<HashSet<_>>().len(),
        total,
        "every create returned a distinct short id"
    );

    let files = repo.issue_files();
    assert_eq!(
        files.len(),
        total,
        "exactly one file per issue, no temp files left"
    );
    assert!(
        files
            .iter()
            .all(|f| f.ends_with(".json") && !f.starts_with('.'))
    );

    let events = repo.events();
    assert_eq!(events.len(), total);
    assert!(events.iter().all(|e| e["type"] == "issue.created"));
    let event_ids: HashSet<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(event_ids.len(), total, "event ids are unique");

    let page = ListPage::from_value(&repo.ok(&["issue", "list"]));
    assert_eq!(page.total, total);
    assert!(page.problems.is_empty());
    let shorts: HashSet<String> = page
        .issues
        .iter()
        .map(|i| i["short_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        shorts,
        created.into_iter().collect::<HashSet<_>>(),
        "short ids are unique and match what create printed"
    );
    let titles: HashSet<String> = page
        .issues
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(titles.len(), total);

    let report = ValidateReport::from_value(&repo.ok(&["validate"]));
    assert!(report.ok && report.problems.is_empty(), "{report:#?}");
    assert_eq!(report.events_checked, total);
}

#[test]
fn parallel_updates_of_one_issue_lose_nothing() {
    const EACH: usize = 20;
    let repo = Repo::new();
    let id = repo.create("hot", &[]);
    let done = AtomicBool::new(false);
    let barrier = Barrier::new(PROCS + 1);
    std::thread::scope(|s| {
        // A reader that must never see a torn or missing file while the writers run.
        let reader = {
            let (repo, id, done, barrier) = (&repo, &id, &done, &barrier);
            s.spawn(move || {
                barrier.wait();
                let mut reads = 0;
                while !done.load(Ordering::SeqCst) {
                    let out = repo
                        .cmd()
                        .args(["issue", "show", id, "--json"])
                        .output()
                        .unwrap();
                    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
                    IssueView::from_value(&parse_one_object(&out));
                    reads += 1;
                }
                reads
            })
        };
        let writers: Vec<_> = (0..PROCS)
            .map(|p| {
                let (repo, id, barrier) = (&repo, &id, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    for n in 0..EACH {
                        let kv = format!("k{p}_{n}=v{p}_{n}");
                        let out = repo
                            .cmd()
                            .args(["issue", "update", id, "--context", &kv, "--json"])
                            .output()
                            .unwrap();
                        assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
        assert!(reader.join().unwrap() > 0);
    });
    let v = IssueView::from_value(&repo.show(&id));
    assert_eq!(v.context.len(), PROCS * EACH, "every write survived");
    for p in 0..PROCS {
        for n in 0..EACH {
            assert_eq!(
                v.context.get(&format!("k{p}_{n}")).map(String::as_str),
                Some(format!("v{p}_{n}").as_str())
            );
        }
    }
    assert_eq!(
        v.version,
        1 + (PROCS * EACH) as u64,
        "one version per write"
    );
    let updates = repo
        .events()
        .iter()
        .filter(|e| e["type"] == "issue.updated")
        .count();
    assert_eq!(updates, PROCS * EACH);
    assert!(repo.issue_files().iter().all(|f| !f.ends_with(".tmp")));
}

#[test]
fn racing_edges_never_close_a_cycle() {
    const ROUNDS: usize = 6;
    let repo = Repo::new();
    for _ in 0..ROUNDS {
        let a = repo.create("a", &[]);
        let b = repo.create("b", &[]);
        let barrier = Arc::new(Barrier::new(2));
        let codes: Vec<i32> = std::thread::scope(|s| {
            let hs: Vec<_> = [(&a, &b), (&b, &a)]
                .into_iter()
                .map(|(x, y)| {
                    let (repo, barrier) = (&repo, barrier.clone());
                    s.spawn(move || {
                        barrier.wait();
                        code(
                            &repo
                                .cmd()
                                .args(["dep", "add", x, "--on", y, "--json"])
                                .output()
                                .unwrap(),
                        )
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut sorted = codes.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            [0, 4],
            "exactly one edge wins, the other is refused as a cycle: {codes:?}"
        );
    }
    let report = ValidateReport::from_value(&repo.ok(&["validate"]));
    assert!(report.ok && report.problems.is_empty(), "{report:#?}");
}

#[test]
fn a_running_checker_does_not_hold_the_store_lock() {
    let repo = Repo::new();
    // The checker waits until the test creates `go`, so it cannot finish before that.
    repo.define_gate(
        "wait",
        &[
            "--auto",
            "--checker",
            "touch started; while [ ! -f go ]; do sleep 0.05; done",
            "--timeout",
            "60",
        ],
    );
    let a = repo.create("a", &["--gate", "wait"]);
    let mut check = repo
        .cmd()
        .args(["gate", "check", &a, "--json"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = repo.path().join("started");
    for _ in 0..1500 {
        if started.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(started.exists(), "the checker started");
    // Writers proceed while the checker runs (this would wait for the checker's timeout if
    // `gate check` held the lock).
    let b = repo.create("b", &[]);
    repo.ok(&[
        "issue",
        "update",
        &a,
        "--title",
        "a, renamed while its checker runs",
    ]);
    assert!(
        check.try_wait().unwrap().is_none(),
        "the checker is still waiting"
    );
    std::fs::write(repo.path().join("go"), b"").unwrap();
    let out = check.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let v = IssueView::from_value(&repo.show(&a));
    assert_eq!(
        v.title, "a, renamed while its checker runs",
        "the check result did not overwrite the rename"
    );
    assert_eq!(
        v.gates_status["wait"].status,
        crate::contract::GateState::Passed
    );
    assert_eq!(repo.state(&b), "ready");
}

#[test]
fn killed_writers_leave_no_torn_files_and_no_stuck_lock() {
    const ROUNDS: u64 = 24;
    let repo = Repo::new();
    let keep = repo.create("keep", &[]);
    std::thread::scope(|s| {
        for t in 0..2u64 {
            let (repo, keep) = (&repo, &keep);
            s.spawn(move || {
                for n in 0..ROUNDS {
                    let title = format!("t{t} n{n}");
                    let kv = format!("k{t}_{n}=v");
                    let args = if n % 2 == 0 {
                        vec!["issue", "create", "--title", &title, "--json"]
                    } else {
                        vec!["issue", "update", keep, "--context", &kv, "--json"]
                    };
                    let mut child = repo
                        .cmd()
                        .args(args)
                        .stdout(std::process::Stdio::null())
                        .stderr(std::process::Stdio::null())
                        .spawn()
                        .unwrap();
                    // Kill at varying points of the process's life (SIGKILL on Unix).
                    std::thread::sleep(std::time::Duration::from_millis((n * 7 + t * 3) % 20));
                    let _ = child.kill();
                    child.wait().unwrap();
                }
            });
        }
    });
    // Every issue file that exists is whole.
    let page = ListPage::from_value(&repo.ok(&["issue", "list"]));
    assert!(page.problems.is_empty(), "{:?}", page.problems);
    // The lock was released by the kernel: writes still work.
    repo.create("after", &[]);
    repo.ok(&["issue", "update", &keep, "--title", "still writable"]);
    // Whatever a kill left behind (temp files, a torn event line) is repairable.
    repo.ok(&["validate", "--fix"]);
    let report = ValidateReport::from_value(&repo.ok(&["validate"]));
    assert!(report.ok && report.problems.is_empty(), "{report:#?}");
}
