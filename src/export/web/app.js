// jit's web front-end: one script for `jit export web` (static, data embedded, file://) and
// `jit serve` (live, writable). No network beyond the console's own /api/, no dependencies.
//
// Safety: every piece of user text reaches the page through textContent or an attribute set
// with setAttribute; the only markup inserted is the markdown jit rendered and sanitised on the
// Rust side (`rendered` in the data, or /api/issues/ID/rendered).
//
// The query language (docs/query.md) is evaluated here, a faithful port of src/query/ (lexer,
// parser, evaluator): the same terms, errors (position and token), matching and sort order.
// tests/browser/query.test.mjs checks it against `jit issue list --filter` on the same store.
(function (root) {
  "use strict";

  // ------------------------------------------------------------------------------------------
  // The query language
  // ------------------------------------------------------------------------------------------

  var WS = /^[\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;
  function isWs(c) { return c !== undefined && WS.test(c); }
  function rtrim(s) { var a = Array.from(s); var i = 0, j = a.length; while (i < j && isWs(a[i])) { i++; } while (j > i && isWs(a[j - 1])) { j--; } return a.slice(i, j).join(""); }
  function fold(s) { var out = ""; for (var c of s) { out += c.toLowerCase(); } return out; }
  function asciiLower(s) { return s.replace(/[A-Z]/g, function (c) { return c.toLowerCase(); }); }
  function asciiUpper(s) { return s.replace(/[a-z]/g, function (c) { return c.toUpperCase(); }); }
  function utf8Len(s) { var n = 0; for (var c of s) { var p = c.codePointAt(0); n += p < 0x80 ? 1 : p < 0x800 ? 2 : p < 0x10000 ? 3 : 4; } return n; }
  function cmpStr(a, b) { // code point order, as Rust compares strings
    var x = Array.from(a), y = Array.from(b);
    for (var i = 0; i < Math.min(x.length, y.length); i++) {
      var p = x[i].codePointAt(0), q = y[i].codePointAt(0);
      if (p !== q) { return p < q ? -1 : 1; }
    }
    return x.length === y.length ? 0 : (x.length < y.length ? -1 : 1);
  }

  function QueryError(position, token, message) {
    this.position = position; this.token = token; this.message = message;
  }
  function qerr(pos, token, message) { return new QueryError(pos, token, message); }

  var STATES = ["backlog", "ready", "in_progress", "gated", "done", "archived"];
  var PRIORITIES = ["low", "normal", "high", "critical"];
  var I64_MIN = -(2n ** 63n), I64_MAX = 2n ** 63n - 1n, U64_MAX = 2n ** 64n - 1n;
  function satAdd(a, b) { var r = a + b; return r > I64_MAX ? I64_MAX : r < I64_MIN ? I64_MIN : r; }

  function lex(input) {
    var chars = Array.from(input);
    var terms = [];
    var i = 0;
    while (i < chars.length) {
      if (isWs(chars[i])) { i++; continue; }
      var r = lexTerm(chars, i);
      terms.push(r.term);
      i = r.next;
    }
    return terms;
  }
  function text(chars, from, to) { return chars.slice(from, Math.max(from, to)).join(""); }
  function termEnd(chars, start) {
    var i = start, inQuote = false;
    while (i < chars.length) {
      var c = chars[i];
      if (c === "\\" && inQuote) { i++; }
      else if (c === '"') { inQuote = !inQuote; }
      else if (isWs(c) && !inQuote) { break; }
      i++;
    }
    return Math.min(i, chars.length);
  }
  function lexTerm(chars, start) {
    var i = start;
    var negated = chars[i] === "-";
    if (negated) {
      i++;
      if (i >= chars.length || isWs(chars[i])) {
        throw qerr(start + 1, "-", "a lone `-` negates nothing; put it right before a term (`-label:wontfix`) or quote it to search for a dash (`\"-\"`)");
      }
    }
    var body = i;
    var j = body;
    while (j < chars.length) {
      var c = chars[j];
      if (isWs(c) || c === '"' || c === ":") { break; }
      j++;
    }
    var key = null;
    if (chars[j] === ":") {
      if (j === body) {
        var end = termEnd(chars, start);
        throw qerr(start + 1, text(chars, start, end), "a key is missing before `:`; write `key:value`, or quote the text to search for it (`\":x\"`)");
      }
      i = j + 1;
      key = { pos: body + 1, text: text(chars, body, j) };
    }
    var valueStart = i;
    var alts = [];
    for (;;) {
      var altStart = i;
      var op = "=";
      if (key) {
        var nextEq = chars[i + 1] === "=";
        if (chars[i] === ">" && nextEq) { op = ">="; i += 2; }
        else if (chars[i] === "<" && nextEq) { op = "<="; i += 2; }
        else if (chars[i] === ">") { op = ">"; i += 1; }
        else if (chars[i] === "<") { op = "<"; i += 1; }
        else if (chars[i] === "=") { op = "="; i += 1; }
      }
      var opEnd = i;
      var pieces = [];
      var quoted = false;
      while (i < chars.length) {
        var ch = chars[i];
        if (ch === "|") { break; }
        if (ch === '"') { quoted = true; i = lexQuoted(chars, i, pieces); continue; }
        if (ch === "*") { pieces.push(null); i++; continue; }
        if (isWs(ch)) { break; }
        pieces.push(ch); i++;
      }
      var atPipe = chars[i] === "|";
      if (pieces.length === 0 && !quoted) {
        if (opEnd > altStart) {
          var o = text(chars, altStart, opEnd);
          throw qerr(altStart + 1, o, "`" + o + "` needs a value after it, e.g. `priority:>=high` or `created:>7d`");
        }
        if (alts.length === 0 && !atPipe && key && altStart === valueStart) {
          throw qerr(start + 1, text(chars, start, i), "`" + key.text + ":` has no value; write `" + key.text + ":VALUE` (quote values with spaces)");
        }
        var pipe = atPipe ? i : Math.max(0, altStart - 1);
        throw qerr(pipe + 1, "|", "empty alternative next to `|`; write values on both sides, as in `state:ready|in_progress`");
      }
      alts.push({ pos: altStart + 1, src: text(chars, altStart, i), op: op, quoted: quoted, pieces: pieces });
      if (atPipe) { i++; } else { break; }
    }
    return { term: { pos: start + 1, src: text(chars, start, i), negated: negated, key: key, alts: alts }, next: i };
  }
  function lexQuoted(chars, open, pieces) {
    var i = open + 1;
    for (;;) {
      if (i >= chars.length) {
        throw qerr(open + 1, text(chars, open, chars.length), "unterminated quote; close it with `\"` (write `\\\"` for a quote inside)");
      }
      var c = chars[i];
      if (c === '"') { return i + 1; }
      if (c === "\\") {
        var n = chars[i + 1];
        if (n === '"' || n === "\\" || n === "*") { pieces.push(n); i += 2; } else { pieces.push("\\"); i += 1; }
        continue;
      }
      if (c === "*") { pieces.push(null); i++; continue; }
      pieces.push(c); i++;
    }
  }
  function literal(alt) { if (alt.pieces.indexOf(null) >= 0) { return null; } return alt.pieces.join(""); }

  var KEYS = ["state", "priority", "type", "label", "milestone", "assignee", "reporter", "parent", "id", "created", "updated", "due", "estimate", "text", "title", "blocked", "has", "gate", "is", "sort"];
  var ORDERED = { priority: 1, created: 1, updated: 1, due: 1, estimate: 1 };
  var WILD = { type: 1, label: 1, milestone: 1, assignee: 1, reporter: 1, text: 1, title: 1, gate: 1 };
  var HAS = { pr: "pr", prs: "pr", assignee: "assignee", labels: "labels", label: "labels", deps: "deps", dep: "deps", dependencies: "deps", gates: "gates", gate: "gates", milestone: "milestone", due: "due", parent: "parent", comments: "comments", comment: "comments", checklist: "checklist", lease: "lease", estimate: "estimate" };
  var HAS_DOC = "pr, assignee, labels, deps, gates, milestone, due, parent, comments, checklist, lease, estimate";
  var SORT_FIELDS = ["priority", "created", "updated", "due", "title", "id", "state", "estimate"];

  function pattern(alt) {
    var segs = [""];
    alt.pieces.forEach(function (p) { if (p === null) { segs.push(""); } else { segs[segs.length - 1] += p.toLowerCase(); } });
    return segs;
  }
  function substring(segs) {
    segs = segs.slice();
    if (segs.length < 2 || segs[0] !== "") { segs.unshift(""); }
    if (segs[segs.length - 1] !== "") { segs.push(""); }
    return segs;
  }
  function patMatches(segs, s) {
    var hay = fold(s);
    if (segs.length === 1) { return hay === segs[0]; }
    var first = segs[0], last = segs[segs.length - 1];
    if (hay.indexOf(first) !== 0) { return false; }
    var tail = hay.slice(first.length);
    for (var k = 1; k < segs.length - 1; k++) {
      var at = tail.indexOf(segs[k]);
      if (at < 0) { return false; }
      tail = tail.slice(at + segs[k].length);
    }
    return tail.length >= last.length && tail.slice(tail.length - last.length) === last;
  }

  function parseDuration(s) { // seconds as BigInt, or null
    var t = rtrim(s);
    if (!t) { return null; }
    var total = 0n, num = "";
    for (var c of t) {
      if (c >= "0" && c <= "9") { num += c; continue; }
      var unit = { s: 1n, m: 60n, h: 3600n, d: 86400n, w: 604800n }[c];
      if (unit === undefined || num === "") { return null; }
      var n = BigInt(num);
      if (n > U64_MAX) { return null; }
      num = "";
      total = total + n * unit;
      if (total > U64_MAX) { return null; }
    }
    if (num !== "" || total === 0n) { return null; }
    return total;
  }
  function daysFromCivil(y, m, d) { // days since 1970-01-01 (proleptic Gregorian)
    y = m <= 2 ? y - 1 : y;
    var era = Math.floor(y / 400);
    var yoe = y - era * 400;
    var doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
    var doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
    return era * 146097 + doe - 719468;
  }
  function validDate(y, m, d) {
    if (m < 1 || m > 12 || d < 1) { return false; }
    var leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
    var dim = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
    return d <= dim && y >= -262143 && y <= 262142;
  }
  var WSC = "[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*";
  var DATE_RE = new RegExp("^" + WSC + "([+-][0-9]+|[0-9]{1,4})-" + WSC + "([0-9]{1,2})-" + WSC + "([0-9]{1,2})$");
  function parseDate(s) { // days since 1970-01-01, or null (chrono's %Y-%m-%d)
    var m = DATE_RE.exec(rtrim(s));
    if (!m) { return null; }
    var y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
    if (!validDate(y, mo, d)) { return null; }
    return daysFromCivil(y, mo, d);
  }
  var TS_RE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?([Zz]|([+-])([0-9]{2}):([0-9]{2}))$/;
  function parseTimestamp(s) { // milliseconds since the epoch, or null (RFC 3339)
    var m = TS_RE.exec(rtrim(s));
    if (!m) { return null; }
    var y = +m[1], mo = +m[2], d = +m[3], h = +m[4], mi = +m[5], se = +m[6];
    if (!validDate(y, mo, d) || h > 23 || mi > 59 || se > 60) { return null; }
    var off = 0;
    if (m[9]) {
      var oh = +m[10], om = +m[11];
      if (oh > 23 || om > 59) { return null; }
      off = (oh * 60 + om) * (m[9] === "-" ? -1 : 1);
    }
    var ms = m[7] ? Math.floor(Number("0" + m[7]) * 1000 + 1e-9) : 0;
    if (se === 60) { se = 59; ms += 1000; }
    return daysFromCivil(y, mo, d) * 86400000 + ((h * 60 + mi - off) * 60 + se) * 1000 + ms;
  }
  var NUM_RE = /^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)$/i;
  function parseF64(s) { var t = rtrim(s); if (!NUM_RE.test(t)) { return null; } var l = t.toLowerCase().replace(/^[+-]/, ""); if (l === "inf" || l === "infinity" || l === "nan") { return NaN; } return Number(t); }
  var CROCKFORD = /^[0-9A-HJKMNP-TV-Z]$/;
  function idPrefix(s) {
    var t = rtrim(s);
    if (!t) { return { error: "empty id" }; }
    if (utf8Len(t) > 26) { return { error: "longer than 26 characters" }; }
    var up = asciiUpper(t);
    for (var c of up) { if (!CROCKFORD.test(c)) { return { error: "`" + c + "` is not a base32 id character" }; } }
    return { upper: up };
  }
  function prefixMatches(up, id) { return id.indexOf(up) === 0 || id.slice(18).indexOf(up) === 0; }
  function point(op, v) {
    switch (op) {
      case "=": return [v, v];
      case ">": return [satAdd(v, 1n), I64_MAX];
      case ">=": return [v, I64_MAX];
      case "<": return [I64_MIN, satAdd(v, -1n)];
      default: return [I64_MIN, v];
    }
  }
  function span(op, start, end) {
    var last = satAdd(end, -1n);
    switch (op) {
      case "=": return [start, last];
      case ">": return [end, I64_MAX];
      case ">=": return [start, I64_MAX];
      case "<": return [I64_MIN, satAdd(start, -1n)];
      default: return [I64_MIN, last];
    }
  }

  function parseQuery(input, nowMs) {
    var q = { terms: [], sort: [] };
    lex(input).forEach(function (raw) {
      if (!raw.key) {
        q.terms.push({ negated: raw.negated, any: raw.alts.map(function (a) { return textCond(a, "text"); }) });
        return;
      }
      var lower = fold(raw.key.text);
      if (KEYS.indexOf(lower) < 0) {
        throw qerr(raw.key.pos, raw.key.text, "unknown key `" + raw.key.text + "`; known keys: " + KEYS.join(", ") + "; to search for text containing `:`, quote it (`\"" + raw.src.replace(/^-+/, "").replace(/"/g, '\\"') + "\"`)");
      }
      if (lower === "sort") { q.sort.push(sortKey(raw)); return; }
      q.terms.push({ negated: raw.negated, any: raw.alts.map(function (a) { return cond(lower, a, nowMs); }) });
    });
    return q;
  }
  function sortKey(raw) {
    if (raw.negated) { throw qerr(raw.pos, raw.src, "`sort:` cannot be negated; for descending order write `sort:-FIELD`"); }
    if (raw.alts.length !== 1) { throw qerr(raw.pos, raw.src, "`sort:` takes one field; write one `sort:` term per field, in order"); }
    var alt = raw.alts[0];
    var bad = function () { return qerr(alt.pos, alt.src, "cannot sort by `" + alt.src + "`; sort fields: " + SORT_FIELDS.join(", ") + " (prefix `-` for descending)"); };
    if (alt.op !== "=") { throw bad(); }
    var t = literal(alt);
    if (t === null) { throw bad(); }
    t = fold(t);
    var desc = t.charAt(0) === "-";
    var name = desc ? t.slice(1) : t;
    if (SORT_FIELDS.indexOf(name) < 0) { throw bad(); }
    return { field: name, desc: desc };
  }
  function textCond(alt, key) {
    var p = pattern(alt);
    if (p.every(function (s) { return s === ""; })) { throw qerr(alt.pos, alt.src, "empty search text; give some text to look for"); }
    return { k: key, p: substring(p) };
  }
  function timeRange(alt, value, nowMs) {
    var bad = function (m) { return qerr(alt.pos, alt.src, m); };
    var d = parseDuration(value);
    if (d !== null) {
      var spanMs = d * 1000n;
      if (spanMs > I64_MAX) { spanMs = I64_MAX; }
      var cutoff = satAdd(BigInt(nowMs), -spanMs);
      var flip = { ">": "<", ">=": "<=", "<": ">", "<=": ">=" }[alt.op];
      if (!flip) { throw bad("a span needs a comparison: `<" + value + "` means within the last " + value + ", `>" + value + "` means more than " + value + " ago"); }
      return point(flip, cutoff);
    }
    var day = parseDate(value);
    if (day !== null) { var start = BigInt(day) * 86400000n; return span(alt.op, start, satAdd(start, 86400000n)); }
    var t = parseTimestamp(value);
    if (t !== null) { return point(alt.op, BigInt(t)); }
    throw bad("`" + value + "` is not a span (`90s`, `30m`, `24h`, `7d`, `2w`, `1h30m`), a date (`2026-01-31`) or an RFC 3339 time (`2026-01-31T12:00:00Z`)");
  }
  function cond(key, alt, nowMs) {
    if (alt.op !== "=" && !ORDERED[key]) {
      throw qerr(alt.pos, alt.src, "`" + key + "` cannot be compared with `" + alt.op + "`; only priority, created, updated, due and estimate are ordered");
    }
    if (alt.pieces.length === 0) { throw qerr(alt.pos, alt.src, "`" + key + ":` has an empty value; give a value to match"); }
    if (alt.pieces.indexOf(null) >= 0 && !WILD[key]) {
      throw qerr(alt.pos, alt.src, "`" + key + "` does not take `*` wildcards; they work for type, label, milestone, assignee, reporter, gate, text and title (write `\\*` inside quotes for a literal star)");
    }
    var value = literal(alt) || "";
    var bad = function (m) { return qerr(alt.pos, alt.src, m); };
    var isNone = !alt.quoted && asciiLower(value) === "none";
    switch (key) {
      case "state": {
        var s = asciiLower(rtrim(value)).replace(/-/g, "_");
        if (STATES.indexOf(s) < 0) { throw bad("unknown state `" + value + "`; valid states: " + STATES.join(", ")); }
        return { k: "state", v: s };
      }
      case "priority": {
        var p = asciiLower(rtrim(value)).replace(/-/g, "_");
        if (PRIORITIES.indexOf(p) < 0) { throw bad("unknown priority `" + value + "`; valid priorities, lowest first: " + PRIORITIES.join(", ")); }
        return { k: "priority", op: alt.op, v: PRIORITIES.indexOf(p) };
      }
      case "type": case "label": case "gate": return { k: key, p: pattern(alt) };
      case "milestone": case "assignee": case "reporter": return { k: key, p: isNone ? null : pattern(alt) };
      case "parent": case "id": {
        if (key === "parent" && isNone) { return { k: "parent", v: null }; }
        var pre = idPrefix(value);
        if (pre.error) { throw bad("`" + value + "` is not an id, short id or id prefix: " + pre.error); }
        return { k: key, v: pre.upper };
      }
      case "created": case "updated": return { k: key, r: timeRange(alt, value, nowMs) };
      case "due": {
        var day = parseDate(value);
        if (day === null) { throw bad("`" + value + "` is not a date; write the due date as YYYY-MM-DD"); }
        return { k: "due", r: point(alt.op, BigInt(day)) };
      }
      case "estimate": {
        var n = parseF64(value);
        if (n === null || !isFinite(n)) { throw bad("`" + value + "` is not a number; write an estimate like `3` or `0.5`"); }
        return { k: "estimate", op: alt.op, v: n };
      }
      case "text": case "title": return textCond(alt, key);
      case "blocked": {
        var b = asciiLower(value);
        if (b !== "true" && b !== "false") { throw bad("`blocked:` takes true or false, not `" + value + "`"); }
        return { k: "blocked", v: b === "true" };
      }
      case "has": {
        var h = HAS[asciiLower(value)];
        if (!h) { throw bad("`has:" + value + "` is not something an issue can have; one of: " + HAS_DOC); }
        return { k: "has", v: h };
      }
      case "is": {
        var w = asciiLower(value);
        if (w !== "open" && w !== "closed" && w !== "ready") { throw bad("`is:` takes open, closed or ready, not `" + value + "`"); }
        return { k: "is", v: w };
      }
    }
    throw bad("`sort:` is not a condition");
  }

  function present(s) { return typeof s === "string" && rtrim(s) !== "" ? s : null; }
  function optMatches(p, have) { var h = present(have); return p === null ? h === null : h !== null && patMatches(p, h); }
  function compare(op, a, b) {
    switch (op) { case "=": return a === b; case ">": return a > b; case ">=": return a >= b; case "<": return a < b; default: return a <= b; }
  }
  function inRange(r, x) { return r[0] <= x && x <= r[1]; }
  function dueDay(i) {
    var s = present(i.due);
    if (s === null) { return null; }
    var d = parseDate(s);
    if (d !== null) { return d; }
    var t = parseTimestamp(s);
    return t === null ? null : Math.floor(t / 86400000);
  }
  function estimateOf(i) { return typeof i.estimate === "number" && isFinite(i.estimate) ? i.estimate : null; }
  function tsMs(s) { var t = parseTimestamp(s || ""); return t === null ? 0 : t; }
  function has(h, i) {
    switch (h) {
      case "pr": return (i.prs || []).length > 0;
      case "assignee": return present(i.assignee) !== null;
      case "labels": return (i.labels || []).length > 0;
      case "deps": return (i.dependencies || []).length + (i.private_dependencies || 0) > 0;
      case "gates": return (i.gates_required || []).length > 0;
      case "milestone": return present(i.milestone) !== null;
      case "due": return present(i.due) !== null;
      case "parent": return i.parent != null || !!i.private_parent;
      case "comments": return (i.comments || []).length > 0;
      case "checklist": return (i.checklist || []).length > 0;
      case "lease": return i.lease != null;
      default: return i.estimate != null;
    }
  }
  function condMatches(c, i) {
    switch (c.k) {
      case "state": return i.state === c.v;
      case "priority": return compare(c.op, PRIORITIES.indexOf(i.priority), c.v);
      case "type": return patMatches(c.p, i.type || "task");
      case "label": return (i.labels || []).some(function (l) { return patMatches(c.p, l); });
      case "milestone": return optMatches(c.p, i.milestone);
      case "assignee": return optMatches(c.p, i.assignee);
      case "reporter": return optMatches(c.p, i.reporter);
      case "parent": return c.v === null ? (i.parent == null && !i.private_parent) : (i.parent != null && prefixMatches(c.v, i.parent));
      case "id": return prefixMatches(c.v, i.id);
      case "created": return inRange(c.r, BigInt(tsMs(i.created_at)));
      case "updated": return inRange(c.r, BigInt(tsMs(i.updated_at)));
      case "due": { var d = dueDay(i); return d !== null && inRange(c.r, BigInt(d)); }
      case "estimate": { var e = estimateOf(i); return e !== null && compare(c.op, e, c.v); }
      case "text": return patMatches(c.p, i.title) || patMatches(c.p, i.description || "") || (i.comments || []).some(function (m) { return patMatches(c.p, m.body); });
      case "title": return patMatches(c.p, i.title);
      case "blocked": return !!i.blocked === c.v;
      case "has": return has(c.v, i);
      case "gate": return (i.gates_required || []).some(function (g) { return patMatches(c.p, g); });
      default: {
        if (c.v === "ready") { return claimable(i, c); }
        var closed = i.state === "done" || i.state === "archived";
        return c.v === "open" ? !closed : closed;
      }
    }
  }
  // The container types `is:ready` leaves out unless a query names them (the store's, from
  // the page's data; these are the defaults).
  var CONTAINERS = ["epic", "milestone"];
  // `is:ready`: claimable at the query's time, by the one rule of `jit query ready`.
  function claimable(i, c) {
    if (i.blocked || c.containers.indexOf(i.type || "task") >= 0) { return false; }
    if (i.deferred_until && tsMs(i.deferred_until) > c.now) { return false; }
    var assigned = i.assignee != null;
    var open = i.state === "backlog" || i.state === "ready";
    if (open && !assigned) { return true; }
    var expired = assigned && !!(i.lease && i.lease.expires_at && tsMs(i.lease.expires_at) <= c.now);
    return expired && (open || i.state === "in_progress");
  }
  // Sets the `now` and the containers of the query's `is:ready` conditions.
  function settle(q, nowMs) {
    var asked = function (t) {
      return q.terms.some(function (term) {
        return !term.negated && term.any.some(function (c) { return c.k === "type" && patMatches(c.p, t); });
      });
    };
    var containers = CONTAINERS.filter(function (t) { return !asked(t); });
    q.terms.forEach(function (term) {
      term.any.forEach(function (c) { if (c.k === "is" && c.v === "ready") { c.now = nowMs; c.containers = containers; } });
    });
    return q;
  }
  function queryMatches(q, i) {
    return q.terms.every(function (t) { return t.any.some(function (c) { return condMatches(c, i); }) !== t.negated; });
  }
  function missingLast(a, b, desc) {
    if (a !== null && b !== null) { var o = a < b ? -1 : a > b ? 1 : 0; return desc ? -o : o; }
    if (a !== null) { return -1; }
    if (b !== null) { return 1; }
    return 0;
  }
  function keyOrder(k, a, b) {
    var dir = function (o) { return k.desc ? -o : o; };
    switch (k.field) {
      case "priority": return dir(PRIORITIES.indexOf(a.priority) - PRIORITIES.indexOf(b.priority));
      case "created": return dir(Math.sign(tsMs(a.created_at) - tsMs(b.created_at)));
      case "updated": return dir(Math.sign(tsMs(a.updated_at) - tsMs(b.updated_at)));
      case "title": return dir(cmpStr(fold(a.title), fold(b.title)));
      case "id": return dir(cmpStr(a.id, b.id));
      case "state": return dir(STATES.indexOf(a.state) - STATES.indexOf(b.state));
      case "due": return missingLast(dueDay(a), dueDay(b), k.desc);
      default: return missingLast(estimateOf(a), estimateOf(b), k.desc);
    }
  }
  function querySort(keys, list) {
    return list.slice().sort(function (a, b) {
      for (var n = 0; n < keys.length; n++) { var o = keyOrder(keys[n], a, b); if (o !== 0) { return o; } }
      return cmpStr(a.id, b.id);
    });
  }

  var Query = {
    parse: function (input, nowMs) { return settle(parseQuery(input, nowMs), nowMs); },
    matches: queryMatches,
    sort: querySort,
    QueryError: QueryError,
    // Filters a list of issues the way `jit issue list --filter Q` does: matches, then sort:.
    filter: function (input, issues, nowMs) {
      var q = settle(parseQuery(input, nowMs), nowMs);
      var out = issues.filter(function (i) { return queryMatches(q, i); });
      return q.sort.length ? querySort(q.sort, out) : out;
    },
  };
  root.JitQuery = Query;
  if (typeof document === "undefined") { return; }

  // ------------------------------------------------------------------------------------------
  // The page
  // ------------------------------------------------------------------------------------------

  var doc = document;
  function el(tag, attrs, kids) {
    var e = doc.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) { return; }
        if (k === "text") { e.textContent = String(v); }
        else if (k === "class") { e.className = v; }
        else { e.setAttribute(k, v === true ? "" : String(v)); }
      });
    }
    (kids || []).forEach(function (c) { if (c !== null && c !== undefined && c !== false) { e.appendChild(typeof c === "string" ? doc.createTextNode(c) : c); } });
    return e;
  }
  function svg(tag, attrs, kids) {
    var e = doc.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (k) { if (k === "text") { e.textContent = attrs[k]; } else { e.setAttribute(k, String(attrs[k])); } });
    (kids || []).forEach(function (c) { if (c) { e.appendChild(c); } });
    return e;
  }
  function clear(n) { while (n.firstChild) { n.removeChild(n.firstChild); } return n; }
  function on(n, ev, f, opts) { n.addEventListener(ev, f, opts); return n; }

  var STATE_LABEL = { backlog: "backlog", ready: "ready", in_progress: "in progress", gated: "gated", done: "done", archived: "archived" };
  var LANES = ["backlog", "ready", "in_progress", "gated", "done"];
  var CAP = 120; // cards per column before "show more"

  var bootEl = doc.getElementById("data");
  var boot = {};
  try { boot = JSON.parse(bootEl ? bootEl.textContent : "{}") || {}; } catch (e) { boot = {}; }
  var LIVE = boot.mode === "live";

  var S = {
    data: LIVE ? null : boot,
    issues: [], byId: {}, byShort: {}, children: {}, dependents: {},
    events: [], actors: [], rendered: {}, writable: false, source: null, connected: false,
    showMore: {}, listScroll: null,
  };

  function nowMs() { return Date.now(); }
  // Leases are judged at the moment the data describes: now when live, the export's time in a
  // static export (a frozen page must not count a lease down to an expiry that never happened).
  function leaseNow() { return LIVE || !S.data || !S.data.generated_at ? Date.now() : tsMs(S.data.generated_at); }
  function short(id) { return id && id.length === 26 ? id.slice(18).toLowerCase() : String(id || ""); }
  function issueOf(ref) { return S.byId[ref] || S.byShort[String(ref).toLowerCase()] || null; }

  function reindex() {
    S.byId = {}; S.byShort = {}; S.children = {}; S.dependents = {};
    S.issues.forEach(function (i) { S.byId[i.id] = i; S.byShort[i.short_id] = i; });
    S.issues.forEach(function (i) {
      if (i.parent) { (S.children[i.parent] = S.children[i.parent] || []).push(i); }
      (i.dependencies || []).forEach(function (d) { (S.dependents[d] = S.dependents[d] || []).push(i); });
    });
  }
  function load(data) {
    S.data = data;
    if (data.containers) { CONTAINERS = data.containers; }
    S.issues = (data.issues || []).slice().sort(function (a, b) { return cmpStr(a.id, b.id); });
    S.events = (data.events || []).slice();
    S.actors = data.actors || [];
    S.rendered = data.rendered || {};
    S.writable = LIVE && !data.read_only && boot.writable !== false;
    reindex();
  }

  // Waiting (dependencies not done, gates pending) is normal order; a failed gate or an
  // expired lease is an alarm.
  function failedGates(i) { return (i.blocked_by || []).filter(function (b) { return b.kind === "gate" && b.status === "failed"; }); }
  function leaseExpired(i, now) { return !!(i.lease && i.lease.expires_at && tsMs(i.lease.expires_at) <= now); }
  function alarm(i) {
    var out = [];
    if (failedGates(i).length) { out.push("gate failed: " + failedGates(i).map(function (b) { return b.key; }).join(", ")); }
    if (i.state !== "done" && i.state !== "archived" && leaseExpired(i, leaseNow())) { out.push("lease expired"); }
    return out;
  }
  function waiting(i) { return !!i.blocked && failedGates(i).length === 0; }
  function waitingText(i) {
    var deps = (i.blocked_by || []).filter(function (b) { return b.kind === "dependency"; }).length;
    var gates = (i.blocked_by || []).filter(function (b) { return b.kind === "gate" && b.status !== "failed"; }).length;
    var parts = [];
    if (deps) { parts.push(deps + " dependenc" + (deps === 1 ? "y" : "ies")); }
    if (gates) { parts.push(gates + " gate" + (gates === 1 ? "" : "s")); }
    return "waiting on " + parts.join(" and ");
  }

  // ---- the URL: #/view?key=value&... ----
  var VIEWS = [["board", "Board"], ["list", "List"], ["kanban", "Kanban"], ["graph", "Graph"], ["agents", "Agents"], ["leases", "Leases"], ["events", "Events"], ["stats", "Stats"]];
  var FILTERS = ["type", "label", "milestone", "assignee", "priority", "state"];
  function parseHash() {
    var h = (location.hash || "").replace(/^#\/?/, "");
    var qi = h.indexOf("?");
    var path = qi >= 0 ? h.slice(0, qi) : h;
    var params = {};
    (qi >= 0 ? h.slice(qi + 1) : "").split("&").forEach(function (p) {
      if (!p) { return; }
      var eq = p.indexOf("=");
      var k = decodeURIComponent(eq >= 0 ? p.slice(0, eq) : p);
      var v = eq >= 0 ? decodeURIComponent(p.slice(eq + 1).replace(/\+/g, " ")) : "";
      params[k] = v;
    });
    var parts = path.split("/");
    var view = parts[0] || "board";
    if (view === "roadmap") { view = "board"; }
    return { view: view, id: parts[1] ? decodeURIComponent(parts[1]) : null, params: params };
  }
  function hashFor(view, id, params) {
    var keys = Object.keys(params || {}).filter(function (k) { return params[k] !== "" && params[k] != null; }).sort();
    var qs = keys.map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
    return "#/" + view + (id ? "/" + encodeURIComponent(id) : "") + (qs ? "?" + qs : "");
  }
  function go(view, id, params, replace) {
    var h = hashFor(view, id, params);
    if (h === location.hash) { render(); return; }
    if (replace && history.replaceState) { history.replaceState(null, "", h); render(); } else { location.hash = h; }
  }
  function setParam(k, v) { var r = parseHash(); var p = Object.assign({}, r.params); if (v === "" || v == null) { delete p[k]; } else { p[k] = v; } go(r.view, r.id, p, true); }
  function keepParams(p) { var out = {}; ["q"].concat(FILTERS).forEach(function (k) { if (p[k]) { out[k] = p[k]; } }); return out; }

  // ---- the effective query: the search box and the filter menus ----
  function quoteValue(v) { return /^[^\s"|*:\\]+$/.test(v) && v.charAt(0) !== "-" ? v : '"' + v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\*/g, "\\*") + '"'; }
  function effectiveQuery(params) {
    var parts = [];
    if (params.q) { parts.push(params.q); }
    FILTERS.forEach(function (k) {
      var v = params[k];
      if (!v) { return; }
      if (k === "state" && v === "waiting") { parts.push("blocked:true"); return; }
      if (k === "state" && v === "open") { parts.push("is:open"); return; }
      parts.push(k + ":" + (k === "assignee" || k === "milestone" ? (v === "none" ? "none" : quoteValue(v)) : quoteValue(v)));
    });
    return parts.join(" ");
  }
  var lastQuery = { text: null, result: null, error: null, at: 0 };
  function shown(params) {
    var text = effectiveQuery(params);
    var showArchived = params.state === "archived" || /(^|\s)-?(state|is):/i.test(params.q || "");
    var key = text + "\u0000" + showArchived;
    if (lastQuery.text === key && lastQuery.issues === S.issues && lastQuery.version === S.version) { return lastQuery; }
    var out = { text: key, issues: S.issues, version: S.version, error: null, result: [] };
    try {
      var base = showArchived ? S.issues : S.issues.filter(function (i) { return i.state !== "archived"; });
      out.result = text ? Query.filter(text, base, nowMs()) : base;
      if (params.state === "waiting") { out.result = out.result.filter(waiting); }
    } catch (e) {
      if (!(e instanceof QueryError)) { throw e; }
      out.error = e;
      out.result = S.issues.filter(function (i) { return i.state !== "archived"; });
    }
    lastQuery = out;
    return out;
  }
  function showQueryError(err, params) {
    var box = doc.getElementById("qerror");
    if (!box) { return; }
    clear(box);
    box.hidden = !err;
    if (!err) { return; }
    var fromBox = params.q && err.position <= Array.from(params.q).length;
    box.appendChild(el("strong", { text: "Query error" }));
    box.appendChild(doc.createTextNode(fromBox ? " at " + err.position + " (" : " ("));
    box.appendChild(el("code", { text: err.token }));
    box.appendChild(doc.createTextNode("): " + err.message));
  }

  // ---- small pieces ----
  function badge(state) { return el("span", { class: "badge st-" + state, text: STATE_LABEL[state] || state }); }
  function chip(text, cls) { return el("span", { class: "chip " + (cls || ""), text: text }); }
  function rel(ms) {
    var d = Math.round((nowMs() - ms) / 1000), a = Math.abs(d), s;
    if (a < 60) { s = a + "s"; } else if (a < 3600) { s = Math.floor(a / 60) + "m"; } else if (a < 86400) { s = Math.floor(a / 3600) + "h"; } else { s = Math.floor(a / 86400) + "d"; }
    return d >= 0 ? s + " ago" : "in " + s;
  }
  function clock(ms) { var t = Math.max(0, Math.floor(ms / 1000)); var h = Math.floor(t / 3600), m = Math.floor(t % 3600 / 60), s = t % 60; return (h ? h + "h " : "") + (h || m ? m + "m " : "") + s + "s"; }
  function issueLink(i, content) { var a = el("a", { href: hashFor("issue", i.short_id, keepParams(parseHash().params)), class: "ref" }, content || [el("code", { text: i.short_id }), " ", i.title]); return a; }
  function refTo(id) {
    var i = issueOf(id);
    if (!i) { return el("span", { class: "missing" }, [el("code", { text: short(id) }), " (not shown)"]); }
    return el("span", { class: "refline" }, [issueLink(i), " ", badge(i.state)]);
  }
  function statusNote(i) {
    var al = alarm(i);
    if (al.length) { return el("span", { class: "note alarm", text: al.join(" · ") }); }
    if (waiting(i) && i.state !== "done") { return el("span", { class: "note waiting", text: waitingText(i) }); }
    return null;
  }
  function toast(msg, kind) {
    var box = doc.getElementById("toasts");
    if (!box) { return; }
    var t = el("div", { class: "toast " + (kind || ""), role: "status", text: msg });
    box.appendChild(t);
    setTimeout(function () { t.classList.add("leaving"); setTimeout(function () { if (t.parentNode) { t.parentNode.removeChild(t); } }, 400); }, kind === "error" ? 7000 : 3500);
  }

  function card(i, draggable) {
    var meta = [chip(i.type || "task", "type"), chip(i.priority, "prio p-" + i.priority)];
    (i.labels || []).forEach(function (l) { meta.push(chip(l, "label")); });
    meta.push(conflictChip(i));
    if (i.assignee) { meta.push(el("span", { class: "who", text: i.assignee })); }
    var kids = S.children[i.id];
    var c = el("a", {
      class: "card st-" + i.state + (alarm(i).length ? " is-alarm" : "") + (waiting(i) ? " is-waiting" : ""),
      href: hashFor("issue", i.short_id, keepParams(parseHash().params)),
      "data-id": i.short_id, "data-testid": "card-" + i.short_id,
      draggable: draggable ? "true" : null,
    }, [
      el("span", { class: "card-top" }, [el("code", { class: "sid", text: i.short_id }), badge(i.state)]),
      el("span", { class: "card-title", text: i.title }),
      statusNote(i),
      kids ? el("span", { class: "note", text: kids.filter(function (k) { return k.state === "done"; }).length + " of " + kids.length + " sub-tasks done" }) : null,
      el("span", { class: "card-meta" }, meta),
    ]);
    if (draggable) {
      on(c, "dragstart", function (ev) { ev.dataTransfer.setData("text/plain", i.short_id); ev.dataTransfer.effectAllowed = "move"; c.classList.add("dragging"); });
      on(c, "dragend", function () { c.classList.remove("dragging"); });
    }
    return c;
  }
  function cards(list, key, draggable) {
    var box = el("div", { class: "cards" });
    var limit = S.showMore[key] ? list.length : CAP;
    list.slice(0, limit).forEach(function (i) { box.appendChild(card(i, draggable)); });
    if (list.length > limit) {
      var more = el("button", { type: "button", class: "more", text: "Show " + (list.length - limit) + " more" });
      on(more, "click", function () { S.showMore[key] = true; render(); });
      box.appendChild(more);
    }
    return box;
  }

  // ---- the stats strip ----
  function statsStrip(list) {
    var n = { total: list.length, ready: 0, in_progress: 0, blocked: 0, alarms: 0, done: 0 };
    list.forEach(function (i) {
      if (i.state === "ready" && !i.blocked) { n.ready++; }
      if (i.state === "in_progress") { n.in_progress++; }
      if (i.state === "done") { n.done++; }
      if (waiting(i) && i.state !== "done") { n.blocked++; }
      if (alarm(i).length) { n.alarms++; }
    });
    var pct = n.total ? Math.floor(n.done * 100 / n.total) : 0;
    var items = [["total", "Total"], ["ready", "Ready"], ["in_progress", "In progress"], ["blocked", "Waiting"], ["alarms", "Alarms"], ["done", "Done"]];
    var box = el("section", { class: "stats", id: "stats", "aria-label": "Statistics" });
    items.forEach(function (it) {
      var s = el("div", { class: "stat stat-" + it[0] + (it[0] === "alarms" && n.alarms ? " hot" : "") }, [el("span", { class: "num", "data-stat": it[0], text: String(n[it[0]]) }), el("span", { class: "lbl", text: it[1] })]);
      box.appendChild(s);
    });
    var bar = el("span", { class: "bar" }, [el("span", { class: "fill" })]);
    bar.firstChild.style.width = pct + "%";
    box.appendChild(el("div", { class: "stat stat-progress" }, [el("span", { class: "num", "data-stat": "percent", text: pct + "%" }), el("span", { class: "lbl", text: "Complete" }), bar]));
    return box;
  }

  // ---- views ----
  function milestoneGroups(list) {
    var named = {}, order = [], unplanned = [];
    list.forEach(function (i) {
      if (i.milestone != null) { if (!named[i.milestone]) { named[i.milestone] = []; order.push(i.milestone); } named[i.milestone].push(i); }
      else { unplanned.push(i); }
    });
    var groups = order.map(function (m) {
      var dues = named[m].map(function (i) { return i.due; }).filter(function (d) { return d != null; }).sort(cmpStr);
      return { name: m, milestone: m, due: dues.length ? dues[0] : null, issues: named[m] };
    });
    groups.sort(function (a, b) {
      if (a.due !== null && b.due !== null) { return cmpStr(a.due, b.due) || cmpStr(a.name, b.name); }
      if (a.due !== null) { return -1; }
      if (b.due !== null) { return 1; }
      return cmpStr(a.name, b.name);
    });
    if (unplanned.length) { groups.push({ name: "Unplanned", milestone: null, due: null, issues: unplanned }); }
    return groups;
  }
  function viewBoard(main, list) {
    main.appendChild(statsStrip(list));
    var board = el("div", { class: "board" });
    milestoneGroups(list).forEach(function (g) {
      var done = g.issues.filter(function (i) { return i.state === "done"; }).length;
      var pct = g.issues.length ? Math.floor(done * 100 / g.issues.length) : 0;
      var bar = el("span", { class: "bar" }, [el("span", { class: "fill" })]);
      bar.firstChild.style.width = pct + "%";
      board.appendChild(el("div", { class: "column milestone" }, [
        el("header", null, [el("h2", { text: g.name }), el("div", { class: "col-meta" }, [g.due ? el("span", { class: "due", text: "due " + g.due }) : null, el("span", { class: "count", text: done + " of " + g.issues.length + " done" })]), bar]),
        cards(g.issues, "m:" + g.name, false),
      ]));
    });
    if (!list.length) { board.appendChild(el("p", { class: "empty", text: "No issues match." })); }
    main.appendChild(board);
  }

  var COLUMNS = [
    ["id", "ID", function (i) { return i.id; }],
    ["title", "Title", function (i) { return fold(i.title); }],
    ["state", "Status", function (i) { return STATES.indexOf(i.state); }],
    ["type", "Type", function (i) { return i.type || ""; }],
    ["priority", "Priority", function (i) { return PRIORITIES.indexOf(i.priority); }],
    ["milestone", "Milestone", function (i) { return i.milestone || "\uffff"; }],
    ["assignee", "Assignee", function (i) { return i.assignee || "\uffff"; }],
    ["labels", "Labels", function (i) { return (i.labels || []).join(","); }],
    ["due", "Due", function (i) { return i.due || "\uffff"; }],
    ["updated", "Updated", function (i) { return i.updated_at || ""; }],
  ];
  var ROW = 41; // px per list row (fixed: the list renders only the rows on screen)
  function listRow(i) {
    var tr = el("tr", { "data-id": i.short_id, class: "st-" + i.state });
    var title = el("td", { class: "c-title" }, [issueLink(i, [i.title])]);
    var mc = conflictChip(i);
    if (mc) { title.appendChild(doc.createTextNode(" ")); title.appendChild(mc); }
    var note = statusNote(i);
    if (note) { title.appendChild(note); }
    [
      el("td", { class: "c-id" }, [issueLink(i, [el("code", { text: i.short_id })])]),
      title,
      el("td", { class: "c-state" }, [badge(i.state)]),
      el("td", { class: "c-type", text: i.type || "" }),
      el("td", { class: "c-priority" }, [chip(i.priority, "prio p-" + i.priority)]),
      el("td", { class: "c-milestone", text: i.milestone || "" }),
      el("td", { class: "c-assignee", text: i.assignee || "" }),
      el("td", { class: "c-labels" }, (i.labels || []).map(function (l) { return chip(l, "label"); })),
      el("td", { class: "c-due", text: i.due || "" }),
      el("td", { class: "c-updated", text: i.updated_at ? rel(tsMs(i.updated_at)) : "" }),
    ].forEach(function (td) { tr.appendChild(td); });
    return tr;
  }
  function viewList(main, list, params) {
    main.appendChild(statsStrip(list));
    var sortKey = params.sort || "";
    var desc = sortKey.charAt(0) === "-";
    var col = COLUMNS.filter(function (c) { return c[0] === sortKey.replace(/^-/, ""); })[0];
    var rows = list;
    if (col) {
      var f = col[2];
      rows = list.slice().sort(function (a, b) {
        var x = f(a), y = f(b);
        var o = typeof x === "number" ? x - y : cmpStr(String(x), String(y));
        return (desc ? -o : o) || cmpStr(a.id, b.id);
      });
    }
    var head = el("tr");
    COLUMNS.forEach(function (c) {
      var active = col && col[0] === c[0];
      var b = el("button", { type: "button", class: "sort" + (active ? " on" : ""), "data-sort": c[0], text: c[1] + (active ? (desc ? " ▼" : " ▲") : "") });
      on(b, "click", function () { setParam("sort", active && !desc ? "-" + c[0] : active && desc ? "" : c[0]); });
      head.appendChild(el("th", { class: "c-" + c[0], "aria-sort": active ? (desc ? "descending" : "ascending") : null }, [b]));
    });
    var tbody = el("tbody");
    var table = el("table", { class: "list" }, [el("thead", null, [head]), tbody]);
    var wrap = el("div", { class: "table-wrap" }, [table]);
    main.appendChild(wrap);
    main.appendChild(el("p", { class: "muted shown", text: rows.length + " issue" + (rows.length === 1 ? "" : "s") }));
    if (rows.length <= 200) {
      rows.forEach(function (i) { tbody.appendChild(listRow(i)); });
      return;
    }
    // Many rows: draw only those near the screen, between two spacers.
    var top = el("tr", { class: "spacer" }), bottom = el("tr", { class: "spacer" });
    var drawn = [-1, -1];
    function draw() {
      var rect = table.getBoundingClientRect();
      var headH = table.tHead ? table.tHead.offsetHeight : 0;
      var first = Math.max(0, Math.floor((-rect.top - headH) / ROW) - 20);
      var last = Math.min(rows.length, first + Math.ceil(window.innerHeight / ROW) + 40);
      if (first === drawn[0] && last === drawn[1]) { return; }
      drawn = [first, last];
      clear(tbody);
      top.style.height = first * ROW + "px";
      bottom.style.height = (rows.length - last) * ROW + "px";
      tbody.appendChild(top);
      for (var n = first; n < last; n++) { tbody.appendChild(listRow(rows[n])); }
      tbody.appendChild(bottom);
    }
    draw();
    if (S.listScroll) { window.removeEventListener("scroll", S.listScroll); }
    S.listScroll = function () { if (!table.isConnected) { window.removeEventListener("scroll", S.listScroll); S.listScroll = null; return; } draw(); };
    window.addEventListener("scroll", S.listScroll, { passive: true });
  }

  function viewKanban(main, list) {
    main.appendChild(statsStrip(list));
    var board = el("div", { class: "board kanban" });
    LANES.forEach(function (state) {
      var items = list.filter(function (i) { return i.state === state; });
      var col = el("div", { class: "column lane st-" + state, "data-testid": "column-" + state, "data-state": state }, [
        el("header", null, [el("h2", { text: STATE_LABEL[state] }), el("div", { class: "col-meta" }, [el("span", { class: "count", text: String(items.length) })])]),
        cards(items, "k:" + state, S.writable),
      ]);
      if (S.writable) {
        on(col, "dragover", function (ev) { ev.preventDefault(); ev.dataTransfer.dropEffect = "move"; col.classList.add("drop"); });
        on(col, "dragleave", function () { col.classList.remove("drop"); });
        on(col, "drop", function (ev) {
          ev.preventDefault();
          col.classList.remove("drop");
          var sid = ev.dataTransfer.getData("text/plain");
          var i = S.byShort[sid];
          if (!i || i.state === state) { return; }
          moveCard(i, state, col);
        });
      }
      board.appendChild(col);
    });
    main.appendChild(board);
    if (S.writable) { main.appendChild(el("p", { class: "hint", text: "Drag a card to another column to move it there." })); }
  }
  function moveCard(i, state, col) {
    var node = doc.querySelector('[data-testid="card-' + i.short_id + '"]');
    var from = node && node.parentNode;
    var next = node && node.nextSibling;
    if (node) { node.classList.add("pending"); col.querySelector(".cards").insertBefore(node, col.querySelector(".cards").firstChild); }
    api("PATCH", "issues/" + i.id, { state: state }, i.version).then(function (reply) {
      var got = absorb(reply);
      if (got && got.state !== state) {
        var pend = (reply.pending_gates || []).join(", ");
        toast(got.short_id + " is " + STATE_LABEL[got.state] + (pend ? ": waiting on gates " + pend : ""), "info");
      }
      render();
    }, function (err) {
      if (node && from) { node.classList.remove("pending"); from.insertBefore(node, next); node.classList.add("snapped"); }
      toast("Cannot move " + i.short_id + " to " + STATE_LABEL[state] + ": " + errText(err), "error");
      if (err.status === 412) { refetch([i.id]); }
    });
  }

  // ---- the graph ----
  function layoutGraph(nodes) {
    var W = 210, H = 46, GX = 60, GY = 14, PAD = 24, MAXW = 2600;
    var inSet = {};
    nodes.forEach(function (i) { inSet[i.id] = i; });
    var edges = [];
    nodes.forEach(function (i) { (i.dependencies || []).forEach(function (d) { if (inSet[d]) { edges.push([d, i.id]); } }); });
    // Connected components, each laid out by dependency depth, then packed in rows.
    var adj = {};
    nodes.forEach(function (i) { adj[i.id] = []; });
    edges.forEach(function (e) { adj[e[0]].push(e[1]); adj[e[1]].push(e[0]); });
    var comp = {}, comps = [];
    nodes.forEach(function (i) {
      if (comp[i.id] !== undefined) { return; }
      var c = [], stack = [i.id];
      comp[i.id] = comps.length;
      while (stack.length) { var x = stack.pop(); c.push(x); adj[x].forEach(function (y) { if (comp[y] === undefined) { comp[y] = comps.length; stack.push(y); } }); }
      comps.push(c);
    });
    var depth = {};
    function depthOf(id, seen) {
      if (depth[id] !== undefined) { return depth[id]; }
      if (seen[id]) { return 0; }
      seen[id] = true;
      var d = 0;
      (inSet[id].dependencies || []).forEach(function (p) { if (inSet[p]) { d = Math.max(d, depthOf(p, seen) + 1); } });
      depth[id] = d;
      return d;
    }
    nodes.forEach(function (i) { depthOf(i.id, {}); });
    var pos = {};
    var singles = [], multi = [];
    comps.forEach(function (c) { (c.length === 1 ? singles : multi).push(c); });
    multi.sort(function (a, b) { return b.length - a.length; });
    var x0 = PAD, y0 = PAD, rowH = 0, width = 0;
    multi.forEach(function (c) {
      var layers = [];
      c.forEach(function (id) { (layers[depth[id]] = layers[depth[id]] || []).push(id); });
      layers = layers.map(function (l) { return l || []; });
      // Order each layer by the mean position of its dependencies (fewer crossings).
      var rank = {};
      layers.forEach(function (l, li) {
        if (li > 0) {
          l.forEach(function (id) {
            var ps = (inSet[id].dependencies || []).filter(function (p) { return rank[p] !== undefined; }).map(function (p) { return rank[p]; });
            inSet[id]._bary = ps.length ? ps.reduce(function (a, b) { return a + b; }, 0) / ps.length : 1e9;
          });
          l.sort(function (a, b) { return inSet[a]._bary - inSet[b]._bary || cmpStr(a, b); });
        } else { l.sort(cmpStr); }
        l.forEach(function (id, n) { rank[id] = n; });
      });
      var cw = layers.length * (W + GX) - GX;
      var ch = Math.max.apply(null, layers.map(function (l) { return l.length; })) * (H + GY) - GY;
      if (x0 > PAD && x0 + cw > MAXW) { x0 = PAD; y0 += rowH + 40; rowH = 0; }
      layers.forEach(function (l, li) { l.forEach(function (id, n) { pos[id] = [x0 + li * (W + GX), y0 + n * (H + GY)]; }); });
      x0 += cw + 80; rowH = Math.max(rowH, ch); width = Math.max(width, x0);
    });
    var singleTop = null;
    if (singles.length) {
      if (multi.length) { y0 += rowH + 60; } 
      singleTop = y0;
      var perRow = Math.max(1, Math.floor((Math.max(width, 1400) - PAD) / (W + 20)));
      singles.sort(function (a, b) { return cmpStr(a[0], b[0]); });
      singles.forEach(function (c, n) { pos[c[0]] = [PAD + (n % perRow) * (W + 20), y0 + 26 + Math.floor(n / perRow) * (H + GY)]; });
      y0 += 26 + Math.ceil(singles.length / perRow) * (H + GY);
      width = Math.max(width, PAD + Math.min(singles.length, perRow) * (W + 20));
      rowH = 0;
    }
    return { pos: pos, edges: edges, width: Math.max(width, 300) + PAD, height: y0 + rowH + PAD, W: W, H: H, singleTop: singleTop, singles: singles.length };
  }
  function neighbourhood(center, depth) {
    var keep = {}; keep[center] = 0;
    var frontier = [center];
    for (var d = 1; d <= depth && frontier.length; d++) {
      var next = [];
      frontier.forEach(function (id) {
        var i = S.byId[id];
        var around = (i ? (i.dependencies || []) : []).concat((S.dependents[id] || []).map(function (x) { return x.id; }));
        around.forEach(function (n) { if (keep[n] === undefined && S.byId[n]) { keep[n] = d; next.push(n); } });
      });
      frontier = next;
    }
    return keep;
  }
  function viewGraph(main, list, params) {
    var hideDone = params.done === "hide" || (params.done === undefined && list.length > 150);
    var focus = params.focus ? issueOf(params.focus) : null;
    var depth = Math.max(1, Math.min(9, parseInt(params.depth || "2", 10) || 2));
    var nodes = list;
    if (focus) {
      var near = neighbourhood(focus.id, depth);
      nodes = S.issues.filter(function (i) { return near[i.id] !== undefined; });
    }
    if (hideDone) { nodes = nodes.filter(function (i) { return i.state !== "done" || (focus && i.id === focus.id); }); }
    var bar = el("div", { class: "graph-bar" });
    var doneSel = el("select", { "aria-label": "Done work" }, [el("option", { value: "fade", text: "Done: faded" }), el("option", { value: "hide", text: "Done: hidden" })]);
    doneSel.value = hideDone ? "hide" : "fade";
    on(doneSel, "change", function () { setParam("done", doneSel.value); });
    var focusIn = el("input", { type: "text", placeholder: "Focus: issue id", "aria-label": "Focus issue", class: "focus-in" });
    focusIn.value = focus ? focus.short_id : "";
    on(focusIn, "change", function () { setParam("focus", focusIn.value.trim()); });
    var depthSel = el("select", { "aria-label": "Neighbourhood depth" }, [1, 2, 3, 5, 9].map(function (n) { return el("option", { value: String(n), text: n === 9 ? "all steps" : n + " step" + (n > 1 ? "s" : "") }); }));
    depthSel.value = String(depth);
    on(depthSel, "change", function () { setParam("depth", depthSel.value); });
    var zoomIn = el("button", { type: "button", text: "+", title: "Zoom in" }), zoomOut = el("button", { type: "button", text: "−", title: "Zoom out" }), fit = el("button", { type: "button", text: "Fit" });
    bar.appendChild(focusIn); bar.appendChild(depthSel); bar.appendChild(doneSel);
    if (focus) { var clr = el("button", { type: "button", text: "Show all" }); on(clr, "click", function () { setParam("focus", ""); }); bar.appendChild(clr); }
    bar.appendChild(el("span", { class: "grow" }));
    bar.appendChild(zoomOut); bar.appendChild(zoomIn); bar.appendChild(fit);
    main.appendChild(bar);
    main.appendChild(el("p", { class: "hint", text: nodes.length + " issues. Arrows run from a dependency to the issue waiting for it; columns are dependency depth. Click an issue to see its neighbourhood, double-click to open it; drag to pan, wheel or the buttons to zoom." }));
    var L = layoutGraph(nodes);
    var g = svg("g");
    var root = svg("svg", { class: "graph", xmlns: "http://www.w3.org/2000/svg", role: "img", "aria-label": "Dependency graph" }, [
      svg("defs", {}, [svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, [svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" })])]),
      g,
    ]);
    if (L.singleTop !== null && L.singles) { g.appendChild(svg("text", { x: 24, y: L.singleTop + 16, class: "glabel", text: L.singles + " issue" + (L.singles === 1 ? "" : "s") + " with no dependencies either way" })); }
    var edgeEls = [];
    L.edges.forEach(function (e) {
      var a = L.pos[e[0]], b = L.pos[e[1]];
      var x1 = a[0] + L.W, y1 = a[1] + L.H / 2, x2 = b[0], y2 = b[1] + L.H / 2;
      var dx = Math.max(20, (x2 - x1) / 2);
      var p = svg("path", { class: "edge", "data-from": short(e[0]), "data-to": short(e[1]), d: "M" + x1 + "," + y1 + " C" + (x1 + dx) + "," + y1 + " " + (x2 - dx) + "," + y2 + " " + x2 + "," + y2, "marker-end": "url(#arrow)" });
      edgeEls.push([p, e]);
      g.appendChild(p);
    });
    var nodeEls = {};
    nodes.forEach(function (i) {
      var p = L.pos[i.id];
      var cls = "node st-" + i.state + (alarm(i).length ? " is-alarm" : "") + (waiting(i) ? " is-waiting" : "") + (focus && i.id === focus.id ? " is-focus" : "");
      var t = i.title.length > 27 ? i.title.slice(0, 26) + "…" : i.title;
      var n = svg("g", { class: cls, "data-id": i.short_id, transform: "translate(" + p[0] + "," + p[1] + ")" }, [
        svg("title", { text: i.short_id + " · " + STATE_LABEL[i.state] + (alarm(i).length ? " · " + alarm(i).join(", ") : waiting(i) ? " · " + waitingText(i) : "") + " · " + i.title }),
        svg("rect", { width: L.W, height: L.H, rx: 8 }),
        svg("text", { x: 10, y: 18, class: "nid", text: i.short_id + " · " + STATE_LABEL[i.state] + (alarm(i).length ? " ⚠" : waiting(i) ? " ◷" : "") }),
        svg("text", { x: 10, y: 36, class: "ntitle", text: t }),
      ]);
      nodeEls[i.id] = n;
      g.appendChild(n);
    });
    var wrap = el("div", { class: "graph-wrap" }, [root]);
    main.appendChild(wrap);
    // Zoom and pan: the viewBox is the camera.
    var vb = { x: 0, y: 0, w: L.width, h: L.height };
    function apply() { root.setAttribute("viewBox", vb.x + " " + vb.y + " " + vb.w + " " + vb.h); }
    // `all`: the whole graph, however small it gets; otherwise no smaller than legible (text at
    // 80% or more), starting at the top left or around the focused issue.
    function fitAll(all) {
      var r = wrap.getBoundingClientRect();
      var cw = r.width || 800, aspect = (r.height || 600) / cw;
      vb.w = Math.max(L.width, L.height / aspect); vb.h = vb.w * aspect; vb.x = 0; vb.y = 0;
      if (all !== true && cw / vb.w < 0.8) {
        vb.w = cw / 0.8; vb.h = vb.w * aspect;
        if (focus && L.pos[focus.id]) { vb.x = Math.max(0, L.pos[focus.id][0] + L.W / 2 - vb.w / 2); vb.y = Math.max(0, L.pos[focus.id][1] + L.H / 2 - vb.h / 2); }
      }
      apply();
    }
    function zoomAt(cx, cy, f) {
      var nw = Math.max(120, Math.min(vb.w / f, Math.max(L.width, L.height) * 4));
      var k = nw / vb.w;
      vb.x = cx - (cx - vb.x) * k; vb.y = cy - (cy - vb.y) * k; vb.w = nw; vb.h = vb.h * k;
      apply();
    }
    function toSvg(ev) { var r = root.getBoundingClientRect(); return [vb.x + (ev.clientX - r.left) / r.width * vb.w, vb.y + (ev.clientY - r.top) / r.height * vb.h]; }
    on(wrap, "wheel", function (ev) { ev.preventDefault(); var p = toSvg(ev); zoomAt(p[0], p[1], ev.deltaY < 0 ? 1.2 : 1 / 1.2); }, { passive: false });
    on(zoomIn, "click", function () { zoomAt(vb.x + vb.w / 2, vb.y + vb.h / 2, 1.4); });
    on(zoomOut, "click", function () { zoomAt(vb.x + vb.w / 2, vb.y + vb.h / 2, 1 / 1.4); });
    on(fit, "click", function () { fitAll(true); });
    var drag = null;
    on(root, "pointerdown", function (ev) { drag = { x: ev.clientX, y: ev.clientY, vx: vb.x, vy: vb.y, moved: false, id: ev.pointerId }; });
    on(root, "pointermove", function (ev) {
      if (!drag || !root.isConnected) { return; }
      if (!drag.moved && Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y) > 4 && root.setPointerCapture) { try { root.setPointerCapture(drag.id); } catch (e) { /* already released */ } }
      var r = root.getBoundingClientRect();
      var dx = (ev.clientX - drag.x) / r.width * vb.w, dy = (ev.clientY - drag.y) / r.height * vb.h;
      if (Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y) > 4) { drag.moved = true; wrap.classList.add("panning"); }
      vb.x = drag.vx - dx; vb.y = drag.vy - dy; apply();
    });
    on(root, "pointerup", function () { wrap.classList.remove("panning"); setTimeout(function () { drag = null; }, 0); });
    function highlight(id) {
      var near = id ? neighbourhood(id, 1) : null;
      Object.keys(nodeEls).forEach(function (k) { nodeEls[k].classList.toggle("dim", !!near && near[k] === undefined); nodeEls[k].classList.toggle("sel", k === id); });
      edgeEls.forEach(function (pe) { pe[0].classList.toggle("dim", !!near && !(pe[1][0] === id || pe[1][1] === id)); pe[0].classList.toggle("hot", !!near && (pe[1][0] === id || pe[1][1] === id)); });
    }
    Object.keys(nodeEls).forEach(function (k) {
      var i = S.byId[k];
      on(nodeEls[k], "click", function () { if (drag && drag.moved) { return; } highlight(k); showPeek(i); });
      on(nodeEls[k], "dblclick", function () { go("issue", i.short_id, keepParams(parseHash().params)); });
    });
    var peek = el("div", { class: "peek", hidden: true });
    main.appendChild(peek);
    function showPeek(i) {
      clear(peek); peek.hidden = false;
      var f = el("button", { type: "button", text: "Focus here" });
      on(f, "click", function () { setParam("focus", i.short_id); });
      peek.appendChild(el("div", { class: "peek-row" }, [issueLink(i), badge(i.state), statusNote(i), f]));
    }
    requestAnimationFrame(fitAll);
  }

  // ---- the issue page ----
  function errText(err) {
    if (err && err.error) { return err.error.message; }
    return String(err && err.message || err);
  }
  function editable(i) { return S.writable; }
  function field(label, value) { return value ? el("tr", null, [el("th", { text: label }), el("td", null, [value])]) : null; }
  function textOrNull(s) { return s ? doc.createTextNode(s) : null; }
  function viewIssue(main, ref) {
    var i = issueOf(ref);
    if (!i) {
      main.appendChild(el("div", { class: "box" }, [el("h1", { text: "No such issue" }), el("p", { text: "No issue " + ref + " is shown here." }), el("a", { href: "#/board", text: "Back to the board" })]));
      return;
    }
    var can = editable(i);
    var head = el("div", { class: "issue-head st-" + i.state });
    var title = el("h1", { "data-testid": "issue-title", class: "title" + (can ? " editable" : ""), text: i.title, contenteditable: can ? "plaintext-only" : null, spellcheck: "false", tabindex: can ? "0" : null });
    var top = el("div", { class: "issue-top" }, [el("code", { class: "sid", text: i.short_id }), badge(i.state), chip(i.type || "task", "type"), chip(i.priority, "prio p-" + i.priority), statusNote(i)]);
    if (!LIVE) { top.appendChild(el("a", { class: "plain", href: "issues/" + i.short_id + ".html", text: "plain page" })); }
    head.appendChild(top);
    head.appendChild(title);
    var conflict = el("div", { class: "conflict", role: "alert", hidden: true });
    head.appendChild(conflict);
    main.appendChild(head);
    if (S.flash && S.flash.id === i.id) { if (S.flash.conflict) { showConflict(conflict, S.flash.err); } else { showRefused(conflict, S.flash.err); } }
    var merged = mergeConflicts(i, can, conflict);
    if (merged) { main.appendChild(merged); }
    if (can) { inlineTitle(title, i, conflict); }
    var grid = el("div", { class: "issue-grid" });
    var left = el("div", { class: "issue-main" }), right = el("aside", { class: "issue-side" });
    grid.appendChild(left); grid.appendChild(right);
    main.appendChild(grid);

    // Description.
    var desc = el("section", { class: "box" }, [el("h2", { text: "Description" })]);
    var md = el("div", { class: "md" });
    desc.appendChild(md);
    withRendered(i, function (r) {
      if (!i.description || !rtrim(i.description)) { md.appendChild(el("p", { class: "empty", text: "No description." })); return; }
      setMarkup(md, r ? r.description : null, i.description);
    });
    if (can) {
      var edit = el("button", { type: "button", class: "small", text: "Edit" });
      on(edit, "click", function () {
        var base = i.version;
        var ta = el("textarea", { class: "edit-desc", rows: "10", "aria-label": "Description (markdown)" });
        ta.value = i.description || "";
        var save = el("button", { type: "button", class: "primary", text: "Save" }), cancel = el("button", { type: "button", text: "Cancel" });
        clear(md); md.appendChild(ta); md.appendChild(el("div", { class: "row" }, [save, cancel])); edit.hidden = true;
        on(cancel, "click", function () { render(); });
        on(save, "click", function () { write("PATCH", "issues/" + i.id, { description: ta.value }, base, conflict); });
        ta.focus();
      });
      desc.firstChild.appendChild(edit);
    }
    left.appendChild(desc);

    // Checklist.
    var cl = i.checklist || [];
    if (cl.length || can) {
      var done = cl.filter(function (c) { return c.checked; }).length;
      var box = el("section", { class: "box" }, [el("h2", null, ["Checklist ", el("span", { class: "count", text: done + " of " + cl.length })])]);
      var ul = el("ul", { class: "checklist" });
      cl.forEach(function (c) {
        var cb = el("input", { type: "checkbox", checked: c.checked, disabled: !can });
        if (can) { on(cb, "change", function () { write("POST", "issues/" + i.id + "/checklist/" + (cb.checked ? "check" : "uncheck"), { item: c.text }, i.version, conflict); }); }
        ul.appendChild(el("li", { class: c.checked ? "checked" : "open" }, [el("label", null, [cb, " ", el("span", { text: c.text })]), c.checked && c.checked_by ? el("span", { class: "muted", text: " " + c.checked_by }) : null]));
      });
      box.appendChild(ul);
      if (can) {
        var add = el("input", { type: "text", placeholder: "Add an item", "aria-label": "New checklist item" });
        on(add, "keydown", function (ev) { if (ev.key === "Enter" && add.value.trim()) { write("POST", "issues/" + i.id + "/checklist", { item: add.value.trim() }, i.version, conflict); } });
        box.appendChild(add);
      }
      left.appendChild(box);
    }

    // Sub-tasks.
    var kids = S.children[i.id] || [];
    if (kids.length || i.progress) {
      var p = i.progress || { done: kids.filter(function (k) { return k.state === "done"; }).length, total: kids.length };
      var sb = el("section", { class: "box" }, [el("h2", null, ["Sub-tasks ", el("span", { class: "count", text: p.done + " of " + p.total + " done" })])]);
      var sl = el("ul", { class: "refs" });
      kids.forEach(function (k) { sl.appendChild(el("li", null, [refTo(k.id)])); });
      if (p.total > kids.length) { sl.appendChild(el("li", { class: "muted", text: (p.total - kids.length) + " more not shown here" })); }
      sb.appendChild(sl);
      left.appendChild(sb);
    }

    // Comments.
    var cs = i.comments || [];
    var cbox = el("section", { class: "box" }, [el("h2", null, ["Comments ", el("span", { class: "count", text: String(cs.length) })])]);
    withRendered(i, function (r) {
      cs.forEach(function (c, n) {
        var body = el("div", { class: "md" });
        setMarkup(body, r ? r.comments[n] : null, c.body);
        cbox.appendChild(el("article", { class: "comment" }, [el("div", { class: "comment-head" }, [el("strong", { text: c.author }), " ", el("span", { class: "muted", text: c.at ? rel(tsMs(c.at)) : "" })]), body]));
      });
      if (!cs.length) { cbox.appendChild(el("p", { class: "empty", text: "No comments." })); }
      if (can) {
        var ta = el("textarea", { rows: "3", placeholder: "Comment (markdown)", "aria-label": "New comment" });
        var post = el("button", { type: "button", class: "primary", text: "Comment" });
        on(post, "click", function () { if (ta.value.trim()) { write("POST", "issues/" + i.id + "/comments", { body: ta.value }, i.version, conflict); } });
        cbox.appendChild(el("div", { class: "new-comment" }, [ta, post]));
      }
    });
    left.appendChild(cbox);

    // Details, editable where the console may write.
    var facts = el("table", { class: "facts" });
    function editRow(label, value, make) {
      var td = el("td");
      if (can) { td.appendChild(make()); } else if (value) { td.appendChild(typeof value === "string" ? doc.createTextNode(value) : value); } else { return; }
      facts.appendChild(el("tr", null, [el("th", { text: label }), td]));
    }
    editRow("State", badge(i.state), function () {
      var s = el("select", { "aria-label": "State", "data-testid": "issue-state" }, STATES.map(function (x) { return el("option", { value: x, text: STATE_LABEL[x] }); }));
      s.value = i.state;
      on(s, "change", function () { write("PATCH", "issues/" + i.id, { state: s.value }, i.version, conflict); });
      return s;
    });
    editRow("Priority", i.priority, function () {
      var s = el("select", { "aria-label": "Priority", "data-testid": "issue-priority" }, PRIORITIES.map(function (x) { return el("option", { value: x, text: x }); }));
      s.value = i.priority;
      on(s, "change", function () { write("PATCH", "issues/" + i.id, { priority: s.value }, i.version, conflict); });
      return s;
    });
    editRow("Labels", (i.labels || []).length ? el("span", null, i.labels.map(function (l) { return chip(l, "label"); })) : null, function () {
      var inp = el("input", { type: "text", "aria-label": "Labels, comma-separated", "data-testid": "issue-labels" });
      inp.value = (i.labels || []).join(", ");
      on(inp, "change", function () { write("PATCH", "issues/" + i.id, { labels: inp.value.split(",").map(function (x) { return x.trim(); }).filter(Boolean) }, i.version, conflict); });
      return inp;
    });
    editRow("Milestone", i.milestone, function () {
      var inp = el("input", { type: "text", list: "milestones", "aria-label": "Milestone", "data-testid": "issue-milestone" });
      inp.value = i.milestone || "";
      on(inp, "change", function () { write("PATCH", "issues/" + i.id, { milestone: inp.value.trim() || null }, i.version, conflict); });
      return inp;
    });
    if (can) {
      var dl = el("datalist", { id: "milestones" });
      Object.keys(S.issues.reduce(function (m, x) { if (x.milestone) { m[x.milestone] = 1; } return m; }, {})).sort(cmpStr).forEach(function (m) { var o = el("option"); o.value = m; dl.appendChild(o); });
      right.appendChild(dl);
    }
    [["Assignee", i.assignee], ["Reporter", i.reporter], ["Due", i.due], ["Estimate", i.estimate != null ? String(i.estimate) : null], ["Evidence", i.evidence], ["Done when", i.done_when], ["Visibility", i.visibility]].forEach(function (r) {
      var row = field(r[0], textOrNull(r[1])); if (row) { facts.appendChild(row); }
    });
    if (i.parent) { facts.appendChild(field("Parent", refTo(i.parent))); }
    if (i.private_parent) { facts.appendChild(field("Parent", el("span", { class: "private", text: "(private)" }))); }
    facts.appendChild(field("Created", doc.createTextNode(rel(tsMs(i.created_at)))));
    facts.appendChild(field("Updated", doc.createTextNode(rel(tsMs(i.updated_at)) + " · version " + i.version)));
    right.appendChild(el("section", { class: "box" }, [el("h2", { text: "Details" }), facts]));

    // The claim.
    if (i.lease || i.assignee || can) {
      var lb = el("section", { class: "box" + (leaseExpired(i, leaseNow()) ? " alarm" : "") }, [el("h2", { text: "Claim" })]);
      if (i.lease) {
        lb.appendChild(el("p", null, [el("strong", { text: i.lease.holder }), doc.createTextNode(" "), el("span", { class: "countdown", "data-expires": i.lease.expires_at || "" })]));
      } else if (i.assignee) { lb.appendChild(el("p", null, ["assigned to ", el("strong", { text: i.assignee }), " (no lease)"])); }
      else { lb.appendChild(el("p", { class: "muted", text: "Nobody holds it." })); }
      if (can) {
        var row = el("div", { class: "row" });
        if (!i.assignee || leaseExpired(i, leaseNow())) {
          var claim = el("button", { type: "button", text: "Claim for " + (S.data.actor || "me") });
          on(claim, "click", function () { write("POST", "issues/" + i.id + "/claim", {}, i.version, conflict); });
          row.appendChild(claim);
        }
        if (i.assignee) {
          var mine = i.assignee === S.data.actor;
          var rel2 = el("button", { type: "button", text: mine ? "Release" : "Release (force)" });
          on(rel2, "click", function () { write("POST", "issues/" + i.id + "/release", mine ? {} : { force: true }, i.version, conflict); });
          row.appendChild(rel2);
        }
        lb.appendChild(row);
      }
      right.appendChild(lb);
    }

    // Gates.
    if ((i.gates_required || []).length) {
      var gb = el("section", { class: "box" }, [el("h2", { text: "Gates" })]);
      var gl = el("ul", { class: "gates" });
      i.gates_required.forEach(function (key) {
        var st = (i.gates_status || {})[key] || { status: "pending" };
        var def = (S.data.gates || {})[key] || {};
        var li = el("li", { class: "gate g-" + st.status }, [el("span", { class: "badge g-" + st.status, text: st.status }), " ", el("code", { text: key }), " ", el("span", { text: def.title || "" }), st.by ? el("span", { class: "muted", text: " by " + st.by }) : null, st.note ? el("span", { class: "muted", text: " — " + st.note }) : null]);
        if (can && i.state !== "done" && i.state !== "archived") {
          var pass = el("button", { type: "button", class: "small", text: "Pass" }), fail = el("button", { type: "button", class: "small", text: "Fail" });
          on(pass, "click", function () { write("POST", "issues/" + i.id + "/gates/" + encodeURIComponent(key) + "/pass", {}, i.version, conflict); });
          on(fail, "click", function () { write("POST", "issues/" + i.id + "/gates/" + encodeURIComponent(key) + "/fail", {}, i.version, conflict); });
          li.appendChild(el("span", { class: "row inline" }, [pass, fail]));
        }
        gl.appendChild(li);
      });
      gb.appendChild(gl);
      right.appendChild(gb);
    }

    // Dependencies and dependents.
    var deps = (i.dependencies || []).slice();
    var db = el("section", { class: "box" }, [el("h2", { text: "Depends on" })]);
    var dul = el("ul", { class: "refs" });
    deps.forEach(function (d) {
      var li = el("li", null, [refTo(d)]);
      if (can) {
        var rm = el("button", { type: "button", class: "small link", text: "remove", "aria-label": "Remove this dependency" });
        on(rm, "click", function () { write("DELETE", "issues/" + i.id + "/deps/" + d, null, i.version, conflict); });
        li.appendChild(rm);
      }
      dul.appendChild(li);
    });
    for (var pd = 0; pd < (i.private_dependencies || 0); pd++) { dul.appendChild(el("li", { class: "private", text: "(private)" })); }
    if (!deps.length && !i.private_dependencies) { dul.appendChild(el("li", { class: "muted", text: "Nothing." })); }
    db.appendChild(dul);
    if (can) {
      var depIn = el("input", { type: "text", placeholder: "Add: issue id", "aria-label": "Add a dependency" });
      on(depIn, "keydown", function (ev) { if (ev.key === "Enter" && depIn.value.trim()) { write("POST", "issues/" + i.id + "/deps", { on: depIn.value.trim() }, i.version, conflict); } });
      db.appendChild(depIn);
    }
    right.appendChild(db);
    var downs = S.dependents[i.id] || [];
    if (downs.length) {
      var nb = el("section", { class: "box" }, [el("h2", { text: "Needed by" })]);
      var nul = el("ul", { class: "refs" });
      downs.forEach(function (x) { nul.appendChild(el("li", null, [refTo(x.id)])); });
      nb.appendChild(nul);
      right.appendChild(nb);
    }
    var links = (i.links || []).map(function (l) { return [l.kind, l.target]; }).concat((i.linked_from || []).map(function (l) { return [l.kind === "duplicates" ? "duplicated by" : "related from", l.id]; }));
    if (links.length || i.private_links) {
      var lkb = el("section", { class: "box" }, [el("h2", { text: "Links" })]);
      var lul = el("ul", { class: "refs" });
      links.forEach(function (l) { lul.appendChild(el("li", null, [l[0] + " ", refTo(l[1])])); });
      for (var pl = 0; pl < (i.private_links || 0); pl++) { lul.appendChild(el("li", { class: "private", text: "(private)" })); }
      lkb.appendChild(lul);
      right.appendChild(lkb);
    }
    if ((i.prs || []).length) {
      var pb = el("section", { class: "box" }, [el("h2", { text: "Pull requests" })]);
      var pul = el("ul", { class: "prs" });
      i.prs.forEach(function (pr) {
        var name = pr.number != null ? "#" + pr.number + (pr.title ? " " + pr.title : "") : (pr.title || pr.url);
        var safe = /^https?:\/\//i.test(pr.url || "");
        pul.appendChild(el("li", null, [safe ? el("a", { href: pr.url, rel: "noopener noreferrer", text: name }) : el("span", { text: name }), pr.status ? chip(pr.status) : null, pr.ci ? chip("CI " + pr.ci, "ci-" + pr.ci) : null]));
      });
      pb.appendChild(pul);
      right.appendChild(pb);
    }
    tickCountdowns();
  }
  // What merges of the issue's file discarded (`merge_conflicts`, docs/git.md): one record per
  // field where a side's value lost, oldest first, until someone acknowledges them.
  var MC_REASON = {
    both_changed: "both sides changed it; the merge kept the other side's value",
    edit_vs_delete: "one side removed it and the other changed it; the change was kept",
    claim: "both sides claimed it; the claim that stands was kept",
    unreadable_record: "an older record that does not read as one, kept whole",
  };
  var MC_CUT = 160; // characters of a discarded value shown before "show all"
  function conflictsOf(i) { return Array.isArray(i.merge_conflicts) ? i.merge_conflicts : []; }
  function conflictChip(i) {
    var n = conflictsOf(i).length;
    if (!n) { return null; }
    return el("span", { class: "chip mc", "data-testid": "mc-chip-" + i.short_id, title: n + " merge-conflict record" + (n === 1 ? "" : "s") + " to read", text: "merge conflict" + (n === 1 ? "" : "s") });
  }
  function discardedValue(v) {
    if (v === null || v === undefined) { return el("span", { class: "mc-value mc-removed", text: "(removed)", title: "the side that lost had removed the value" }); }
    var isText = typeof v === "string";
    var full = isText ? v : JSON.stringify(v);
    var chars = Array.from(full);
    var tag = isText ? "span" : "code";
    var cls = "mc-value " + (isText ? "mc-text" : "mc-json");
    if (chars.length <= MC_CUT) { return el(tag, { class: cls, text: full }); }
    return el("details", { class: "mc-long" }, [
      el("summary", { title: full }, [el(tag, { class: cls + " mc-cut", text: chars.slice(0, MC_CUT - 1).join("") + "…" }), " ", el("span", { class: "mc-more", "data-n": String(chars.length) })]),
      el("pre", { class: cls + " mc-full", text: full }),
    ]);
  }
  function mergeConflicts(i, can, conflict) {
    var list = conflictsOf(i);
    if (!list.length) { return null; }
    var h = el("h2", null, [el("span", { class: "mc-mark", "aria-hidden": "true", text: "⚠" }), "Merge conflicts ", el("span", { class: "count", text: String(list.length) })]);
    var box = el("section", { class: "box merge-conflicts", "data-testid": "merge-conflicts", "aria-label": "Merge conflicts" }, [h]);
    if (can) {
      var ack = el("button", { type: "button", class: "primary small", "data-testid": "clear-merge-conflicts", text: "Acknowledge", title: "Drop these records (jit issue update " + i.short_id + " --clear-merge-conflicts)" });
      on(ack, "click", function () {
        ack.disabled = true;
        write("PATCH", "issues/" + i.id, { clear_merge_conflicts: true }, i.version, conflict).then(function (reply) {
          if (reply) { toast("Merge conflicts of " + i.short_id + " acknowledged"); } else { ack.disabled = false; }
        });
      });
      h.appendChild(ack);
    }
    box.appendChild(el("p", { class: "hint" }, [
      "A merge of this issue's file found " + (list.length === 1 ? "a field" : "fields") + " changed on both sides and kept one value. What it discarded is below: check the kept value" + (can ? " (edit it here if the wrong one won), then acknowledge." : ", then acknowledge with "),
      can ? null : el("code", { text: "jit issue update " + i.short_id + " --clear-merge-conflicts" }),
      can ? null : ".",
    ]));
    var ul = el("ul", { class: "mc-list" });
    list.forEach(function (c) {
      var at = tsMs(c.at);
      ul.appendChild(el("li", { class: "mc", "data-field": String(c.field) }, [
        el("div", { class: "mc-head" }, [
          el("code", { class: "mc-field", text: String(c.field) }),
          el("span", { class: "chip mc-reason", text: String(c.reason) }),
          el("span", { class: "muted mc-at", title: String(c.at || ""), text: at > 0 ? rel(at) : "time unknown" }),
        ]),
        el("div", { class: "mc-body" }, [el("span", { class: "mc-label", text: "Discarded" }), discardedValue(c.discarded)]),
        MC_REASON[c.reason] ? el("div", { class: "muted mc-why", text: MC_REASON[c.reason] }) : null,
      ]));
    });
    box.appendChild(ul);
    return box;
  }
  function setMarkup(node, html, fallbackText) {
    if (typeof html === "string") {
      // Rendered and sanitised by jit (src/export/html.rs): raw HTML in the source is text.
      var t = doc.createElement("template");
      t.innerHTML = html;
      node.appendChild(t.content);
    } else {
      node.appendChild(el("pre", { class: "plain-md", text: fallbackText }));
    }
  }
  function withRendered(i, f) {
    var key = i.short_id;
    var have = S.rendered[key];
    if (have && (!LIVE || have.version === i.version)) { f(have); return; }
    if (!LIVE) { f(null); return; }
    fetch("/api/issues/" + i.id + "/rendered", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (r) {
      if (r) { r.version = i.version; S.rendered[key] = r; }
      f(r);
    }, function () { f(null); });
  }
  function inlineTitle(h1, i, conflict) {
    var base = null;
    on(h1, "focus", function () { base = i.version; h1.dataset.base = String(base); });
    on(h1, "keydown", function (ev) {
      if (ev.key === "Enter") { ev.preventDefault(); h1.blur(); }
      if (ev.key === "Escape") { h1.textContent = i.title; base = null; h1.blur(); }
    });
    on(h1, "blur", function () {
      var v = rtrim(h1.textContent || "");
      if (base === null) { return; }
      var b = base; base = null;
      if (v === i.title || !v) { h1.textContent = i.title; return; }
      write("PATCH", "issues/" + i.id, { title: v }, b, conflict);
    });
  }
  function showConflict(box, err, i) {
    clear(box);
    box.hidden = false;
    var cur = err.current;
    box.appendChild(el("strong", { text: "Not saved: this issue changed since you started editing." }));
    box.appendChild(el("p", { text: errText(err) }));
    if (cur) {
      box.appendChild(el("p", null, ["It is now at version ", el("strong", { "data-testid": "conflict-version", text: String(cur.version) }), " with the title ", el("q", { "data-testid": "conflict-title", text: cur.title }), "."]));
    }
    var reload = el("button", { type: "button", class: "primary", text: "Show the current version" });
    on(reload, "click", function () { S.flash = null; render(); });
    box.appendChild(reload);
  }
  // A refused write's explanation stays on the issue's page until dismissed, whatever
  // re-renders meanwhile (the event stream keeps the page current).
  function showRefused(box, err) {
    clear(box);
    box.hidden = false;
    box.appendChild(el("strong", { text: "Refused: " }));
    box.appendChild(doc.createTextNode(errText(err)));
    var ok2 = el("button", { type: "button", class: "small", text: "Dismiss" });
    on(ok2, "click", function () { S.flash = null; render(); });
    box.appendChild(doc.createTextNode(" "));
    box.appendChild(ok2);
  }
  function write(method, path, body, version, conflict) {
    var id = path.split("/")[1];
    return api(method, path, body, version).then(function (reply) { S.flash = null; absorb(reply); render(); return reply; }, function (err) {
      if (err.status === 412) {
        return fetchIssue(id).then(function (cur) {
          err.current = cur;
          if (cur) { put(cur); }
          S.flash = { id: id, err: err, conflict: true };
          if (conflict) { render(); } else { toast(errText(err), "error"); }
        });
      }
      S.flash = { id: id, err: err, conflict: false };
      if (conflict) { render(); }
      toast(errText(err), "error");
    });
  }

  // ---- agents, leases, events, stats ----
  function viewAgents(main) {
    var now = leaseNow();
    var by = {};
    S.actors.forEach(function (a) { by[a.actor] = { actor: a.actor, events: a.events, last: a.last_at ? tsMs(a.last_at) : null, lastEvent: a.last_event, holds: [] }; });
    S.issues.forEach(function (i) { if (i.assignee && i.state !== "done" && i.state !== "archived") { (by[i.assignee] = by[i.assignee] || { actor: i.assignee, events: 0, last: null, holds: [] }).holds.push(i); } });
    var rows = Object.keys(by).map(function (k) { return by[k]; }).sort(function (a, b) { return (b.last || 0) - (a.last || 0) || cmpStr(a.actor, b.actor); });
    var t = el("table", { class: "list agents" }, [el("thead", null, [el("tr", null, ["Actor", "Holds", "Last activity", "Events"].map(function (h) { return el("th", { text: h }); }))])]);
    var tb = el("tbody");
    rows.forEach(function (a) {
      var holds = el("td", { class: "holds" });
      a.holds.forEach(function (i) { holds.appendChild(el("div", { class: leaseExpired(i, now) ? "alarm-text" : "" }, [issueLink(i), i.lease ? el("span", { class: "muted", text: leaseExpired(i, now) ? " · lease expired" : " · lease" }) : null])); });
      if (!a.holds.length) { holds.appendChild(el("span", { class: "muted", text: "nothing" })); }
      tb.appendChild(el("tr", null, [el("td", null, [el("strong", { text: a.actor })]), holds, el("td", { text: a.last ? rel(a.last) + (a.lastEvent ? " · " + a.lastEvent : "") : "—" }), el("td", { text: String(a.events) })]));
    });
    t.appendChild(tb);
    if (!rows.length) { main.appendChild(el("p", { class: "empty", text: "No actors seen yet." })); return; }
    main.appendChild(el("div", { class: "table-wrap" }, [t]));
  }
  function viewLeases(main) {
    var now = leaseNow();
    var held = S.issues.filter(function (i) { return i.lease && i.state !== "done" && i.state !== "archived"; });
    held.sort(function (a, b) { return tsMs(a.lease.expires_at) - tsMs(b.lease.expires_at); });
    if (!held.length) { main.appendChild(el("p", { class: "empty", text: "No issue is claimed with a lease." })); return; }
    var t = el("table", { class: "list leases" }, [el("thead", null, [el("tr", null, ["Issue", "Holder", "Time left", ""].map(function (h) { return el("th", { text: h }); }))])]);
    var tb = el("tbody");
    held.forEach(function (i) {
      var expired = leaseExpired(i, now);
      var act = el("td");
      if (expired && S.writable) {
        var b = el("button", { type: "button", class: "primary", "data-testid": "reclaim-" + i.short_id, text: "Reclaim" });
        on(b, "click", function () {
          b.disabled = true;
          api("POST", "issues/" + i.id + "/release", { force: true }, i.version).then(function (r) { absorb(r); toast(i.short_id + " is back in the pool (" + STATE_LABEL[r.state] + ")"); render(); }, function (err) { b.disabled = false; toast("Cannot reclaim " + i.short_id + ": " + errText(err), "error"); });
        });
        act.appendChild(b);
      } else if (expired) { act.appendChild(el("span", { class: "muted", text: "claimable again" })); }
      tb.appendChild(el("tr", { class: expired ? "expired" : "", "data-lease": i.short_id }, [
        el("td", null, [issueLink(i)]),
        el("td", { text: i.lease.holder }),
        el("td", null, [el("span", { class: "countdown", "data-expires": i.lease.expires_at || "" })]),
        act,
      ]));
    });
    t.appendChild(tb);
    main.appendChild(el("p", { class: "hint", text: "An expired lease is an alarm: its holder stopped renewing it. Reclaim puts the issue back in the pool (a forced release, which only a human: actor may do)." }));
    main.appendChild(el("div", { class: "table-wrap" }, [t]));
    tickCountdowns();
  }
  function tickCountdowns() {
    var now = leaseNow();
    doc.querySelectorAll(".countdown").forEach(function (c) {
      var exp = c.getAttribute("data-expires");
      if (!exp) { c.textContent = "no expiry"; return; }
      var left = tsMs(exp) - now;
      var was = c.classList.contains("expired");
      var when = LIVE ? "" : " when exported";
      c.textContent = left > 0 ? clock(left) + " left" + when : (LIVE ? "expired " + rel(tsMs(exp)) : "expired" + when);
      c.classList.toggle("expired", left <= 0);
      if (left <= 0 && !was && parseHash().view === "leases" && c.dataset.seen) { render(); }
      c.dataset.seen = "1";
    });
  }
  function eventSummary(e) {
    if (e.type === "issue.created") {
      var st = (e.changes || []).filter(function (c) { return c.field === "state"; })[0];
      return st ? "as " + st.after : "";
    }
    var parts = [];
    (e.changes || []).forEach(function (c) {
      var a = c.after, b = c.before;
      if (c.field === "state") { parts.push((b || "new") + " → " + a); }
      else if (c.field === "title" && b) { parts.push("title"); }
      else if (c.field === "version" || c.field === "updated_at") { return; }
      else { parts.push(c.field); }
    });
    if (e.data && e.data.gate) { parts.unshift("gate " + e.data.gate); }
    if (e.data && e.data.text && e.type.indexOf("checklist") === 0) { parts.unshift("“" + e.data.text + "”"); }
    return parts.join(", ");
  }
  function viewEvents(main, params) {
    var types = {}, actors = {};
    S.events.forEach(function (e) { types[e.type] = 1; actors[e.actor] = 1; });
    var bar = el("div", { class: "graph-bar" });
    var typeSel = el("select", { "aria-label": "Event type" }, [el("option", { value: "", text: "All types" })].concat(Object.keys(types).sort().map(function (t) { return el("option", { value: t, text: t }); })));
    typeSel.value = params.etype || "";
    on(typeSel, "change", function () { setParam("etype", typeSel.value); });
    var actorSel = el("select", { "aria-label": "Actor" }, [el("option", { value: "", text: "All actors" })].concat(Object.keys(actors).sort().map(function (t) { return el("option", { value: t, text: t }); })));
    actorSel.value = params.actor || "";
    on(actorSel, "change", function () { setParam("actor", actorSel.value); });
    var issueIn = el("input", { type: "text", placeholder: "Issue id", "aria-label": "Issue" });
    issueIn.value = params.issue || "";
    on(issueIn, "change", function () { setParam("issue", issueIn.value.trim()); });
    bar.appendChild(typeSel); bar.appendChild(actorSel); bar.appendChild(issueIn);
    bar.appendChild(el("span", { class: "muted live-note", text: LIVE ? (S.connected ? "live: new events appear here" : "reconnecting…") : "as exported" }));
    main.appendChild(bar);
    var want = params.issue ? issueOf(params.issue) : null;
    var list = S.events.filter(function (e) {
      if (params.etype && e.type !== params.etype) { return false; }
      if (params.actor && e.actor !== params.actor) { return false; }
      if (params.issue && !(e.issue && (want ? e.issue === want.id : e.issue.toLowerCase().indexOf(params.issue.toLowerCase()) >= 0 || short(e.issue).indexOf(params.issue.toLowerCase()) === 0))) { return false; }
      return true;
    }).slice(-300).reverse();
    var ul = el("ol", { class: "events", "data-testid": "events" });
    list.forEach(function (e) {
      var i = e.issue ? S.byId[e.issue] : null;
      ul.appendChild(el("li", { "data-event": e.id, class: "ev ev-" + e.type.replace(/\./g, "-") }, [
        el("span", { class: "ev-time", title: e.ts, text: rel(tsMs(e.ts)) }),
        el("span", { class: "ev-type", text: e.type }),
        el("span", { class: "ev-actor", text: e.actor }),
        e.issue ? (i ? issueLink(i) : el("code", { text: short(e.issue) })) : el("span", { class: "muted", text: "—" }),
        el("span", { class: "ev-what muted", text: eventSummary(e) }),
      ]));
    });
    if (!list.length) { ul.appendChild(el("li", { class: "empty", text: "No events match." })); }
    main.appendChild(ul);
  }
  function bars(title, rows) {
    var max = Math.max.apply(null, rows.map(function (r) { return r[1]; }).concat([1]));
    var box = el("section", { class: "box" }, [el("h2", { text: title })]);
    var t = el("table", { class: "bars" });
    rows.forEach(function (r) {
      var fill = el("span", { class: "fill " + (r[2] || "") });
      fill.style.width = Math.round(r[1] * 100 / max) + "%";
      t.appendChild(el("tr", null, [el("th", { text: r[0] }), el("td", { class: "barcell" }, [el("span", { class: "hbar" }, [fill])]), el("td", { class: "num", text: String(r[1]) })]));
    });
    box.appendChild(t);
    return box;
  }
  function secs(s) { if (s == null) { return "—"; } if (s < 3600) { return Math.round(s / 60) + "m"; } if (s < 86400) { return (s / 3600).toFixed(1) + "h"; } return (s / 86400).toFixed(1) + "d"; }
  function viewStats(main, list) {
    main.appendChild(statsStrip(list));
    var grid = el("div", { class: "stats-grid" });
    var count = function (f) { var m = {}; list.forEach(function (i) { var k = f(i); m[k] = (m[k] || 0) + 1; }); return m; };
    var st = count(function (i) { return i.state; });
    grid.appendChild(bars("By state", LANES.concat(["archived"]).filter(function (s) { return st[s]; }).map(function (s) { return [STATE_LABEL[s], st[s], "st-" + s]; })));
    var pr = count(function (i) { return i.priority; });
    grid.appendChild(bars("By priority", PRIORITIES.slice().reverse().filter(function (p) { return pr[p]; }).map(function (p) { return [p, pr[p], "p-" + p]; })));
    var ty = count(function (i) { return i.type || "task"; });
    grid.appendChild(bars("By type", Object.keys(ty).sort().map(function (k) { return [k, ty[k]]; })));
    var ms = milestoneGroups(list).map(function (g) { var d = g.issues.filter(function (i) { return i.state === "done"; }).length; return [g.name + " (" + d + "/" + g.issues.length + ")", g.issues.length ? Math.round(d * 100 / g.issues.length) : 0, "st-done"]; });
    if (ms.length) { grid.appendChild(bars("Milestones, % done", ms)); }
    var as = count(function (i) { return i.state === "done" || i.state === "archived" ? null : (i.assignee || "unassigned"); });
    delete as["null"];
    grid.appendChild(bars("Open work by assignee", Object.keys(as).sort(function (a, b) { return as[b] - as[a]; }).slice(0, 15).map(function (k) { return [k, as[k]]; })));
    var m = S.data.metrics;
    if (m) {
      var flow = el("section", { class: "box" }, [el("h2", { text: "Flow (from the event log)" })]);
      var ft = el("table", { class: "facts" });
      [["Created → done, p50", secs(m.cycle_time_created_to_done.p50)], ["Created → done, p95", secs(m.cycle_time_created_to_done.p95)], ["In progress → done, p50", secs(m.cycle_time_in_progress_to_done.p50)], ["In progress → done, p95", secs(m.cycle_time_in_progress_to_done.p95)], ["Lease expiries", String(m.lease_expiries)], ["Events", String(m.events)]].forEach(function (r) { ft.appendChild(field(r[0], doc.createTextNode(r[1]))); });
      flow.appendChild(ft);
      grid.appendChild(flow);
      var weeks = Object.keys(m.throughput_per_week || {}).sort().slice(-12);
      if (weeks.length) { grid.appendChild(bars("Done per week", weeks.map(function (w) { return [w, m.throughput_per_week[w], "st-done"]; }))); }
    }
    main.appendChild(grid);
  }

  // ---- the frame: tabs, filters, search ----
  function options(sel, values, allLabel, current) {
    clear(sel);
    sel.appendChild(el("option", { value: "", text: allLabel }));
    values.forEach(function (v) { sel.appendChild(el("option", { value: v[0], text: v[1] })); });
    sel.value = current || "";
    if (current && sel.value !== current) { sel.appendChild(el("option", { value: current, text: current })); sel.value = current; }
  }
  function uniq(f) { var m = {}; S.issues.forEach(function (i) { [].concat(f(i) || []).forEach(function (v) { if (v) { m[v] = 1; } }); }); return Object.keys(m).sort(cmpStr); }
  function frame(route) {
    var tabs = doc.getElementById("tabs");
    clear(tabs);
    var keep = keepParams(route.params);
    VIEWS.forEach(function (v) {
      var active = route.view === v[0] || (route.view === "issue" && v[0] === "board" && false);
      tabs.appendChild(el("a", { class: "tab" + (active ? " active" : ""), href: hashFor(v[0], null, keep), "data-show": v[0], "aria-current": active ? "page" : null, text: v[1] }));
    });
    var filters = doc.getElementById("filters");
    var onIssueViews = ["board", "list", "kanban", "graph", "stats"].indexOf(route.view) >= 0;
    filters.hidden = !onIssueViews;
    if (onIssueViews) {
      clear(filters);
      var defs = [
        ["type", "All types", uniq(function (i) { return i.type; }).map(function (v) { return [v, v]; })],
        ["label", "All labels", uniq(function (i) { return i.labels; }).map(function (v) { return [v, v]; })],
        ["milestone", "All milestones", [["none", "No milestone"]].concat(uniq(function (i) { return i.milestone; }).map(function (v) { return [v, v]; }))],
        ["assignee", "Anyone", [["none", "Unassigned"]].concat(uniq(function (i) { return i.assignee; }).map(function (v) { return [v, v]; }))],
        ["priority", "Any priority", PRIORITIES.slice().reverse().map(function (v) { return [v, v]; })],
        ["state", "Open and done", [["open", "open"]].concat(STATES.map(function (s) { return [s, STATE_LABEL[s]]; })).concat([["waiting", "waiting"]])],
      ];
      defs.forEach(function (d) {
        var s = el("select", { "aria-label": d[0], "data-filter": d[0], class: route.params[d[0]] ? "set" : "" });
        options(s, d[2], d[1], route.params[d[0]]);
        on(s, "change", function () { setParam(d[0], s.value); });
        filters.appendChild(s);
      });
      var any = FILTERS.some(function (k) { return route.params[k]; }) || route.params.q;
      if (any) { var c = el("button", { type: "button", class: "link", text: "Clear" }); on(c, "click", function () { go(route.view, null, {}, false); }); filters.appendChild(c); }
    }
    var q = doc.getElementById("q");
    if (q && doc.activeElement !== q) { q.value = route.params.q || ""; }
    var mode = doc.getElementById("mode");
    if (mode) { mode.textContent = LIVE ? (S.writable ? "live console" : "live console · read-only") + (S.data && S.data.public ? " · public issues" : "") : "exported " + (S.data && S.data.generated_at ? S.data.generated_at.slice(0, 16).replace("T", " ") + " UTC" : "") + (S.data && S.data.public ? " · public issues" : ""); }
    var dot = doc.getElementById("live");
    if (dot) { dot.hidden = !LIVE; dot.classList.toggle("on", S.connected); dot.title = S.connected ? "connected: changes appear as they happen" : "reconnecting"; }
  }

  var current = null;
  function render() {
    if (!S.data) { return; }
    var t0 = performance.now();
    paint();
    // Timings for examples/bench_serve.rs (tests/browser/bench.mjs reads them).
    var t = root.jitTiming = root.jitTiming || { renders: 0 };
    t.renders++;
    t.lastRenderMs = performance.now() - t0;
    if (!t.firstRender) { t.firstRender = performance.now(); }
  }
  function paint() {
    var route = parseHash();
    var main = doc.getElementById("app");
    var keepScroll = current && current.view === route.view && current.id === route.id ? window.scrollY : 0;
    var editing = doc.activeElement && main.contains(doc.activeElement) && (doc.activeElement.isContentEditable || /^(TEXTAREA|INPUT|SELECT)$/.test(doc.activeElement.tagName));
    if (editing && current && current.view === route.view && current.id === route.id && current.hash === location.hash) { S.pending = true; return; }
    if (S.flash && !(route.view === "issue" && issueOf(route.id || "") && issueOf(route.id).id === S.flash.id)) { S.flash = null; }
    current = { view: route.view, id: route.id, hash: location.hash };
    frame(route);
    clear(main);
    var sel = shown(route.params);
    showQueryError(sel.error, route.params);
    var list = sel.result;
    switch (route.view) {
      case "list": viewList(main, list, route.params); break;
      case "kanban": viewKanban(main, list); break;
      case "graph": viewGraph(main, list, route.params); break;
      case "issue": viewIssue(main, route.id || ""); break;
      case "agents": viewAgents(main); break;
      case "leases": viewLeases(main); break;
      case "events": viewEvents(main, route.params); break;
      case "stats": viewStats(main, list); break;
      default: viewBoard(main, list);
    }
    if (keepScroll) { window.scrollTo(0, keepScroll); }
    doc.body.setAttribute("data-current", route.view);
  }

  // ---- live: the API and the event stream ----
  function api(method, path, body, version) {
    var headers = { "Accept": "application/json" };
    if (body !== null && body !== undefined) { headers["Content-Type"] = "application/json"; }
    if (method !== "GET" && path !== "issues") { headers["If-Match"] = version === undefined || version === null ? "*" : '"' + version + '"'; }
    return fetch("/api/" + path, { method: method, headers: headers, body: body === null || body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" }).then(function (r) {
      return r.text().then(function (t) {
        var v = null;
        try { v = t ? JSON.parse(t) : null; } catch (e) { v = null; }
        if (!r.ok) { var err = v && v.error ? v : { error: { code: "http_" + r.status, message: "HTTP " + r.status } }; err.status = r.status; throw err; }
        return v;
      });
    });
  }
  var VIEW_FIELDS = ["promoted", "demoted", "pending_gates", "item", "changed", "comment", "gate", "status", "link", "pr", "created"];
  function put(v) {
    if (!v || !v.id) { return null; }
    var clean = {};
    Object.keys(v).forEach(function (k) { if (VIEW_FIELDS.indexOf(k) < 0) { clean[k] = v[k]; } });
    var old = S.byId[clean.id];
    if (old) { S.issues[S.issues.indexOf(old)] = clean; } else { S.issues.push(clean); S.issues.sort(function (a, b) { return cmpStr(a.id, b.id); }); }
    S.version = (S.version || 0) + 1;
    reindex();
    return clean;
  }
  function absorb(reply) {
    if (!reply) { return null; }
    var v = reply.issue && reply.issue.id ? reply.issue : reply;
    var got = put(v);
    var more = (reply.promoted || []).concat(reply.demoted || []);
    if (v && v.id) { more = more.concat((S.dependents[v.id] || []).map(function (x) { return x.id; })); }
    if (more.length) { refetch(more); }
    return got;
  }
  function fetchIssue(id) {
    return fetch("/api/issues/" + encodeURIComponent(id), { credentials: "same-origin" }).then(function (r) {
      if (r.status === 404) { return { gone: true }; }
      return r.ok ? r.json() : null;
    }).then(function (v) { return v && v.gone ? null : v; }, function () { return null; });
  }
  var queue = {}, timer = null;
  function refetch(ids) {
    ids.forEach(function (id) { queue[id] = 1; });
    if (timer) { return; }
    timer = setTimeout(function () {
      timer = null;
      var batch = Object.keys(queue); queue = {};
      if (batch.length > 60) { reloadAll(); return; }
      Promise.all(batch.map(function (id) {
        return fetchIssue(id).then(function (v) {
          if (v) { put(v); }
          else if (S.byId[id]) { S.issues = S.issues.filter(function (i) { return i.id !== id; }); S.version = (S.version || 0) + 1; reindex(); }
        });
      })).then(render);
    }, 60);
  }
  function reloadAll() {
    return fetch("/api/site", { credentials: "same-origin" }).then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); }).then(function (d) {
      var evs = S.events;
      load(d);
      if (evs.length && S.events.length && evs[evs.length - 1].id > S.events[S.events.length - 1].id) { S.events = evs; }
      S.version = (S.version || 0) + 1;
      render();
    });
  }
  function connect() {
    var after = S.data.last_event_id ? "?after=" + encodeURIComponent(S.data.last_event_id) : "";
    var es = new EventSource("/api/events" + after);
    S.source = es;
    es.onopen = function () { S.connected = true; frame(parseHash()); };
    es.onerror = function () { S.connected = false; frame(parseHash()); };
    es.onmessage = function (m) {
      var e;
      try { e = JSON.parse(m.data); } catch (x) { return; }
      if (S.events.length && S.events[S.events.length - 1].id >= e.id) { return; }
      S.events.push(e);
      if (S.events.length > 2000) { S.events.splice(0, S.events.length - 2000); }
      var a = S.actors.filter(function (x) { return x.actor === e.actor; })[0];
      if (!a) { a = { actor: e.actor, events: 0 }; S.actors.push(a); }
      a.events++; a.last_at = e.ts; a.last_event = e.type;
      // The issue, and the issues waiting for it (what blocks them may have changed).
      if (e.issue) { refetch([e.issue].concat((S.dependents[e.issue] || []).map(function (x) { return x.id; }))); } else { reloadAll(); }
      if (parseHash().view === "events" || parseHash().view === "agents") { render(); }
    };
    es.addEventListener("changed", function () { reloadAll(); });
  }

  // ---- keyboard and start ----
  var qBox = doc.getElementById("q");
  if (qBox) {
    var typing = null;
    on(qBox, "input", function () { clearTimeout(typing); typing = setTimeout(function () { setParam("q", qBox.value); }, 120); });
    on(qBox, "keydown", function (ev) {
      if (ev.key === "Enter") { clearTimeout(typing); setParam("q", qBox.value); var r = parseHash(); if (["board", "list", "kanban", "graph", "stats"].indexOf(r.view) < 0) { go("list", null, keepParams(r.params)); } }
      if (ev.key === "Escape") { qBox.blur(); }
    });
  }
  on(doc, "keydown", function (ev) {
    var t = ev.target;
    var inField = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    if ((ev.key === "/" && !inField) || ((ev.ctrlKey || ev.metaKey) && (ev.key === "k" || ev.key === "K"))) {
      if (qBox) { ev.preventDefault(); qBox.focus(); qBox.select(); }
    }
  });
  on(doc, "focusout", function () { setTimeout(function () { if (S.pending && !(doc.activeElement && (doc.activeElement.isContentEditable || /^(TEXTAREA|INPUT|SELECT)$/.test(doc.activeElement.tagName)))) { S.pending = false; render(); } }, 0); });
  on(window, "hashchange", render);
  setInterval(tickCountdowns, 1000);

  function start() {
    doc.body.classList.add("js");
    if (!LIVE) { load(boot); render(); return; }
    var main = doc.getElementById("app");
    clear(main).appendChild(el("p", { class: "empty", text: "Loading…" }));
    fetch("/api/site", { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { return r.json().then(function (e) { throw e; }); }
      return r.json();
    }).then(function (d) { load(d); render(); connect(); }, function (err) {
      clear(main).appendChild(el("div", { class: "box alarm" }, [el("h1", { text: "Cannot load the console" }), el("p", { text: errText(err) })]));
    });
  }
  start();
})(typeof module === "object" && module.exports ? module.exports : this);
