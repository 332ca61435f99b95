// The live console in a real browser: drag = state change (file and event), a refused move
// snaps back with its reason, inline title edit, two tabs and the stale one's conflict, a
// terminal `jit issue create` appearing without reload, search with the query language, a
// reclaimed lease, --read-only refusing writes, hostile titles never running script, and what
// a merge discarded (real clones, jit's merge driver) shown until it is acknowledged.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { browser, page, serve, ok, jit, issueFile, events, until, create } from "./lib.mjs";
import { project, conflicted, LONG_PLAN, HOSTILE } from "./fixture.mjs";

let b, p, srv;
before(async () => {
  p = project();
  await new Promise((r) => setTimeout(r, 1100)); // the 1 s lease of `uibug` runs out
  srv = await serve(p.dir);
  b = await browser();
});
after(async () => {
  if (b) { await b.close(); }
  if (srv) { await srv.stop(); }
  if (p) { p.cleanup(); }
});

async function open(hash, opts) {
  const pg = await page(b, opts);
  await pg.goto(srv.url); // sets the token cookie, lands on the board
  await pg.waitForSelector("#stats");
  if (hash) { await pg.goto(srv.base + "/#/" + hash); }
  return pg;
}

function lastEvent(issueShort, type) {
  const full = ok(p.dir, ["issue", "show", issueShort]).id;
  return events(p.dir).filter((e) => e.issue === full && (!type || e.type === type)).pop();
}

test("dragging a card from Ready to In progress changes the file and records the event", async () => {
  const id = p.ids.lock;
  assert.equal(issueFile(p.dir, id).state, "ready");
  const pg = await open("kanban");
  const cardSel = `[data-testid="card-${id}"]`;
  await pg.waitForSelector(`[data-testid="column-ready"] ${cardSel}`);
  await pg.dragAndDrop(cardSel, '[data-testid="column-in_progress"]');
  await until(() => issueFile(p.dir, id).state === "in_progress", 5000, "the file to change");
  const e = lastEvent(id, "issue.state_changed");
  assert.ok(e, "an issue.state_changed event");
  assert.deepEqual(e.changes.find((c) => c.field === "state"), { field: "state", before: "ready", after: "in_progress" });
  assert.equal(e.actor, "human:tester");
  await pg.waitForSelector(`[data-testid="column-in_progress"] ${cardSel}`);
  await pg.reload();
  await pg.waitForSelector(`[data-testid="column-in_progress"] ${cardSel}`);
  assert.deepEqual(pg.errors, []);
  await pg.context().close();
});

test("a refused move snaps back and says why", async () => {
  const id = p.ids.cli; // waits on an unfinished dependency
  const pg = await open("kanban");
  const cardSel = `[data-testid="card-${id}"]`;
  const before = issueFile(p.dir, id);
  await pg.dragAndDrop(cardSel, '[data-testid="column-in_progress"]');
  const toast = await pg.waitForSelector(".toast.error");
  const msg = await toast.textContent();
  assert.match(msg, /Cannot move/);
  assert.match(msg, /depend|blocked|waiting/i, msg);
  await pg.waitForSelector(`[data-testid="column-backlog"] ${cardSel}`);
  assert.deepEqual(issueFile(p.dir, id), before, "nothing written");
  await pg.context().close();
});

test("a title is edited inline", async () => {
  const id = p.ids.dark;
  const pg = await open("issue/" + id);
  const title = pg.getByTestId("issue-title");
  await title.click();
  await pg.keyboard.press("Control+A");
  await pg.keyboard.type("Dark mode, everywhere");
  await pg.keyboard.press("Enter");
  await until(() => issueFile(p.dir, id).title === "Dark mode, everywhere", 5000, "the title in the file");
  assert.equal(lastEvent(id).type, "issue.updated");
  await until(async () => (await title.textContent()) === "Dark mode, everywhere");
  await pg.context().close();
});

test("two tabs edit one issue: the stale one gets the conflict and the current version", async () => {
  const id = p.ids.themes;
  const a = await open("issue/" + id);
  const bTab = await open("issue/" + id);
  const titleB = bTab.getByTestId("issue-title");
  await titleB.click(); // B starts editing at the version it has
  const titleA = a.getByTestId("issue-title");
  await titleA.click();
  await a.keyboard.press("Control+A");
  await a.keyboard.type("Themes, from tab A");
  await a.keyboard.press("Enter");
  await until(() => issueFile(p.dir, id).title === "Themes, from tab A");
  const version = issueFile(p.dir, id).version;
  await bTab.keyboard.press("Control+A");
  await bTab.keyboard.type("Themes, from tab B");
  await bTab.keyboard.press("Enter");
  const box = await bTab.waitForSelector(".conflict:not([hidden])");
  assert.match(await box.textContent(), /changed since you started editing/);
  assert.equal(await bTab.getByTestId("conflict-version").textContent(), String(version));
  assert.equal(await bTab.getByTestId("conflict-title").textContent(), "Themes, from tab A");
  assert.equal(issueFile(p.dir, id).title, "Themes, from tab A", "the stale write was refused");
  await bTab.getByText("Show the current version").click();
  await until(async () => (await bTab.getByTestId("issue-title").textContent()) === "Themes, from tab A");
  await a.context().close();
  await bTab.context().close();
});

