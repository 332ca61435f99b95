// A realistic small project for the browser tests and the screenshots, built with the real CLI:
// three milestones, an epic with sub-tasks, dependencies, gates (one failed), comments, a
// checklist, claims with leases (one about to expire), and a hostile title.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ok, create, repo } from "./lib.mjs";

export const HOSTILE = `<img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=1</script>`;

export function project({ hostile = true, expiring = true } = {}) {
  const r = repo("acme");
  const d = r.dir;
  ok(d, ["gate", "define", "review", "--title", "Code review"]);
  ok(d, ["gate", "define", "tests", "--title", "Tests pass", "--auto"]);
  ok(d, ["gate", "define", "design", "--title", "Design agreed", "--stage", "precheck"]);
  const ids = {};
  const c = (name, title, extra = []) => { ids[name] = create(d, title, extra); return ids[name]; };
  c("epic", "Storage engine", ["--type", "epic", "--milestone", "M1: Core", "--due", "2026-03-01", "--desc", "The store: files, locks and the event log.\n\n- [ ] crash-safe writes\n- [ ] one lock per mutation"]);
  c("format", "Design the file format", ["--type", "feature", "--milestone", "M1: Core", "--priority", "high", "--parent", ids.epic, "--label", "core"]);
  c("store", "Write the store", ["--type", "feature", "--milestone", "M1: Core", "--priority", "critical", "--parent", ids.epic, "--dep", ids.format, "--gate", "tests", "--gate", "review", "--label", "core"]);
  c("lock", "Advisory lock for mutations", ["--type", "feature", "--milestone", "M1: Core", "--parent", ids.epic, "--dep", ids.format, "--label", "core"]);
  c("cli", "Command-line interface", ["--type", "feature", "--milestone", "M2: Console", "--due", "2026-06-01", "--dep", ids.store, "--label", "cli"]);
  c("board", "Kanban board for the console", ["--type", "feature", "--milestone", "M2: Console", "--label", "ui", "--desc", "Drag cards between columns; **state changes** go through the API.\n\nSee [the docs](https://example.com/docs)."]);
  c("dark", "Dark mode for the console", ["--type", "improvement", "--milestone", "M2: Console", "--label", "ui", "--priority", "low"]);
  c("uibug", "Tabs clipped at 390 px", ["--type", "bug", "--milestone", "M2: Console", "--label", "ui", "--priority", "high"]);
  c("search", "Search box takes the query language", ["--type", "feature", "--milestone", "M2: Console", "--label", "ui", "--gate", "design"]);
  c("docs", "User guide", ["--type", "chore", "--milestone", "M3: Polish", "--dep", ids.cli]);
  c("themes", "Colour themes", ["--type", "improvement", "--milestone", "M3: Polish", "--priority", "low", "--label", "ui"]);
  c("creds", "Rotate CI credentials", ["--type", "chore", "--visibility", "internal"]);
  c("flaky", "Flaky sync test on slow disks", ["--type", "bug", "--label", "ci", "--gate", "tests"]);
  c("idea", "Someday: a TUI", ["--type", "task"]);
  if (hostile) { c("hostile", HOSTILE, ["--label", "ui", "--desc", "Look: <img src=x onerror=alert(2)> and [x](javascript:alert(3))\n\n<script>alert(4)</script>"]); }

  ok(d, ["issue", "update", ids.format, "--state", "done"]);
  ok(d, ["issue", "claim", ids.store, "--actor", "agent:copilot-1", "--ttl", "2h"]);
  ok(d, ["issue", "update", ids.store, "--state", "done", "--actor", "agent:copilot-1"]);
  ok(d, ["gate", "pass", ids.store, "tests", "--actor", "ci:github"]);
  ok(d, ["issue", "claim", ids.board, "--actor", "agent:claude-2", "--ttl", "45m"]);
  ok(d, ["issue", "comment", ids.board, "--body", "Started on the drag and drop; **snap back** on refusal.", "--actor", "agent:claude-2"]);
  ok(d, ["issue", "comment", ids.board, "--body", "Keep the keyboard path too.", "--actor", "human:alice"]);
  ok(d, ["checklist", "add", ids.board, "--item", "drag = state change"]);
  ok(d, ["checklist", "add", ids.board, "--item", "refusal snaps back"]);
  ok(d, ["checklist", "check", ids.board, "--item", "drag = state change"]);
  ok(d, ["issue", "claim", ids.flaky, "--actor", "agent:copilot-1", "--ttl", "3h"]);
  ok(d, ["gate", "fail", ids.flaky, "tests", "--actor", "ci:github", "--note", "timeout in sync::retry"]);
  ok(d, ["issue", "update", ids.themes, "--state", "done"]);
  ok(d, ["issue", "assign", ids.dark, "--to", "human:alice"]);
  if (expiring) { ok(d, ["issue", "claim", ids.uibug, "--actor", "agent:stale-bot", "--ttl", "1s"]); }
  return { ...r, ids };
}

