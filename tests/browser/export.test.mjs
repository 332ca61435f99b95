// The static export (`jit export web`) in a real browser from file://: the same front-end, read
// only, with the query language evaluated in the page, filters kept in the URL (and a changed
// #hash applied), every view at 390 px without sideways scrolling, hostile text inert, and what
// merges discarded shown read-only (and left out of a --public export).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { browser, page, ok, jit } from "./lib.mjs";
import { readFileSync, writeFileSync } from "node:fs";
import { project, conflicted } from "./fixture.mjs";

let b, p, index;
before(async () => {
  p = project({ expiring: false });
  ok(p.dir, ["export", "web", "--out", "site"]);
  index = "file://" + join(p.dir, "site", "index.html");
  b = await browser();
});
after(async () => { if (b) { await b.close(); } if (p) { p.cleanup(); } });

const rows = (pg) => pg.$$eval("tr[data-id]", (rs) => rs.map((r) => r.dataset.id).sort());

test("search takes the query language in the static page, and the #hash drives the view", async () => {
  const pg = await page(b);
  await pg.goto(index + "#/list");
  await pg.waitForSelector("tr[data-id]");
  await pg.getByTestId("search").fill("label:ui -type:bug");
  await pg.keyboard.press("Enter");
  const want = ok(p.dir, ["issue", "list", "--filter", "label:ui -type:bug -state:archived"]).issues.map((i) => i.short_id).sort();
  await pg.waitForFunction((n) => document.querySelectorAll("tr[data-id]").length === n, want.length);
  assert.deepEqual(await rows(pg), want);
  // Changing the hash by hand applies it: another query, a filter menu, a sort.
  await pg.evaluate(() => { location.hash = "#/list?priority=low&sort=-title"; });
  const low = ok(p.dir, ["issue", "list", "--filter", "priority:low -state:archived sort:-title"]).issues.map((i) => i.short_id);
  await pg.waitForFunction((n) => document.querySelectorAll("tr[data-id]").length === n, low.length);
  assert.deepEqual(await pg.$$eval("tr[data-id]", (rs) => rs.map((r) => r.dataset.id)), low, "sorted by title, descending");
  assert.equal(await pg.$eval('select[data-filter="priority"]', (s) => s.value), "low");
  // Board and kanban follow the same filter.
  await pg.evaluate(() => { location.hash = "#/kanban?q=label%3Acore"; });
  await pg.waitForSelector('[data-testid="column-done"]');
  const core = ok(p.dir, ["issue", "list", "--filter", "label:core"]).issues.map((i) => i.short_id).sort();
  assert.deepEqual((await pg.$$eval(".card", (cs) => cs.map((c) => c.dataset.id))).sort(), core);
  assert.equal(await pg.$$eval(".card[draggable=true]", (c) => c.length), 0, "the export is read-only");
  assert.deepEqual(pg.errors, []);
  await pg.context().close();
});

test("the issue view shows sub-tasks with their states, rendered markdown, and no editing", async () => {
  const pg = await page(b);
  await pg.goto(index + "#/issue/" + p.ids.epic);
  await pg.waitForSelector('[data-testid="issue-title"]');
  const text = await pg.textContent("main");
  assert.match(text, /Sub-tasks\s*1 of 3 done/);
  for (const k of ["format", "store", "lock"]) {
    assert.ok(await pg.$(`main a[href*="issue/${p.ids[k]}"]`), `sub-task ${k} is linked`);
  }
  assert.equal(await pg.getByTestId("issue-title").getAttribute("contenteditable"), null);
  await pg.goto(index + "#/issue/" + p.ids.board);
  await pg.waitForSelector(".md strong");
  assert.equal(await pg.textContent(".md strong"), "state changes");
  await pg.context().close();
});

test("every view fits 390 px, light and dark, and hostile text stays text", async () => {
  for (const dark of [false, true]) {
    const pg = await page(b, { width: 390, height: 844, dark });
    for (const hash of ["board", "list", "kanban", "graph", "agents", "leases", "events", "stats", "issue/" + p.ids.hostile]) {
      await pg.goto(index + "#/" + hash);
      await pg.waitForTimeout(120);
      const s = await pg.evaluate(() => ({
        w: document.documentElement.scrollWidth,
        pwned: window.__pwned === 1,
        imgs: document.querySelectorAll("img").length,
        scripts: document.scripts.length,
      }));
      assert.ok(s.w <= 390, `${hash}: ${s.w} px wide`);
      assert.deepEqual([s.pwned, s.imgs, s.scripts], [false, 0, 2], hash);
    }
    assert.deepEqual(pg.dialogs, []);
    await pg.context().close();
  }
});