test("an issue created in a terminal appears on an open page without reload", async () => {
  const pg = await open("list");
  await pg.evaluate(() => { window.__sameDocument = true; });
  const id = create(p.dir, "Made in the terminal", ["--label", "ops"]);
  await pg.waitForSelector(`tr[data-id="${id}"]`, { timeout: 5000 });
  assert.equal(await pg.evaluate(() => window.__sameDocument), true, "no reload");
  ok(p.dir, ["issue", "update", id, "--title", "Renamed in the terminal"]);
  await pg.waitForFunction((sid) => { const r = document.querySelector(`tr[data-id="${sid}"]`); return r && r.textContent.includes("Renamed in the terminal"); }, id, { timeout: 5000 });
  await pg.goto(srv.base + "/#/events");
  await pg.waitForSelector(".ev-issue-created");
  await pg.context().close();
});

test("the search box takes the query language: label:ui -type:bug", async () => {
  const pg = await open("list");
  await pg.keyboard.press("/");
  assert.equal(await pg.evaluate(() => document.activeElement.dataset.testid), "search");
  await pg.keyboard.type("label:ui -type:bug");
  await pg.keyboard.press("Enter");
  await pg.waitForFunction(() => location.hash.includes("q=label"));
  const want = ok(p.dir, ["issue", "list", "--filter", "label:ui -type:bug -state:archived"]).issues.map((i) => i.short_id).sort();
  assert.ok(want.length >= 3, "the fixture has ui work that is not a bug");
  await until(async () => (await pg.$$eval("tr[data-id]", (rs) => rs.length)) === want.length);
  const got = (await pg.$$eval("tr[data-id]", (rs) => rs.map((r) => r.dataset.id))).sort();
  assert.deepEqual(got, want);
  // The view is in the URL: a new tab with that URL shows the same rows.
  const url = pg.url();
  const other = await open();
  await other.goto(url);
  await until(async () => (await other.$$eval("tr[data-id]", (rs) => rs.length)) === want.length);
  // A malformed query points at its token.
  await pg.goto(srv.base + "/#/list?q=" + encodeURIComponent("state:doing"));
  const err = await pg.waitForSelector("#qerror:not([hidden])");
  assert.match(await err.textContent(), /at 7.*doing.*unknown state/s);
  await pg.context().close();
  await other.context().close();
});

test("an expired lease counts down to an alarm and is reclaimed", async () => {
  const id = p.ids.uibug;
  const pg = await open("leases");
  const row = await pg.waitForSelector(`tr[data-lease="${id}"].expired`);
  assert.match(await row.textContent(), /expired/);
  assert.match(await pg.textContent(`tr[data-lease="${p.ids.board}"]`), /\dm \d+s left/);
  await pg.getByTestId("reclaim-" + id).click();
  await until(() => issueFile(p.dir, id).assignee === null || issueFile(p.dir, id).assignee === undefined, 5000, "the claim to be released");
  const f = issueFile(p.dir, id);
  assert.equal(f.lease, undefined);
  assert.equal(f.state, "ready");
  const e = lastEvent(id, "issue.released");
  assert.ok(e && e.data.forced === true, "a forced release event");
  await pg.waitForFunction((sid) => !document.querySelector(`tr[data-lease="${sid}"]`), id);
  await pg.context().close();
});

test("hostile titles and descriptions never run script", async () => {
  const id = p.ids.hostile;
  const pg = await open();
  for (const hash of ["board", "list", "kanban", "graph", "events", "agents", "issue/" + id]) {
    await pg.goto(srv.base + "/#/" + hash);
    await pg.waitForTimeout(250);
    const state = await pg.evaluate(() => ({
      pwned: window.__pwned === 1,
      scripts: document.scripts.length,
      imgs: document.querySelectorAll("img").length,
      handlers: [...document.querySelectorAll("*")].filter((e) => [...e.attributes].some((a) => a.name.startsWith("on"))).length,
      jsLinks: [...document.querySelectorAll("a[href]")].filter((a) => /^\s*javascript:/i.test(a.getAttribute("href"))).length,
    }));
    assert.deepEqual(state, { pwned: false, scripts: 2, imgs: 0, handlers: 0, jsLinks: 0 }, hash);
  }
  assert.equal(await pg.getByTestId("issue-title").textContent(), HOSTILE, "shown as text");
  assert.match(await pg.textContent(".md"), /<img src=x onerror=alert\(2\)>/);
  assert.deepEqual(pg.dialogs, []);
  assert.deepEqual(pg.errors, []);
  await pg.context().close();
});