/** Adds `n` issues in epics of 12 with dependency chains inside each (for the graph at scale). */
export function bulk(dir, n) {
  let prev = null;
  for (let k = 0; k < n; k++) {
    const extra = ["--milestone", `M${1 + Math.floor(k / 100)}: Wave`, "--type", k % 9 === 0 ? "bug" : "task"];
    if (prev && k % 12 !== 0) { extra.push("--dep", prev); }
    const id = create(dir, `Bulk work item ${k}`, extra);
    if (k % 12 < 4) { ok(dir, ["issue", "update", id, "--state", "done"]); }
    prev = id;
  }
}

function git(cwd, args) {
  const r = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (r.status !== 0) { throw new Error(`git ${args.join(" ")} exited ${r.status}: ${r.stderr}`); }
}

/** The description one clone writes before the merge; longer than the 200 characters a
 * merge-conflict record keeps of a discarded value. */
export const LONG_PLAN = "The first plan: " + "keep every write crash-safe, ".repeat(12).trim();

/** Two clones of one bare remote edit the same issue's title, description, estimate and
 * assignee; `jit sync` in each merges them through jit's merge driver, which keeps one value of
 * each and records what it discarded in the issue's `merge_conflicts`. Returns clone `b` (which
 * holds the merged issue) with the short id, and `quiet`, an issue no merge touched. */
export function conflicted() {
  const root = mkdtempSync(join(tmpdir(), "jit-merge-"));
  const a = join(root, "a"), b = join(root, "b");
  const who = (dir, name) => { git(dir, ["config", "user.name", name]); git(dir, ["config", "user.email", name + "@example.com"]); };
  git(root, ["init", "-q", "--bare", "-b", "main", "remote.git"]);
  git(root, ["init", "-q", "-b", "main", "a"]);
  who(a, "a");
  ok(a, ["init", "--name", "acme"]);
  git(a, ["remote", "add", "origin", "../remote.git"]);
  ok(a, ["sync"]);
  git(root, ["clone", "-q", "remote.git", "b"]);
  who(b, "b");
  ok(b, ["git", "install"]);
  const id = create(a, "Original title", ["--desc", "To be planned.", "--milestone", "M1: Core"]);
  const quiet = create(a, "A quiet neighbour", ["--milestone", "M1: Core"]);
  ok(a, ["sync"]);
  ok(b, ["sync"]);
  // Clone a first, then clone b: b's later edits win the plain fields, a's earlier claim stands.
  ok(a, ["issue", "update", id, "--title", "Title from a", "--desc", LONG_PLAN, "--estimate", "3"]);
  ok(a, ["issue", "assign", id, "--to", "human:alice"]);
  ok(b, ["issue", "update", id, "--title", "Title from b", "--desc", "The second plan.", "--estimate", "5"]);
  ok(b, ["issue", "assign", id, "--to", "human:bob"]);
  ok(a, ["sync"]);
  ok(b, ["sync"]);
  return { dir: b, id, quiet, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
