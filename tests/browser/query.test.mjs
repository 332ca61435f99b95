// The query language as the page evaluates it (app.js, `JitQuery`) against `jit issue list
// --filter` on the same store at the same `now`: the same issues in the same order for every
// query, and for every malformed one the same error position and token (the whole error table
// of docs/query.md included).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { jit, ok } from "./lib.mjs";
import { project } from "./fixture.mjs";

const require = createRequire(import.meta.url);
const { JitQuery } = require("../../src/export/web/app.js");
const NOW = "2026-12-01T12:00:00Z";
let p, issues;

before(() => {
  p = project({ expiring: false });
  ok(p.dir, ["issue", "update", p.ids.idea, "--due", "2026-11-30", "--estimate", "2.5", "--add-label", "İstanbul"]);
  ok(p.dir, ["issue", "update", p.ids.docs, "--due", "2027-01-15", "--estimate", "8"]);
  ok(p.dir, ["issue", "update", p.ids.creds, "--state", "archived"]);
  issues = ok(p.dir, ["issue", "list", "--full"], { JIT_NOW: NOW }).issues;
});
after(() => { if (p) { p.cleanup(); } });

function cli(q) {
  const r = jit(p.dir, ["issue", "list", "--filter=" + q, "--json"], { JIT_NOW: NOW });
  if (r.code === 0) { return { ids: r.json.issues.map((i) => i.id) }; }
  assert.equal(r.json.error.code, "invalid_query", `${q}: ${r.stdout}`);
  return { error: { position: r.json.error.details.position, token: r.json.error.details.token } };
}
function page(q) {
  try { return { ids: JitQuery.filter(q, issues, Date.parse(NOW)).map((i) => i.id) }; } catch (e) {
    if (!(e instanceof JitQuery.QueryError)) { throw e; }
    return { error: { position: e.position, token: e.token } };
  }
}

const QUERIES = [
  "", "label:ui -type:bug", "label:ui", "-label:ui", "label:UI", "label:u*", "label:*i", "label:İSTANBUL", "label:i̇stanbul", "label:istanbul",
  "state:ready", "state:in-progress", "state:ready|in_progress", "-state:done", "state:archived", "is:open", "is:closed", "-is:closed", "is:ready", "-is:ready", "is:ready type:epic", "is:ready|closed",
  "priority:high", "priority:>=high", "priority:<normal", "priority:low|>=high", "type:feature|improvement", "type:BUG",
  "milestone:\"M1: Core\"", "milestone:M*", "milestone:none", "-milestone:none", "milestone:\"none\"",
  "assignee:agent:*", "assignee:none", "assignee:human:alice", "reporter:human:*", "reporter:none",
  "text:drag", "drag", "\"snap back\"", "text:\"snap back\"", "text:snap*back", "title:store", "title:\"the store\"", "login|store", "-text:the",
  "blocked:true", "blocked:false", "-blocked:true", "has:pr", "has:assignee", "-has:assignee", "has:labels", "has:deps", "has:gates", "has:milestone",
  "has:due", "has:parent", "has:comments", "has:checklist", "has:lease", "has:estimate", "has:dependencies", "gate:review", "gate:t*", "-gate:tests",
  "due:<2027-01-01", "due:>=2026-11-30", "due:2026-11-30", "-due:<2026-12-01", "due:<=2026-1-5", "estimate:>3", "estimate:<=2.5", "estimate:<1|>=8", "estimate:=2.5",
  "created:<1h", "created:>1h", "created:>=2026-01-01", "created:<2026-01-01", "updated:<=2099-01-01T00:00:00Z", "updated:>2020-05-01T12:00:00+02:00",
  "id:" + "0", "parent:none", "-parent:none",
  "sort:-priority", "sort:title", "sort:-title", "sort:due", "sort:-due", "sort:estimate", "sort:-estimate", "sort:state", "sort:-state", "sort:created", "sort:-updated", "sort:id",
  "is:open sort:-priority sort:created", "label:ui sort:-priority sort:title", "State:READY", "PRIORITY:>=HIGH",
  // malformed
  "colour:red", "state:doing", "priority:>=urgent", "label:>x", "state:", "title:\"\"", "priority:>=", "state:ready|", "milestone:\"Phase 1", "- label:x",
  ":ready", "blocked:maybe", "is:done", "has:wings", "created:7d", "created:>yesterday", "due:<7d", "estimate:>three", "id:hello!", "parent:../x",
  "state:read*", "id:01*", "sort:colour", "-sort:priority", "sort:priority|due", "text:*", "|x", "a||b", "label:ui  -", "\"unterminated", "estimate:>1e999",
];

test("the page's query language answers as `jit issue list --filter` does", () => {
  const pi = issues.find((i) => i.parent);
  const extra = [`id:${issues[0].short_id}`, `id:${issues[0].id.slice(0, 12)}`, `parent:${pi.parent.slice(-8).toLowerCase()}`, `-parent:${pi.parent}`];
  let n = 0, telling = 0, errors = 0;
  for (const q of QUERIES.concat(extra)) {
    const want = cli(q);
    assert.deepEqual(page(q), want, `query ${JSON.stringify(q)}`);
    if (want.error) { errors++; } else if (want.ids.length > 0 && want.ids.length < issues.length) { telling++; }
    n++;
  }
  // The comparison means something: most queries select some issues and not others.
  assert.ok(n > 120 && telling > 60 && errors > 25, `${n} queries, ${telling} selective, ${errors} errors`);
});

test("every malformed query of docs/query.md fails in the page at the documented token", () => {
  const doc = readFileSync(new URL("../../docs/query.md", import.meta.url), "utf8");
  const table = doc.split("What is an error:")[1].split("Unknown keys are errors")[0];
  const code = (cell) => cell.split("`").filter((_, k) => k % 2 === 1).map((s) => s.replace(/\\\|/g, "|"));
  let rows = 0;
  for (const line of table.split("\n").filter((l) => l.startsWith("| `"))) {
    const cells = line.split(" | ");
    const inputs = code(cells[0]), tokens = code(cells[2]);
    inputs.forEach((input, k) => {
      const got = page(input);
      assert.ok(got.error, `${input} is an error in the page`);
      assert.equal(got.error.token, tokens[k], input);
      assert.deepEqual(got, cli(input), input);
      rows++;
    });
  }
  assert.ok(rows >= 20, `${rows} documented errors`);
});
