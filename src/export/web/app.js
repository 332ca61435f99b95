// jit export web: the view toggle and the client-side filters. No network, no dependencies.
// The issue data comes from <script type="application/json" id="data"> in index.html.
(function () {
  "use strict";
  var dataEl = document.getElementById("data");
  var issues = [];
  try {
    issues = JSON.parse(dataEl ? dataEl.textContent : "{}").issues || [];
  } catch (e) {
    issues = [];
  }
  var byId = {};
  issues.forEach(function (i) { byId[i.id] = i; });

  var views = ["roadmap", "list", "kanban", "graph"];
  function show(name) {
    if (views.indexOf(name) < 0) { name = "roadmap"; }
    document.querySelectorAll("section.view").forEach(function (s) {
      s.hidden = s.getAttribute("data-view") !== name;
    });
    document.querySelectorAll("button.tab").forEach(function (b) {
      var on = b.getAttribute("data-show") === name;
      b.classList.toggle("active", on);
      b.setAttribute("aria-selected", on ? "true" : "false");
    });
    document.body.setAttribute("data-current", name);
  }
  document.querySelectorAll("button.tab").forEach(function (b) {
    b.addEventListener("click", function () {
      var name = b.getAttribute("data-show");
      show(name);
      if (history.replaceState) { history.replaceState(null, "", "#" + name); }
    });
  });

  var text = document.getElementById("f-text");
  var type = document.getElementById("f-type");
  var label = document.getElementById("f-label");
  var state = document.getElementById("f-state");

  function matches(i) {
    var q = (text && text.value || "").trim().toLowerCase();
    if (q && (i.id + " " + i.title + " " + i.text + " " + (i.assignee || "")).toLowerCase().indexOf(q) < 0) {
      return false;
    }
    if (type && type.value && i.type !== type.value) { return false; }
    if (label && label.value && i.labels.indexOf(label.value) < 0) { return false; }
    if (state && state.value) {
      if (state.value === "blocked") { if (!i.blocked) { return false; } }
      else if (i.state !== state.value) { return false; }
    }
    return true;
  }

  function apply() {
    var keep = {};
    var stats = { total: 0, ready: 0, in_progress: 0, blocked: 0, done: 0 };
    issues.forEach(function (i) {
      if (!matches(i)) { return; }
      keep[i.id] = true;
      stats.total += 1;
      if (i.state === "ready" && !i.blocked) { stats.ready += 1; }
      if (i.state === "in_progress") { stats.in_progress += 1; }
      if (i.state === "done") { stats.done += 1; }
      if (i.blocked) { stats.blocked += 1; }
    });
    document.querySelectorAll("[data-id]").forEach(function (el) {
      el.classList.toggle("out", !keep[el.getAttribute("data-id")]);
    });
    document.querySelectorAll(".column").forEach(function (col) {
      var n = col.querySelectorAll(".card:not(.out)").length;
      col.classList.toggle("empty-col", n === 0);
    });
    Object.keys(stats).forEach(function (k) {
      var el = document.querySelector('[data-stat="' + k + '"]');
      if (el) { el.textContent = String(stats[k]); }
    });
    var pct = stats.total ? Math.floor(stats.done * 100 / stats.total) : 0;
    var p = document.querySelector('[data-stat="percent"]');
    if (p) { p.textContent = pct + "%"; }
    var fill = document.querySelector(".stat-progress .fill");
    if (fill) { fill.style.width = pct + "%"; }
    var shown = document.getElementById("shown");
    if (shown) {
      shown.textContent = stats.total === issues.length ? "" : stats.total + " of " + issues.length + " shown";
    }
  }

  [text, type, label, state].forEach(function (el) {
    if (el) {
      el.addEventListener("input", apply);
      el.addEventListener("change", apply);
    }
  });
  show((location.hash || "").replace("#", "") || "roadmap");
  apply();
  document.body.classList.add("js");
})();
