//! Writing issues: `issue edit` and `issue create` in `$EDITOR` (driven by scripted editors,
//! including one that changes the issue from another process while "editing"), descriptions
//! from stdin and files, the aliases, `issue close`, and did-you-mean.

use crate::common::{Repo, assert_ok, code, jit_bin, parse_one_object, stderr, stdout};
use crate::tty;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// An executable editor script in the repo's parent directory; `$1` is the file to edit.
fn editor(repo: &Repo, name: &str, body: &str) -> PathBuf {
    let path = repo.path().join(format!(".editor-{name}.sh"));
    std::fs::write(&path, format!("#!/bin/sh\nset -e\nf=\"$1\"\n{body}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

fn edit_with(repo: &Repo, script: &Path, args: &[&str]) -> std::process::Output {
    repo.cmd()
        .args(args)
        .env("EDITOR", script)
        .env_remove("VISUAL")
        .output()
        .unwrap()
}

#[test]
fn an_edit_applies_the_front_matter_the_body_and_the_checklist_as_one_update() {
    let repo = Repo::new();
    let id = repo.create(
        "Fix login",
        &[
            "--desc",
            "Users cannot log in.\n\n- [ ] reproduce\n- [ ] fix",
            "--label",
            "auth",
        ],
    );
    let before = repo.show(&id);
    let items: Vec<Value> = before["checklist"].as_array().unwrap().clone();
    let events = repo.event_count();
    let script = editor(
        &repo,
        "change",
        r#"sed -i -e 's/^title: .*/title: "Fix login on Safari: session cookie"/' \
  -e 's/^priority: normal/priority: high/' \
  -e 's/^labels: \[auth\]/labels: [auth, safari]/' \
  -e 's/^milestone:$/milestone: v1.2/' \
  -e 's/^- \[ \] reproduce/- [x] reproduce/' \
  -e 's/^Users cannot log in./Users of Safari cannot log in./' "$f"
printf -- '- [ ] add a regression test\n' >> "$f""#,
    );
    let out = edit_with(&repo, &script, &["issue", "edit", &id, "--json"]);
    assert_ok(&out);
    let v = parse_one_object(&out);
    assert_eq!(v["changed"], true);
    assert_eq!(v["title"], "Fix login on Safari: session cookie");
    assert_eq!(v["priority"], "high");
    assert_eq!(v["labels"], serde_json::json!(["auth", "safari"]));
    assert_eq!(v["milestone"], "v1.2");
    assert_eq!(
        v["version"],
        before["version"].as_u64().unwrap() + 1,
        "one update"
    );
    assert!(
        v["description"]
            .as_str()
            .unwrap()
            .starts_with("Users of Safari cannot log in.")
    );
    let after: Vec<&Value> = v["checklist"].as_array().unwrap().iter().collect();
    assert_eq!(after.len(), 3);
    // The items that were there keep their ids; the ticked one records who ticked it.
    assert_eq!(after[0]["id"], items[0]["id"]);
    assert_eq!(
        (after[0]["text"].as_str(), after[0]["checked"].as_bool()),
        (Some("reproduce"), Some(true))
    );
    assert_eq!(after[0]["checked_by"], "human:tester");
    assert_eq!(after[1]["id"], items[1]["id"]);
    assert_eq!(after[2]["text"], "add a regression test");
    let new_events = &repo.events()[events..];
    assert_eq!(new_events.len(), 1, "one event: {new_events:#?}");
    assert_eq!(new_events[0]["type"], "issue.updated");
}

#[test]
fn an_unchanged_file_changes_nothing_and_an_emptied_one_aborts() {
    let repo = Repo::new();
    let id = repo.create("Stable", &["--desc", "Done.\n- [x] done already"]);
    let file = std::fs::read(repo.issue_path(&id)).unwrap();
    let events = repo.event_count();
    let same = edit_with(&repo, Path::new("true"), &["issue", "edit", &id]);
    assert_ok(&same);
    assert_eq!(stdout(&same), format!("no changes to {id}\n"));
    let empty = editor(&repo, "empty", ": > \"$f\"");
    let out = edit_with(&repo, &empty, &["issue", "edit", &id, "--json"]);
    assert_eq!(code(&out), 2);
    assert_eq!(parse_one_object(&out)["error"]["code"], "aborted");
    let failing = edit_with(&repo, Path::new("false"), &["issue", "edit", &id, "--json"]);
    assert_eq!(code(&failing), 2);
    assert_eq!(parse_one_object(&failing)["error"]["code"], "editor_failed");
    assert_eq!(std::fs::read(repo.issue_path(&id)).unwrap(), file);
    assert_eq!(repo.event_count(), events);
}

#[test]
fn a_change_made_while_editing_is_a_conflict_and_the_edited_text_is_kept() {
    let repo = Repo::new();
    let id = repo.create("Original title", &[]);
    // The "editor" changes the issue from another process first, as a teammate or an agent
    // would while the file is open, then saves its own edit.
    let script = editor(
        &repo,
        "race",
        &format!(
            "'{}' issue update {id} --priority low --actor agent:other >/dev/null\nsed -i 's/^title: .*/title: My careful rewrite/' \"$f\"",
            jit_bin().display()
        ),
    );
    let out = edit_with(&repo, &script, &["issue", "edit", &id, "--json"]);
    assert_eq!(code(&out), 4, "{}", stdout(&out));
    let err = parse_one_object(&out)["error"].clone();
    assert_eq!(err["code"], "version_conflict");
    assert_eq!(
        (
            err["details"]["expected"].as_u64(),
            err["details"]["actual"].as_u64()
        ),
        (Some(1), Some(2))
    );
    let saved = PathBuf::from(err["details"]["saved"].as_str().unwrap());
    let kept = std::fs::read_to_string(&saved).unwrap();
    assert!(kept.contains("title: My careful rewrite"), "{kept}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains(&saved.display().to_string())
    );
    // Nothing was overwritten: the concurrent change stands, the title is the old one.
    let now = repo.show(&id);
    assert_eq!(
        (now["title"].as_str(), now["priority"].as_str()),
        (Some("Original title"), Some("low"))
    );
    // The kept text is applied on top of the issue as it is now.
    let keep_low = editor(
        &repo,
        "merge",
        "sed -i 's/^priority: .*/priority: low/' \"$f\"",
    );
    let out = edit_with(
        &repo,
        &keep_low,
        &[
            "issue",
            "edit",
            &id,
            "--from",
            saved.to_str().unwrap(),
            "--json",
        ],
    );
    assert_ok(&out);
    let v = parse_one_object(&out);
    assert_eq!(
        (v["title"].as_str(), v["priority"].as_str()),
        (Some("My careful rewrite"), Some("low"))
    );
    let _ = std::fs::remove_file(saved);
}

#[test]
fn a_draft_that_cannot_be_applied_is_refused_and_kept() {
    let repo = Repo::new();
    let id = repo.create("Typo", &[]);
    let script = editor(
        &repo,
        "typo",
        "sed -i 's/^priority: normal/priorty: high/' \"$f\"",
    );
    let out = edit_with(&repo, &script, &["issue", "edit", &id, "--json"]);
    assert_eq!(code(&out), 2);
    let e = parse_one_object(&out);
    assert_eq!(e["error"]["code"], "invalid_value");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`priorty` is not a field")
    );
    let warn = stderr(&out);
    let path = warn
        .split('`')
        .find(|p| p.ends_with(".md"))
        .unwrap_or_else(|| panic!("the kept file is named: {warn}"));
    assert!(
        std::fs::read_to_string(path)
            .unwrap()
            .contains("priorty: high")
    );
    assert_eq!(repo.show(&id)["version"], 1);
    let bad_value = editor(&repo, "bad", "sed -i 's/^due:$/due: next tuesday/' \"$f\"");
    let out = edit_with(&repo, &bad_value, &["issue", "edit", &id, "--json"]);
    assert_eq!(parse_one_object(&out)["error"]["details"]["field"], "due");
    let _ = std::fs::remove_file(path);
}

#[test]
fn create_without_a_title_writes_the_issue_in_the_editor_on_a_terminal() {
    let repo = Repo::new();
    let script = editor(
        &repo,
        "new",
        "sed -i 's/^title:.*/title: Written in the editor/' \"$f\"\nprintf '\\nWhy it matters.\\n\\n- [ ] first step\\n' >> \"$f\"",
    );
    let mut cmd = repo.cmd();
    cmd.args([
        "issue",
        "create",
        "--label",
        "from-flags",
        "--priority",
        "high",
    ])
    .env("EDITOR", &script)
    .env_remove("VISUAL");
    let screen = tty::run(cmd, 100);
    assert_eq!(screen.code, 0, "{}", screen.text);
    assert!(screen.text.contains("created "), "{}", screen.text);
    let list = repo.ok(&["issue", "list", "--full"]);
    let v = &list["issues"][0];
    assert_eq!(v["title"], "Written in the editor");
    assert_eq!(
        v["labels"],
        serde_json::json!(["from-flags"]),
        "flags fill the template"
    );
    assert_eq!(v["priority"], "high");
    assert_eq!(v["description"], "Why it matters.\n\n- [ ] first step");
    assert_eq!(v["checklist"][0]["text"], "first step");
    // In a pipe there is no one to edit: a usage error, nothing created.
    let out = repo.jit(&["issue", "create", "--json"]);
    assert_eq!(code(&out), 2);
    assert!(
        parse_one_object(&out)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--title")
    );
    // --edit asks for the editor anyway; a template left without a title creates nothing.
    let out = edit_with(
        &repo,
        Path::new("true"),
        &["issue", "create", "--edit", "--json"],
    );
    assert_eq!(parse_one_object(&out)["error"]["code"], "aborted");
    assert_eq!(repo.ok(&["issue", "list"])["total"], 1);
}

#[test]
fn descriptions_come_from_stdin_or_a_file() {
    use std::io::Write;
    let repo = Repo::new();
    let run_stdin = |args: &[&str], input: &str| {
        let mut child = repo
            .cmd()
            .args(args)
            .arg("--json")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_ok(&out);
        parse_one_object(&out)
    };
    let v = run_stdin(
        &["issue", "create", "--title", "From stdin", "--desc", "-"],
        "Line one.\n- [ ] item\n",
    );
    assert_eq!(v["description"], "Line one.\n- [ ] item\n");
    assert_eq!(v["checklist"][0]["text"], "item");
    let id = v["short_id"].as_str().unwrap().to_string();
    let file = repo.path().join("desc.md");
    std::fs::write(&file, "From a file.").unwrap();
    let v = repo.ok(&[
        "issue",
        "update",
        &id,
        "--desc-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(v["description"], "From a file.");
    let v = run_stdin(
        &["issue", "update", &id, "--desc-file", "-"],
        "Piped again.",
    );
    assert_eq!(v["description"], "Piped again.");
    let v = run_stdin(
        &["issue", "comment", &id, "--body", "-"],
        "A comment from stdin",
    );
    assert_eq!(v["comment"]["body"], "A comment from stdin");
    repo.err(
        &["issue", "update", &id, "--desc-file", "/nonexistent/x.md"],
        "io",
        1,
    );
    repo.err(
        &["issue", "update", &id, "--desc", "x", "--desc-file", "y"],
        "usage",
        2,
    );
    let big = "x".repeat(256 * 1024 + 1);
    std::fs::write(&file, &big).unwrap();
    repo.err(
        &[
            "issue",
            "update",
            &id,
            "--desc-file",
            file.to_str().unwrap(),
        ],
        "invalid_value",
        2,
    );
    assert_eq!(repo.show(&id)["description"], "Piped again.");
}

#[test]
fn aliases_close_and_did_you_mean() {
    let repo = Repo::new();
    let v = repo.ok(&["issue", "new", "--title", "via new"]);
    let id = v["short_id"].as_str().unwrap().to_string();
    assert_eq!(repo.ok(&["issue", "view", &id])["title"], "via new");
    let ls = stdout(&repo.jit(&["ls"]));
    assert!(ls.contains("via new"), "{ls}");
    assert_eq!(repo.ok(&["ls"])["total"], 1);
    // close: done, through the gates, with the reason in the event.
    repo.define_gate("review", &[]);
    let gated = repo.create("needs review", &["--gate", "review"]);
    let v = repo.ok(&["issue", "close", &gated, "--reason", "shipped in 1.2"]);
    assert_eq!(v["state"], "gated");
    assert_eq!(v["pending_gates"], serde_json::json!(["review"]));
    let last = repo.events().last().unwrap().clone();
    assert_eq!(last["data"]["reason"], "shipped in 1.2");
    let log = stdout(&repo.jit(&["issue", "log", &gated]));
    assert!(log.contains("reason: shipped in 1.2"), "{log}");
    repo.err(&["issue", "close", &id, "--archive"], "invalid_value", 2);
    let v = repo.ok(&["issue", "close", &id, "--archive", "--reason", "duplicate"]);
    assert_eq!(v["state"], "archived");
    // A top-level word that is an issue command says which one was meant.
    let out = repo.jit(&["show", &id]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("did you mean `jit issue show`?"),
        "{}",
        stderr(&out)
    );
    let (e, c) = repo.json(&["new", "--title", "x"]);
    assert_eq!(c, 2);
    assert_eq!(e["error"]["code"], "usage");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`jit issue new`"),
        "{e:#}"
    );
    let out = repo.jit(&["list"]);
    assert!(
        stderr(&out).contains("`jit ls` or `jit issue list`"),
        "{}",
        stderr(&out)
    );
    // Within `issue`, clap suggests the nearest name, aliases included.
    let out = repo.jit(&["issue", "veiw", &id]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("view"), "{}", stderr(&out));
}
