// floortrack's dashboard: polls floortrackd's read-only API (docs/api.md)
// and updates the page in place; never reloads. Tiles and lists every
// 10 s, the daily charts every 60 s. A failed request leaves the last data
// on screen and says so in the status line; nothing is thrown.
"use strict";

(function () {
  const FAST_MS = 10000;
  const SLOW_MS = 60000;
  const DASH = "\u2013";

  // Tiles: data-kpi -> how its value is read from /api/v1/kpi, formatted,
  // and which key of "targets" judges it.
  const TILES = {
    turnaround: { read: (k) => k.turnaround_hours && k.turnaround_hours.p50, format: hours, target: "turnaround_hours" },
    order_accuracy: { read: (k) => k.order_accuracy_pct, format: pct, target: "order_accuracy_pct" },
    first_pass_yield: { read: (k) => k.first_pass_yield_pct, format: pct, target: "first_pass_yield_pct" },
    material_yield: { read: (k) => k.material_yield_pct, format: pct, target: "material_yield_pct" },
    material_cost: { read: (k) => k.material_cost_pct, format: pct, target: "material_cost_pct" },
    aov: { read: (k) => k.aov, format: money, target: "aov" },
    personalization: { read: (k) => k.personalization_pct, format: pct, target: "personalization_pct" },
    repeat_customers: { read: (k) => k.repeat_customer_pct, format: pct, target: "repeat_customer_pct" },
    retention: { read: (k) => k.retention_pct, format: pct, target: "retention_pct" },
    engagement: { read: (k) => k.engagement_pct, format: pct, target: "engagement_pct" },
    csi: { read: (k) => k.csi, format: one, target: "csi" },
    labor: { read: (k) => k.labor_pieces_per_hour, format: one, target: "labor_pieces_per_hour" },
    shipped: { read: (k) => k.orders && k.orders.shipped, format: count },
  };
  const STAGE_ORDER = ["confirmed", "print_started", "printed", "cast", "polished", "stone_set",
    "qc", "packed", "shipped", "returned"];

  function isNumber(v) { return typeof v === "number" && isFinite(v); }
  function pct(v) { return isNumber(v) ? v.toFixed(1) + " %" : DASH; }
  function hours(v) { return isNumber(v) ? v.toFixed(1) + " h" : DASH; }
  function money(v) { return isNumber(v) ? v.toFixed(2) : DASH; }
  function one(v) { return isNumber(v) ? v.toFixed(1) : DASH; }
  function count(v) { return isNumber(v) ? String(v) : DASH; }
  function age(h) {
    if (!isNumber(h)) return DASH;
    return h >= 48 ? (h / 24).toFixed(1) + " d" : h.toFixed(1) + " h";
  }
  function bare(v) { return isNumber(v) ? String(Math.round(v * 10) / 10) : ""; }
  function clock(date) { return date.toLocaleTimeString([], { hour12: false }); }
  function shortDate(iso) {
    const d = new Date(iso + "T00:00:00Z");
    return isNaN(d) ? iso : d.toLocaleDateString([], { day: "numeric", month: "short", timeZone: "UTC" });
  }
  function when(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return String(iso);
    const sameDay = d.toDateString() === new Date().toDateString();
    return sameDay ? clock(d) : d.toLocaleDateString([], { day: "numeric", month: "short" }) + " " + clock(d);
  }
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  // A request that failed: status (0 without an answer) and a message.
  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function api(path) {
    let response;
    try {
      response = await fetch(path, { cache: "no-store", credentials: "same-origin", headers: { Accept: "application/json" } });
    } catch (e) {
      throw new ApiError(0, "floortrackd does not answer");
    }
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      const why = body && body.error ? body.error : "HTTP " + response.status;
      throw new ApiError(response.status, why);
    }
    return body;
  }

  // The status line: the last good refresh, or what went wrong.
  let lastOk = null;
  function showOk() {
    lastOk = new Date();
    document.body.dataset.state = "ok";
    document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
    document.getElementById("status").textContent = "updated " + clock(lastOk);
  }
  function showError(error) {
    const status = document.getElementById("status");
    if (error instanceof ApiError && error.status === 401) {
      document.body.dataset.state = "unauthorized";
      status.textContent = "sign-in needed: this server has an access token. ";
      const link = document.createElement("a");
      link.href = "/login";
      link.id = "sign-in";
      link.textContent = "Sign in";
      status.appendChild(link);
      return;
    }
    document.body.dataset.state = "error";
    const since = lastOk ? "; showing data from " + clock(lastOk) : "";
    status.textContent = "cannot update: " + (error && error.message ? error.message : "unknown error") + since;
  }

  function trendText(tile, now, before, format) {
    if (!isNumber(now) || !isNumber(before)) return { text: "", cls: "" };
    const delta = now - before;
    const arrow = delta > 0 ? "\u25B2" : delta < 0 ? "\u25BC" : "\u25B6";
    const better = tile.dataset.better;
    let cls = "";
    if (delta !== 0 && better) cls = (delta > 0) === (better === "up") ? "good" : "bad";
    const sign = delta < 0 ? "-" : "+";
    return { text: arrow + " " + sign + format(Math.abs(delta)) + " vs last week", cls: cls };
  }

  function bandText(target, unit) {
    const lo = isNumber(target.min) ? bare(target.min) : null;
    const hi = isNumber(target.max) ? bare(target.max) : null;
    let band = "";
    if (lo !== null && hi !== null) band = lo + DASH + hi + unit;
    else if (lo !== null) band = "\u2265 " + lo + unit;
    else if (hi !== null) band = "\u2264 " + hi + unit;
    const label = { inside: "on target", below: "below target", above: "above target", no_data: "no data" }[target.status] || "";
    return (band ? "target " + band : "") + (label ? (band ? " \u00B7 " : "") + label : "");
  }

  // Material yield's band: its own target if there is one, else the
  // per-material targets (metals by loss, resins by yield), summarised.
  function materialsTarget(targets) {
    const materials = targets && targets.materials;
    if (!materials || typeof materials !== "object") return null;
    const all = Object.values(materials).filter((t) => t && typeof t === "object");
    if (all.length === 0) return null;
    const off = all.filter((t) => t.status === "below" || t.status === "above").length;
    const known = all.filter((t) => t.status !== "no_data").length;
    return {
      status: known === 0 ? "no_data" : off > 0 ? "below" : "inside",
      text: known === 0 ? "materials: no data" : (all.length - off) + " of " + all.length + " materials on target",
    };
  }

  function renderTiles(kpi, thisWeek, lastWeek, openCount) {
    const targets = kpi && typeof kpi.targets === "object" && kpi.targets ? kpi.targets : null;
    for (const tile of document.querySelectorAll(".tile")) {
      const key = tile.dataset.kpi;
      const valueEl = tile.querySelector(".value");
      const trendEl = tile.querySelector(".trend");
      const bandEl = tile.querySelector(".band");
      const subEl = tile.querySelector(".sub");
      if (key === "open_orders") {
        valueEl.textContent = count(openCount);
        continue;
      }
      const spec = TILES[key];
      if (!spec) continue;
      const value = spec.read(kpi);
      valueEl.textContent = spec.format(value);
      if (key === "turnaround") subEl.textContent = isNumber(value) ? "\u2248 " + (value / 24).toFixed(1) + " days" : "";
      if (key === "aov") {
        const several = kpi.money_by_currency && Object.keys(kpi.money_by_currency).length > 1;
        subEl.textContent = several && !isNumber(value) ? "several currencies" : kpi.currency || "";
      }
      if (key === "csi") subEl.textContent = "from " + count(kpi.csi_responses) + " responses";
      if (key === "retention")
        subEl.textContent = "of " + count(kpi.retention && kpi.retention.customers_at_start) + " customers";
      if (key === "shipped") subEl.textContent = "confirmed " + count(kpi.orders && kpi.orders.confirmed);
      const trend = trendText(tile, spec.read(thisWeek), spec.read(lastWeek), spec.format);
      trendEl.textContent = trend.text;
      trendEl.className = "trend " + trend.cls;
      const target = targets && spec.target ? targets[spec.target] : null;
      if (target && typeof target === "object") {
        const unit = spec.format === pct ? " %" : spec.format === hours ? " h" : "";
        tile.dataset.status = String(target.status || "");
        bandEl.textContent = bandText(target, unit);
      } else if (key === "material_yield" && materialsTarget(targets)) {
        const summary = materialsTarget(targets);
        tile.dataset.status = summary.status;
        bandEl.textContent = summary.text;
      } else {
        delete tile.dataset.status;
        bandEl.textContent = "";
      }
    }
  }

  function renderStages(open) {
    const counts = new Map();
    for (const o of open) counts.set(o.current_stage, (counts.get(o.current_stage) || 0) + 1);
    const stages = [...counts.keys()].sort((a, b) => {
      const ia = STAGE_ORDER.indexOf(a), ib = STAGE_ORDER.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || String(a).localeCompare(String(b));
    });
    const max = Math.max(1, ...counts.values());
    const list = document.getElementById("stages");
    list.replaceChildren();
    if (stages.length === 0) list.append(el("li", "no open orders", "muted"));
    for (const stage of stages) {
      const li = el("li");
      li.dataset.stage = stage;
      const meter = el("span", undefined, "meter");
      meter.style.width = (100 * counts.get(stage) / max) + "%";
      const bar = el("span");
      bar.append(meter);
      li.append(el("span", stage || "(none)"), bar, el("span", String(counts.get(stage)), "count"));
      list.append(li);
    }
  }

  function renderOldest(open) {
    const rows = open.filter((o) => isNumber(o.age_hours))
      .sort((a, b) => b.age_hours - a.age_hours).slice(0, 8);
    const body = document.querySelector("#oldest tbody");
    body.replaceChildren();
    for (const o of rows) {
      const tr = el("tr");
      tr.append(el("td", o.order_id), el("td", o.current_stage), el("td", age(o.age_hours), "num"));
      body.append(tr);
    }
  }

  function renderRejects(rejects) {
    document.getElementById("rejects-total").textContent = isNumber(rejects.total) ? "(" + rejects.total + " in all)" : "";
    const body = document.querySelector("#rejects tbody");
    body.replaceChildren();
    for (const r of rejects.rejects || []) {
      const tr = el("tr");
      tr.append(el("td", when(r.received_at)), el("td", r.reason));
      tr.title = r.topic || "";
      body.append(tr);
    }
  }

  // GET /api/v1/alerts: what is firing now, oldest first (docs/alerts.md).
  function renderAlerts(alerts) {
    const firing = Array.isArray(alerts.firing) ? alerts.firing : [];
    const panel = document.getElementById("alerts-panel");
    panel.dataset.count = String(firing.length);
    document.getElementById("alerts-count").textContent =
      firing.length === 0 ? "none firing" : "(" + firing.length + " firing)";
    const list = document.getElementById("alerts");
    list.replaceChildren();
    for (const a of firing) {
      const li = el("li");
      li.dataset.id = a.id;
      li.append(el("span", a.id, "alert-id"), el("span", a.message), el("span", "since " + when(a.since), "alert-since"));
      list.append(li);
    }
  }

  async function refreshFast() {
    try {
      const [kpi, thisWeek, lastWeek, open, rejects, alerts] = await Promise.all([
        api("/api/v1/kpi?since=30d"),
        // Rolling weeks of equal length (7d would be today so far and 6 days).
        api("/api/v1/kpi?since=168h"),
        api("/api/v1/kpi?since=336h&until=168h"),
        api("/api/v1/orders?open=1"),
        api("/api/v1/rejects?limit=10"),
        api("/api/v1/alerts"),
      ]);
      const openList = Array.isArray(open) ? open : [];
      renderTiles(kpi || {}, thisWeek || {}, lastWeek || {}, openList.length);
      renderStages(openList);
      renderOldest(openList);
      renderRejects(rejects || {});
      renderAlerts(alerts || {});
      showOk();
    } catch (error) {
      showError(error);
    }
  }

  // The daily charts; without Chart.js (not installed) the panels say so.
  const charts = {};
  function chartOptions(unit) {
    return {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      spanGaps: true,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { type: "category", ticks: { color: "#8d99a6", maxRotation: 0, autoSkipPadding: 12 }, grid: { color: "#2a313b" } },
        y: { beginAtZero: true, ticks: { color: "#8d99a6" }, grid: { color: "#2a313b" }, title: { display: true, text: unit, color: "#8d99a6" } },
      },
      plugins: { legend: { labels: { color: "#e8edf2" } } },
    };
  }
  function line(label, data, color) {
    return { label: label, data: data, borderColor: color, backgroundColor: color, pointRadius: 2, borderWidth: 2, tension: 0.2 };
  }
  function drawChart(id, datasets, labels, unit) {
    if (typeof window.Chart !== "function") {
      const panel = document.getElementById(id).closest(".chart");
      if (panel && !panel.dataset.noChart) {
        panel.dataset.noChart = "1";
        panel.append(el("p", "charts need Chart.js (Debian package libjs-chart.js) on the server", "muted"));
      }
      return;
    }
    if (charts[id]) {
      charts[id].data.labels = labels;
      charts[id].data.datasets.forEach((d, i) => { d.data = datasets[i].data; });
      charts[id].update();
      return;
    }
    charts[id] = new window.Chart(document.getElementById(id), { type: "line", data: { labels: labels, datasets: datasets }, options: chartOptions(unit) });
  }

  async function refreshSlow() {
    try {
      const daily = await api("/api/v1/kpi/daily?days=90");
      const series = daily && Array.isArray(daily.series) ? daily.series : [];
      const labels = series.map((d) => shortDate(d.date));
      const pick = (key) => series.map((d) => (isNumber(d[key]) ? d[key] : null));
      drawChart("chart-turnaround", [line("p50", pick("turnaround_p50_hours"), "#5aa9e6"),
        line("p90", pick("turnaround_p90_hours"), "#e8b339")], labels, "hours");
      drawChart("chart-yield", [line("material yield", pick("material_yield_pct"), "#3fbf6f"),
        line("first-pass yield", pick("first_pass_yield_pct"), "#c792ea")], labels, "%");
    } catch (error) {
      showError(error);
    }
  }

  // The Flow panel: /api/v1/flow's stage rows; the bottleneck stages marked.
  function renderFlow(flow) {
    const stages = flow && Array.isArray(flow.stages) ? flow.stages : [];
    const neck = flow && flow.bottleneck ? flow.bottleneck : {};
    const body = document.querySelector("#flow tbody");
    body.replaceChildren();
    for (const s of stages) {
      const tr = el("tr");
      tr.dataset.stage = s.stage;
      const marks = [];
      if (s.stage === neck.wip) marks.push("wip");
      if (s.stage === neck.p90) marks.push("p90");
      if (marks.length) {
        tr.className = "bottleneck";
        tr.dataset.bottleneck = marks.join(" ");
      }
      tr.append(el("td", s.stage), el("td", hours(s.p50_hours), "num"), el("td", hours(s.p90_hours), "num"),
        el("td", count(s.count), "num"), el("td", count(s.wip_count), "num"),
        el("td", age(s.wip_oldest_hours), "num"));
      body.append(tr);
    }
    const parts = [];
    if (neck.wip) parts.push("most waiting now: " + neck.wip);
    if (neck.p90) parts.push("longest p90 dwell: " + neck.p90);
    document.getElementById("flow-bottleneck").textContent = parts.length ? "Bottleneck \u2013 " + parts.join(" \u00B7 ") : "";
  }

  async function refreshFlow() {
    try {
      renderFlow(await api("/api/v1/flow?since=30d"));
    } catch (error) {
      showError(error);
    }
  }

  function every(ms, task) {
    const run = () => { task().finally(() => setTimeout(run, ms)); };
    run();
  }

  every(FAST_MS, refreshFast);
  every(SLOW_MS, refreshSlow);
  every(SLOW_MS, refreshFlow);
})();
