// The static export (`jit export web`) in a real browser from file://: the same front-end, read
// only, with the query language evaluated in the page, filters kept in the URL (and a changed
// #hash applied), every view at 390 px without sideways scrolling, and hostile text inert.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { browser, page, ok } from "./lib.mjs";
import { project } from "./fixture.mjs";

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