test("the graph zooms, pans and focuses on one issue's neighbourhood", async () => {
  const pg = await page(b);
  await pg.goto(index + "#/graph");
  await pg.waitForSelector("svg.graph g.node");
  const vb0 = await pg.getAttribute("svg.graph", "viewBox");
  await pg.getByRole("button", { name: "+" }).click();
  const vb1 = await pg.getAttribute("svg.graph", "viewBox");
  assert.ok(Number(vb1.split(" ")[2]) < Number(vb0.split(" ")[2]), `zoomed in: ${vb0} -> ${vb1}`);
  const box = await pg.locator(".graph-wrap").boundingBox();
  await pg.mouse.move(box.x + 200, box.y + 200);
  await pg.mouse.down();
  await pg.mouse.move(box.x + 80, box.y + 120, { steps: 5 });
  await pg.mouse.up();
  const vb2 = await pg.getAttribute("svg.graph", "viewBox");
  assert.notEqual(vb2.split(" ")[0], vb1.split(" ")[0], "panned");
  await pg.evaluate((id) => { location.hash = "#/graph?focus=" + id + "&depth=1"; }, p.ids.store);
  await pg.waitForFunction(() => document.querySelectorAll("svg.graph g.node").length <= 4);
  const shown = (await pg.$$eval("svg.graph g.node", (ns) => ns.map((n) => n.dataset.id))).sort();
  assert.deepEqual(shown, [p.ids.cli, p.ids.format, p.ids.store].sort(), "the issue, what it depends on, what waits for it");
  await pg.context().close();
});

test("what a merge discarded is shown read-only, and a --public export leaves it out", async () => {
  const m = conflicted();
  try {
    // Records written by hand into the other issue's file: a removal that lost, and an older
    // record kept whole (its time unknown) whose text looks like markup.
    const file = join(m.dir, ".jit", "issues", ok(m.dir, ["issue", "show", m.quiet]).id + ".json");
    const stored = JSON.parse(readFileSync(file, "utf8"));
    stored.merge_conflicts = [
      { at: "2026-01-01T02:00:00.000Z", field: "context.note", discarded: null, reason: "edit_vs_delete" },
      { at: "1970-01-01T00:00:00.000Z", field: "merge_conflicts", discarded: "<img src=x onerror=alert(1)>", reason: "unreadable_record" },
    ];
    writeFileSync(file, JSON.stringify(stored, null, 2) + "\n");
    assert.equal(jit(m.dir, ["validate"]).code, 0, "the hand-written records are valid");
    ok(m.dir, ["export", "web", "--out", "site"]);
    ok(m.dir, ["export", "web", "--out", "public", "--public"]);
    const pg = await page(b);
    await pg.goto("file://" + join(m.dir, "site", "index.html") + "#/issue/" + m.id);
    const box = pg.getByTestId("merge-conflicts");
    await box.waitFor();
    assert.equal(await box.locator("li.mc").count(), 4);
    const title = box.locator('li.mc[data-field="title"]');
    assert.equal(await title.locator(".mc-value").textContent(), "Title from a");
    assert.equal(await title.locator(".mc-reason").textContent(), "both_changed");
    assert.equal(await pg.getByTestId("clear-merge-conflicts").count(), 0, "nothing to press in a static page");
    assert.match(await box.textContent(), new RegExp(`jit issue update ${m.id} --clear-merge-conflicts`));
    await pg.goto("file://" + join(m.dir, "site", "index.html") + "#/board");
    await pg.getByTestId("mc-chip-" + m.id).waitFor();
    await pg.getByTestId("mc-chip-" + m.quiet).waitFor();
    await pg.goto("file://" + join(m.dir, "site", "index.html") + "#/issue/" + m.quiet);
    const hand = pg.getByTestId("merge-conflicts");
    await hand.waitFor();
    const removed = hand.locator('li.mc[data-field="context.note"]');
    assert.equal(await removed.locator(".mc-value").textContent(), "(removed)");
    assert.equal(await removed.locator(".mc-reason").textContent(), "edit_vs_delete");
    const old = hand.locator('li.mc[data-field="merge_conflicts"]');
    assert.equal(await old.locator(".mc-value").textContent(), "<img src=x onerror=alert(1)>", "markup stays text");
    assert.equal(await old.locator(".mc-at").textContent(), "time unknown");
    assert.equal(await pg.locator("main img").count(), 0);
    // --public: the issue is there, what merges discarded is not (not even in the data).
    await pg.goto("file://" + join(m.dir, "public", "index.html") + "#/issue/" + m.id);
    await pg.getByTestId("issue-title").waitFor();
    assert.equal(await pg.getByTestId("merge-conflicts").count(), 0);
    assert.equal(await pg.locator(".chip.mc").count(), 0);
    const data = readFileSync(join(m.dir, "public", "index.html"), "utf8");
    assert.ok(!data.includes("merge_conflicts") && !data.includes("Title from a"), "no record in the public data");
    assert.ok(readFileSync(join(m.dir, "site", "index.html"), "utf8").includes("merge_conflicts"));
    assert.deepEqual(pg.errors, []);
    await pg.context().close();
  } finally {
    m.cleanup();
  }
});