test("a --read-only console refuses every write", async () => {
  const ro = await serve(p.dir, ["--read-only"]);
  try {
    const pg = await page(b);
    await pg.goto(ro.url);
    await pg.waitForSelector("#stats");
    assert.match(await pg.textContent("#mode"), /read-only/);
    await pg.goto(ro.base + "/#/kanban");
    await pg.waitForSelector('[data-testid="column-ready"]');
    assert.equal(await pg.$$eval(".card[draggable=true]", (c) => c.length), 0, "nothing to drag");
    await pg.goto(ro.base + "/#/issue/" + p.ids.idea);
    assert.equal(await pg.getByTestId("issue-title").getAttribute("contenteditable"), null);
    const before = issueFile(p.dir, p.ids.idea);
    const full = before.id;
    const res = await pg.evaluate(async (fid) => {
      const r = await fetch("/api/issues/" + fid, { method: "PATCH", headers: { "Content-Type": "application/json", "If-Match": "*" }, body: JSON.stringify({ title: "changed anyway" }) });
      return { status: r.status, body: await r.json() };
    }, full);
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, "read_only");
    assert.deepEqual(issueFile(p.dir, p.ids.idea), before);
    await pg.context().close();
  } finally {
    await ro.stop();
  }
});

test("a page opened without the token can look but not write", async () => {
  const pg = await page(b);
  await pg.goto(srv.base + "/#/kanban");
  await pg.waitForSelector('[data-testid="column-ready"]');
  assert.equal(await pg.$$eval(".card[draggable=true]", (c) => c.length), 0);
  const res = await pg.evaluate(async () => (await fetch("/api/issues", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{\"title\":\"x\"}" })).status);
  assert.equal(res, 401);
  await pg.context().close();
});

test("390 px: nothing scrolls the page sideways, in light and dark", async () => {
  for (const dark of [false, true]) {
    const pg = await open("", { width: 390, height: 844, dark });
    for (const hash of ["board", "list", "kanban", "graph", "agents", "leases", "events", "stats", "issue/" + p.ids.board]) {
      await pg.goto(srv.base + "/#/" + hash);
      await pg.waitForTimeout(150);
      const w = await pg.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(w <= 390, `${hash} is ${w} px wide`);
    }
    await pg.context().close();
  }
  assert.equal(jit(p.dir, ["validate"]).code, 0, "the store is still valid");
});

