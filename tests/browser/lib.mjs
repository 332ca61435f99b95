// Helpers of the browser tests: the real `jit` binary in temp git repos, a real `jit serve`
// process, and Debian's Chromium driven by playwright-core.
import { spawnSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

export const JIT = process.env.JIT_BIN || new URL("../../target/debug/jit", import.meta.url).pathname;
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

/** Runs jit; returns {code, stdout, stderr, json}. */
export function jit(cwd, args, env = {}) {
  const r = spawnSync(JIT, args, { cwd, env: { ...process.env, JIT_ACTOR: "human:tester", ...env }, encoding: "utf8" });
  let json = null;
  try { json = JSON.parse(r.stdout); } catch { json = null; }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

/** Runs jit --json and returns the parsed reply, failing on a non-zero exit. */
export function ok(cwd, args, env = {}) {
  const r = jit(cwd, [...args, "--json"], env);
  if (r.code !== 0) { throw new Error(`jit ${args.join(" ")} exited ${r.code}: ${r.stdout} ${r.stderr}`); }
  return r.json;
}

/** A fresh git checkout with `jit init` done. */
export function repo(name = "acme") {
  const dir = mkdtempSync(join(tmpdir(), "jit-browser-"));
  spawnSync("git", ["init", "-q"], { cwd: dir });
  ok(dir, ["init", "--name", name]);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Creates an issue; returns its short id. */
export function create(dir, title, extra = []) {
  return ok(dir, ["issue", "create", "--title", title, ...extra]).short_id;
}

/** The stored issue file of a short id. */
export function issueFile(dir, short) {
  const full = ok(dir, ["issue", "show", short]).id;
  return JSON.parse(readFileSync(join(dir, ".jit", "issues", full + ".json"), "utf8"));
}

/** Every event in the log. */
export function events(dir) {
  return readFileSync(join(dir, ".jit", "events.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

/** Starts `jit serve --json --port 0 ARGS` in `dir`; resolves once it printed its URL. */
export function serve(dir, args = [], env = {}) {
  const proc = spawn(JIT, ["serve", "--json", "--port", "0", ...args], { cwd: dir, env: { ...process.env, JIT_ACTOR: "human:tester", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (d) => { stderr += d; });
  // Never outlive the test process, even when it fails before calling stop().
  const reap = () => { if (proc.exitCode === null) { proc.kill("SIGKILL"); } };
  process.once("exit", reap);
  proc.once("exit", () => process.removeListener("exit", reap));
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout });
    const timer = setTimeout(() => reject(new Error("jit serve did not start: " + stderr)), 15000);
    rl.once("line", (line) => {
      clearTimeout(timer);
      const started = JSON.parse(line);
      const base = started.url.split("/?")[0];
      resolve({
        ...started, base, proc,
        stop: () => new Promise((done) => { if (proc.exitCode !== null) { done(proc.exitCode); return; } proc.once("exit", (c) => done(c)); proc.kill("SIGINT"); }),
      });
    });
    proc.once("exit", (c) => reject(new Error(`jit serve exited ${c}: ${stderr}`)));
  });
}

/** Debian's Chromium, headless, with no background traffic (playwright gives every launch a
 * fresh, temporary profile). */
export async function browser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** A page that records script errors and dialogs (a hostile title must never open one). */
export async function page(b, opts = {}) {
  const ctx = await b.newContext({ viewport: { width: opts.width || 1400, height: opts.height || 900 }, colorScheme: opts.dark ? "dark" : "light" });
  const p = await ctx.newPage();
  p.errors = [];
  p.dialogs = [];
  p.on("pageerror", (e) => p.errors.push(String(e)));
  p.on("dialog", (d) => { p.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  return p;
}

/** Files directly under a directory. */
export function ls(dir) { return readdirSync(dir); }

/** Waits until `f()` is truthy (polling), or fails after `ms`. */
export async function until(f, ms = 5000, what = "condition") {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) { return v; }
    if (Date.now() > end) { throw new Error("timed out waiting for " + what); }
    await new Promise((r) => setTimeout(r, 50));
  }
}
