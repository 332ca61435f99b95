// Screenshots of every view of the console (1400 px and 390 px, light and dark) and of the
// static export, for people to look at: `node tests/browser/shots.mjs OUT_DIR`. Not a test.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { browser, page, serve, ok, until } from "./lib.mjs";
import { project, bulk, conflicted } from "./fixture.mjs";

const out = process.argv[2] || "shots";
mkdirSync(out, { recursive: true });
const p = project();
await new Promise((r) => setTimeout(r, 1200)); // let the 1 s lease expire
const srv = await serve(p.dir);
const b = await browser();
const views = ["board", "list", "kanban", "graph", "agents", "leases", "events", "stats"];
try {
  for (const [w, h] of [[1400, 900], [390, 844]]) {
    for (const dark of [false, true]) {
      const pg = await page(b, { width: w, height: h, dark });
      await pg.goto(srv.url);
      await pg.waitForSelector("#stats");
      const tag = `${w}-${dark ? "dark" : "light"}`;
      for (const v of views) {
        await pg.goto(srv.base + "/#/" + v);
        await pg.waitForTimeout(350);
        await pg.screenshot({ path: join(out, `${v}-${tag}.png`), fullPage: v !== "graph" });
      }
      await pg.goto(srv.base + "/#/issue/" + p.ids.board);
      await pg.waitForSelector('[data-testid="issue-title"]');
      await pg.waitForTimeout(300);
      await pg.screenshot({ path: join(out, `issue-${tag}.png`), fullPage: true });
      await pg.goto(srv.base + "/#/list?q=label:ui%20-type:bug");
      await pg.waitForTimeout(300);
      await pg.screenshot({ path: join(out, `search-${tag}.png`), fullPage: true });
      await pg.context().close();
    }
  }
  await srv.stop();
  // An issue whose merge discarded values (real clones, jit's merge driver): its notice on the
  // issue page, live and in the static export, and its mark on the board.
  const m = conflicted();
  try {
    const ms = await serve(m.dir);
    for (const [w, h] of [[1400, 900], [390, 844]]) {
      for (const dark of [false, true]) {
        const pg = await page(b, { width: w, height: h, dark });
        await pg.goto(ms.url);
        await pg.waitForSelector("#stats");
        const tag = `${w}-${dark ? "dark" : "light"}`;
        await pg.screenshot({ path: join(out, `conflicts-board-${tag}.png`), fullPage: true });
        await pg.goto(ms.base + "/#/issue/" + m.id);
        await pg.waitForSelector('[data-testid="merge-conflicts"]');
        await pg.waitForTimeout(300);
        await pg.screenshot({ path: join(out, `conflicts-issue-${tag}.png`), fullPage: true });
        if (w === 390) {
          await pg.click('[data-testid="merge-conflicts"] details summary');
          await pg.waitForTimeout(150);
          await pg.screenshot({ path: join(out, `conflicts-issue-open-${tag}.png`), fullPage: true });
        }
        await pg.context().close();
      }
    }
    await ms.stop();
    ok(m.dir, ["export", "web", "--out", "site"]);
    const sp = await page(b, { width: 1400, height: 900 });
    await sp.goto("file://" + join(m.dir, "site", "index.html") + "#/issue/" + m.id);
    await sp.waitForSelector('[data-testid="merge-conflicts"]');
    await sp.screenshot({ path: join(out, "conflicts-static-issue-1400-light.png"), fullPage: true });
    await sp.goto("file://" + join(m.dir, "site", "index.html") + "#/list");
    await sp.waitForTimeout(200);
    await sp.screenshot({ path: join(out, "conflicts-static-list-1400-light.png"), fullPage: true });
    await sp.context().close();
  } finally {
    m.cleanup();
  }
  // The graph at 300+ issues.
  bulk(p.dir, 300);
  const big = await serve(p.dir);
  const pg = await page(b, { width: 1400, height: 900 });
  await pg.goto(big.url);
  await pg.waitForSelector("#stats");
  for (const [name, hash] of [["graph300", "graph"], ["graph300-done", "graph?done=fade"], ["graph300-focus", "graph?focus=" + ok(p.dir, ["issue", "list", "--filter", "title:\"Bulk work item 150\""]).issues[0].short_id + "&depth=3"]]) {
    await pg.goto(big.base + "/#/" + hash);
    await pg.waitForTimeout(500);
    await pg.screenshot({ path: join(out, `${name}-1400-light.png`) });
  }
  await pg.goto(big.base + "/#/list");
  await pg.waitForTimeout(300);
  await pg.screenshot({ path: join(out, `list300-1400-light.png`) });
  await big.stop();
  // The static export.
  ok(p.dir, ["export", "web", "--out", "site"]);
  const st = await page(b, { width: 1400, height: 900 });
  await st.goto("file://" + join(p.dir, "site", "index.html"));
  await st.waitForSelector("#stats");
  await st.screenshot({ path: join(out, "static-board-1400-light.png"), fullPage: true });
  await st.goto("file://" + join(p.dir, "site", "index.html") + "#/issue/" + p.ids.board);
  await st.waitForTimeout(300);
  await st.screenshot({ path: join(out, "static-issue-1400-light.png"), fullPage: true });
  const st2 = await page(b, { width: 390, height: 844, dark: true });
  await st2.goto("file://" + join(p.dir, "site", "index.html") + "#/list");
  await st2.waitForTimeout(300);
  await st2.screenshot({ path: join(out, "static-list-390-dark.png") });
} finally {
  await b.close();
  p.cleanup();
}
console.log("screenshots in", out);