test("what a merge discarded is listed on the issue page until Acknowledge clears it", async () => {
  const m = conflicted();
  const servers = [];
  const start = async (args) => { const s = await serve(m.dir, args); servers.push(s); return s; };
  try {
    const stored = ok(m.dir, ["issue", "show", m.id]).merge_conflicts;
    assert.deepEqual(stored.map((c) => c.field).sort(), ["assignee", "description", "estimate", "title"], "the merge recorded four fields");
    const live = await start();
    const pg = await page(b);
    await pg.goto(live.url);
    await pg.waitForSelector("#stats");
    // The board marks the issue, and only it.
    await pg.getByTestId("mc-chip-" + m.id).waitFor();
    assert.equal(await pg.locator(".chip.mc").count(), 1);
    await pg.goto(live.base + "/#/list");
    await pg.locator(`tr[data-id="${m.id}"] .chip.mc`).waitFor();

    await pg.goto(live.base + "/#/issue/" + m.id);
    const box = pg.getByTestId("merge-conflicts");
    await box.waitFor();
    assert.match(await box.locator("h2").textContent(), /Merge conflicts\s*4/);
    const rec = (field) => box.locator(`li.mc[data-field="${field}"]`);
    assert.equal(await box.locator("li.mc").count(), 4);
    assert.equal(await rec("title").locator(".mc-field").textContent(), "title");
    assert.equal(await rec("title").locator(".mc-value").textContent(), "Title from a", "a string as it is");
    assert.equal(await rec("title").locator(".mc-reason").textContent(), "both_changed");
    assert.match(await rec("title").textContent(), /both sides changed it/);
    assert.equal(await rec("title").locator(".mc-at").getAttribute("title"), stored.find((c) => c.field === "title").at);
    assert.match(await rec("title").locator(".mc-at").textContent(), /ago$/);
    // Other JSON, compactly.
    assert.equal(await rec("estimate").locator(".mc-value").textContent(), "3");
    const claim = stored.find((c) => c.field === "assignee");
    assert.equal(await rec("assignee").locator(".mc-value").textContent(), JSON.stringify(claim.discarded));
    assert.equal(await rec("assignee").locator(".mc-reason").textContent(), "claim");
    // A long value is cut, the whole of it in the title and one click away.
    const desc = stored.find((c) => c.field === "description").discarded;
    assert.ok(desc.startsWith(LONG_PLAN.slice(0, 150)) && Array.from(desc).length > 160, desc);
    const d = rec("description");
    const cut = await d.locator(".mc-cut").textContent();
    assert.ok(cut.endsWith("…") && Array.from(cut).length === 160 && desc.startsWith(cut.slice(0, -1)), cut);
    assert.equal(await d.locator("summary").getAttribute("title"), desc);
    assert.equal(await d.locator("pre.mc-full").isVisible(), false);
    await d.locator("summary").click();
    assert.equal(await d.locator("pre.mc-full").isVisible(), true);
    assert.equal(await d.locator("pre.mc-full").textContent(), desc);
    assert.equal(await d.locator(".mc-cut").isVisible(), false);
    for (const dark of [false, true]) {
      const narrow = await page(b, { width: 390, height: 844, dark });
      await narrow.goto(live.url);
      await narrow.waitForSelector("#stats");
      await narrow.goto(live.base + "/#/issue/" + m.id);
      await narrow.getByTestId("merge-conflicts").waitFor();
      await narrow.locator('[data-testid="merge-conflicts"] summary').click();
      const w = await narrow.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(w <= 390, `the issue page is ${w} px wide at 390 (dark: ${dark})`);
      await narrow.context().close();
    }

    // A read-only console shows the records and how to acknowledge them, with no button; a
    // public one does not carry them at all.
    const ro = await start(["--read-only"]);
    const rp = await page(b);
    await rp.goto(ro.url);
    await rp.waitForSelector("#stats");
    await rp.goto(ro.base + "/#/issue/" + m.id);
    await rp.getByTestId("merge-conflicts").waitFor();
    assert.equal(await rp.locator('[data-testid="merge-conflicts"] li.mc').count(), 4);
    assert.equal(await rp.getByTestId("clear-merge-conflicts").count(), 0);
    assert.match(await rp.getByTestId("merge-conflicts").textContent(), new RegExp(`jit issue update ${m.id} --clear-merge-conflicts`));
    await rp.context().close();
    const pub = await start(["--public"]);
    const pp = await page(b);
    await pp.goto(pub.url);
    await pp.waitForSelector("#stats");
    assert.equal(await pp.locator(".chip.mc").count(), 0);
    await pp.goto(pub.base + "/#/issue/" + m.id);
    await pp.getByTestId("issue-title").waitFor();
    assert.equal(await pp.getByTestId("merge-conflicts").count(), 0);
    await pp.context().close();

    // Acknowledge: one PATCH through the real server, at the version the page shows.
    const version = issueFile(m.dir, m.id).version;
    const sent = [];
    pg.on("request", (r) => { if (r.method() === "PATCH") { sent.push({ url: r.url(), ifMatch: r.headers()["if-match"], body: r.postDataJSON() }); } });
    await pg.getByTestId("clear-merge-conflicts").click();
    await until(() => issueFile(m.dir, m.id).merge_conflicts === undefined, 5000, "the records to be cleared");
    assert.deepEqual(sent.map((r) => [r.ifMatch, r.body]), [[`"${version}"`, { clear_merge_conflicts: true }]]);
    const f = issueFile(m.dir, m.id);
    assert.equal(f.version, version + 1);
    assert.equal(f.title, "Title from b", "nothing else changed");
    const e = events(m.dir).filter((x) => x.issue === f.id).pop();
    assert.equal(e.type, "issue.updated");
    assert.equal(e.actor, "human:tester");
    assert.deepEqual(e.changes.map((c) => c.field), ["merge_conflicts"]);
    await box.waitFor({ state: "detached" });
    await pg.waitForSelector(".toast");
    await pg.reload();
    await pg.getByTestId("issue-title").waitFor();
    assert.equal(await pg.getByTestId("merge-conflicts").count(), 0);
    await pg.goto(live.base + "/#/board");
    await pg.waitForSelector(`[data-testid="card-${m.id}"]`);
    assert.equal(await pg.locator(".chip.mc").count(), 0);
    const shown = ok(m.dir, ["issue", "show", m.id]);
    assert.equal(shown.merge_conflicts, undefined);
    assert.equal(jit(m.dir, ["validate"]).code, 0);
    assert.deepEqual(pg.errors, []);
    await pg.context().close();
  } finally {
    for (const s of servers) { await s.stop(); }
    m.cleanup();
  }
});
