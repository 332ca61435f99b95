// The browser half of examples/bench_serve.rs: in headless chromium, how long the list takes to
// be on screen and usable at N issues (live console and static export), how long a search over
// all of them takes, and how long an event takes from a terminal's `jit issue create` to the
// page. Prints one JSON object. Usage:
//   node bench.mjs --base URL --dir STORE --static INDEX_HTML --runs N
import { spawnSync } from "node:child_process";
import { browser, page, JIT } from "./lib.mjs";

const arg = (k, d) => { const i = process.argv.indexOf("--" + k); return i > 0 ? process.argv[i + 1] : d; };
const base = arg("base"), dir = arg("dir"), staticIndex = arg("static");
const runs = Number(arg("runs", "5"));
const median = (v) => { const s = [...v].sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : null; };

async function load(b, url) {
  const pg = await page(b, { width: 1400, height: 900 });
  const t0 = Date.now();
  await pg.goto(url);
  await pg.waitForFunction(() => window.jitTiming && window.jitTiming.firstRender && document.querySelector("tr[data-id]"), null, { timeout: 60000, polling: 10 });
  const wall = Date.now() - t0;
  const t = await pg.evaluate(() => {
    const fcp = performance.getEntriesByName("first-contentful-paint")[0];
    const nav = performance.getEntriesByType("navigation")[0];
    return { fcp: fcp ? fcp.startTime : null, firstRender: window.jitTiming.firstRender, domContentLoaded: nav ? nav.domContentLoadedEventEnd : null, rows: document.querySelectorAll("tr[data-id]").length };
  });
  // Usable: a search over every issue, typed into the box, until the list is drawn again.
  const before = await pg.evaluate(() => window.jitTiming.renders);
  const s0 = Date.now();
  await pg.fill('[data-testid="search"]', "label:cache -type:bug priority:>=normal");
  await pg.keyboard.press("Enter");
  await pg.waitForFunction((n) => window.jitTiming.renders > n, before, { polling: 10 });
  const search = Date.now() - s0;
  return { pg, wall, search, ...t };
}

const b = await browser();
const out = { live: [], static: [], sse: [] };
try {
  for (let r = 0; r < runs; r++) {
    const { pg, ...live } = await load(b, base + "/#/list");
    out.live.push(live);
    // An event from another process, until its row is on the page.
    const title = `bench event ${r} ${Date.now()}`;
    await pg.fill('[data-testid="search"]', "");
    await pg.keyboard.press("Enter");
    await pg.evaluate(() => window.scrollTo(0, 0));
    await pg.goto(base + "/#/list?sort=-updated");
    await pg.waitForSelector("tr[data-id]");
    const t0 = Date.now();
    const made = spawnSync(JIT, ["issue", "create", "--title", title, "--json"], { cwd: dir, encoding: "utf8", env: { ...process.env, JIT_ACTOR: "human:bench" } });
    const sid = JSON.parse(made.stdout).short_id;
    await pg.waitForSelector(`tr[data-id="${sid}"]`, { timeout: 10000 });
    out.sse.push(Date.now() - t0);
    await pg.context().close();
    if (staticIndex) {
      const { pg: sp, ...st } = await load(b, "file://" + staticIndex + "#/list");
      out.static.push(st);
      await sp.context().close();
    }
  }
} finally {
  await b.close();
}
const pick = (list, k) => median(list.map((x) => x[k]).filter((x) => x !== null && x !== undefined));
console.log(JSON.stringify({
  runs,
  rows_drawn: out.live[0] && out.live[0].rows,
  live: { first_contentful_paint_ms: pick(out.live, "fcp"), list_drawn_ms: pick(out.live, "firstRender"), load_wall_ms: pick(out.live, "wall"), search_ms: pick(out.live, "search") },
  static: out.static.length ? { first_contentful_paint_ms: pick(out.static, "fcp"), list_drawn_ms: pick(out.static, "firstRender"), load_wall_ms: pick(out.static, "wall"), search_ms: pick(out.static, "search") } : null,
  event_to_page_ms: { median: median(out.sse), max: Math.max(...out.sse) },
}));

