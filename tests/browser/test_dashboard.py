"""The dashboard (GET /, docs/operations.md) in Debian's headless Chromium,
served by the real floortrackd against a real mosquitto, driven over the
DevTools protocol (python3-websocket).

1. The static files: types, cache headers, the allow-list (404 JSON for
   anything else), /api/v1/kpi/daily and its 400 naming days.
2. The page loads with no console error, no exception and no failed
   request; the KPI tiles show what /api/v1/kpi returns, formatted as the
   page formats it; the charts are drawn; the Flow panel shows the stage
   rows /api/v1/flow returns, the bottleneck marked; screenshot
   dashboard-1.png.
3. More events published: without a reload, polling shows the new values
   (shipped, open orders, rejects) and the alerts /api/v1/alerts lists; screenshot dashboard-2.png; no
   horizontal scrolling on a wall screen nor on a phone (dashboard-phone.png).
4. The tiles show the daemon's own targets; then, with a "targets" key of
   the test's own in /api/v1/kpi (answered by the test through
   DevTools' Fetch domain, to cover every status), the tiles show
   each band and colour by status; screenshot dashboard-targets.png.
5. A token set by a reload: the page asks for a sign-in (401); floortrackd
   stopped: it says it cannot update and keeps the last figures; neither
   makes the page throw or log an error (dashboard-offline.png).
6. The collector is live: an exception and a console.error the test itself
   causes are seen (so the "no errors" checks above can fail).
Screenshots go to $FLOORTRACK_ARTIFACT_DIR (the build tree) and their paths
are printed. Chromium, floortrackd and mosquitto are stopped even on failure.
"""
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

import websocket  # Debian's python3-websocket

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, free_port, wait_for  # noqa: E402

WEB_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "web"))
ARTIFACTS = os.environ.get("FLOORTRACK_ARTIFACT_DIR", os.getcwd())
NOW = datetime.now(timezone.utc)
DASH = "\u2013"


def ts(hours_ago):
    return (NOW - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def ev(eid, order, stage, hours_ago, **extra):
    body = {"event_id": eid, "order_id": order, "stage": stage, "ts": ts(hours_ago)}
    body.update(extra)
    return json.dumps(body)


RESIN = {"type": "castable-resin", "used_g": 10, "scrap_g": 2}
SILVER = {"type": "silver-925", "used_g": 20, "scrap_g": 1}
FIRST = [
    ev("b1-c", "B1", "confirmed", 60, value=120, customer_id="c1", personalized=True),
    ev("b1-p", "B1", "printed", 58, material=RESIN),
    ev("b1-cast", "B1", "cast", 50, material=SILVER),
    ev("b1-s", "B1", "shipped", 4),
    ev("b2-c", "B2", "confirmed", 40, value=80, customer_id="c1"),
    ev("b2-q", "B2", "qc", 30, result="fail", defect="porosity"),
    ev("b2-s", "B2", "shipped", 3),
    ev("b3-c", "B3", "confirmed", 20, value=200, customer_id="c2", personalized=True),
    ev("b3-p", "B3", "printed", 18, material=RESIN),
    ev("b4-c", "B4", "confirmed", 6, value=60, customer_id="c3"),
]
MORE = [
    ev("b3-s", "B3", "shipped", 0.5),
    ev("b5-c", "B5", "confirmed", 2, value=90, customer_id="c2"),
    ev("b5-s", "B5", "shipped", 0.2),
    ev("b6-c", "B6", "confirmed", 1, value=70, customer_id="c4"),
]


def http_get(port, path):
    """(status, headers, body bytes) of GET path."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def api(port, path):
    status, _, body = http_get(port, path)
    if status != 200:
        raise AssertionError(f"{path}: {status} {body[:200]!r}")
    return json.loads(body)


# The page's formatting (web/dashboard.js); toFixed rounds half up on the
# double's exact value, as Decimal(float) with ROUND_HALF_UP does.
def fixed(v, places):
    return str(Decimal(v).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def pct(v):
    return DASH if v is None else fixed(v, 1) + " %"


def expected_tiles(kpi, open_orders):
    t = kpi["turnaround_hours"]["p50"]
    return {
        "turnaround": DASH if t is None else fixed(t, 1) + " h",
        "order_accuracy": pct(kpi["order_accuracy_pct"]),
        "first_pass_yield": pct(kpi["first_pass_yield_pct"]),
        "material_yield": pct(kpi["material_yield_pct"]),
        "material_cost": pct(kpi["material_cost_pct"]),
        "aov": DASH if kpi["aov"] is None else fixed(kpi["aov"], 2),
        "personalization": pct(kpi["personalization_pct"]),
        "repeat_customers": pct(kpi["repeat_customer_pct"]),
        "retention": pct(kpi["retention_pct"]),
        "engagement": pct(kpi["engagement_pct"]),
        "csi": DASH if kpi["csi"] is None else fixed(kpi["csi"], 1),
        "labor": DASH if kpi["labor_pieces_per_hour"] is None else fixed(kpi["labor_pieces_per_hour"], 1),
        "shipped": str(kpi["orders"]["shipped"]),
        "open_orders": str(len(open_orders)),
    }


class DevTools:
    """One page target of a Chromium started with --remote-debugging-port."""

    def __init__(self, debug_port):
        def page_ws():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{debug_port}/json/list", timeout=2) as r:
                    pages = [t for t in json.loads(r.read()) if t.get("type") == "page"]
                return pages[0]["webSocketDebuggerUrl"] if pages else None
            except (OSError, ValueError):
                return None
        url = wait_for(page_ws, 30, "Chromium's DevTools endpoint", interval=0.2)
        self.ws = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events = []  # every event received, in order
        self.paused = []  # Fetch.requestPaused events not yet answered
        self.fulfil = None  # url -> (status, JSON body) for paused requests

    def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == mid:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)
                if message["method"] == "Fetch.requestPaused":
                    self.paused.append(message["params"])

    def answer_paused(self):
        """Answers the requests Fetch paused with self.fulfil(url)."""
        while self.paused:
            p = self.paused.pop(0)
            status, body = self.fulfil(p["request"]["url"])
            self.call("Fetch.fulfillRequest", requestId=p["requestId"], responseCode=status,
                      responseHeaders=[{"name": "Content-Type", "value": "application/json; charset=utf-8"}],
                      body=base64.b64encode(json.dumps(body).encode()).decode())

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"evaluate {expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression, timeout, what):
        def check():
            value = self.evaluate(expression)
            self.answer_paused()
            return value
        return wait_for(check, timeout, what, interval=0.25)

    def screenshot(self, name):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path = os.path.join(ARTIFACTS, name)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        print(f"screenshot: {path}")
        return path

    def errors(self, start=0, network=True):
        """Console errors, exceptions, failed loads and error log entries seen
        in self.events[start:]; without network=True, not the browser's own
        "Failed to load resource" entries (source "network")."""
        found = []
        for e in self.events[start:]:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.exceptionThrown":
                found.append(("exception", p["exceptionDetails"].get("exception", {}).get("description")
                              or p["exceptionDetails"].get("text")))
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                found.append(("console.error", [a.get("value", a.get("description")) for a in p.get("args", [])]))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error" and (
                    network or p["entry"].get("source") != "network"):
                found.append(("log", p["entry"].get("text"), p["entry"].get("url")))
        return found

    def navigations(self):
        return [e for e in self.events if e["method"] == "Page.frameNavigated"
                and not e["params"]["frame"].get("parentId")]

    def drain(self, seconds):
        """Collects the events that arrive within `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                message = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                break
            if "method" in message:
                self.events.append(message)
        self.ws.settimeout(30)

    def close(self):
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001 - closing on the way out
            pass


TILES_JS = """Object.fromEntries([...document.querySelectorAll('.tile')]
  .map(t => [t.dataset.kpi, t.querySelector('.value').textContent]))"""


def check_static(checks, port):
    status, headers, body = http_get(port, "/")
    checks.eq("GET /: 200 text/html", (status, headers.get("Content-Type")), (200, "text/html; charset=utf-8"))
    checks.eq("GET /: Cache-Control no-cache", headers.get("Cache-Control"), "no-cache")
    checks.true("GET /: a CSP keeping everything on this server",
                "default-src 'self'" in (headers.get("Content-Security-Policy") or ""), headers)
    checks.true("GET /: no external URL in the page", b"http://" not in body and b"https://" not in body)
    for path, ctype in (("/assets/dashboard.js", "text/javascript; charset=utf-8"),
                        ("/assets/dashboard.css", "text/css; charset=utf-8"),
                        ("/assets/chart.min.js", "text/javascript; charset=utf-8")):
        status, headers, body = http_get(port, path)
        checks.eq(f"GET {path}: 200 {ctype}", (status, headers.get("Content-Type")), (200, ctype))
    checks.true("chart.min.js is Debian's Chart.js", b"Chart.js v3" in body[:200], body[:100])
    for path in ("/assets/nope.js", "/assets/..%2f..%2fREADME.md", "/assets/../README.md",
                 "/../README.md", "/index.htm", "/web/index.html"):
        status, headers, body = http_get(port, path)
        checks.eq(f"GET {path}: 404 JSON", (status, headers.get("Content-Type", "").split(";")[0]),
                  (404, "application/json"))
    daily = api(port, "/api/v1/kpi/daily")
    checks.eq("kpi/daily: 90 days by default", (daily["days"], len(daily["series"])), (90, 90))
    checks.eq("kpi/daily: the last day is today (UTC)", daily["series"][-1]["date"],
              datetime.now(timezone.utc).strftime("%Y-%m-%d"))
    shipped = sum(d["shipped"] for d in daily["series"])
    checks.eq("kpi/daily: shipped per day adds up to the 90-day KPI", shipped,
              api(port, "/api/v1/kpi?since=" + daily["series"][0]["date"])["orders"]["shipped"])
    for day in daily["series"][-3:]:
        nxt = (datetime.strptime(day["date"], "%Y-%m-%d") + timedelta(days=1)).strftime("%Y-%m-%d")
        k = api(port, f"/api/v1/kpi?since={day['date']}&until={nxt}")
        want = {"date": day["date"], "confirmed": k["orders"]["confirmed"], "shipped": k["orders"]["shipped"],
                "turnaround_p50_hours": k["turnaround_hours"]["p50"],
                "turnaround_p90_hours": k["turnaround_hours"]["p90"],
                "material_yield_pct": k["material_yield_pct"], "first_pass_yield_pct": k["first_pass_yield_pct"],
                "order_accuracy_pct": k["order_accuracy_pct"]}
        checks.eq(f"kpi/daily {day['date']} equals /api/v1/kpi for that day", day, want)
    checks.eq("kpi/daily?days=7: 7 days", len(api(port, "/api/v1/kpi/daily?days=7")["series"]), 7)
    for bad in ("0", "367", "x", "-1", "9" * 30):
        status, _, body = http_get(port, f"/api/v1/kpi/daily?days={bad}")
        checks.eq(f"kpi/daily?days={bad[:10]}: 400 naming days",
                  (status, json.loads(body).get("parameter")), (400, "days"))


def start_chromium(tmp):
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-extensions", "--disable-sync",
            "--no-first-run", "--no-default-browser-check", "--mute-audio",
            f"--user-data-dir={os.path.join(tmp, 'chromium')}", "--window-size=1600,1100",
            "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
            "about:blank"]
    log = open(os.path.join(tmp, "chromium.log"), "wb")
    # Its own process group, so that its helpers are stopped with it.
    return subprocess.Popen(args, stdout=log, stderr=log, start_new_session=True), log


def stop_chromium(proc):
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def main():
    checks = Checks()
    os.makedirs(ARTIFACTS, exist_ok=True)
    with Workdir("browser") as tmp:
        broker = Broker(tmp).start()
        port = free_port()
        d = Daemon(tmp, broker.uri, http=f'listen = "127.0.0.1:{port}"\ndashboard_dir = "{WEB_DIR}"')
        chromium, chromium_log, tools = None, None, None
        try:
            d.start()
            d.wait_log(f"http listening on 127.0.0.1:{port}", 10)
            broker.publish_lines("floor/shop/event", FIRST)
            broker.publish("floor/shop/event", "this is not JSON")
            wait_for(lambda: d.event_count() >= len(FIRST) and d.reject_count() >= 1, 20,
                     "the first events stored")
            check_static(checks, port)

            chromium, chromium_log = start_chromium(tmp)
            tools = DevTools(wait_for(lambda: _debug_port(tmp), 30, "Chromium's DevTools port"))
            for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
                tools.call(domain)
            tools.call("Page.navigate", url=f"http://127.0.0.1:{port}/")
            tools.wait("document.body && document.body.dataset.refreshes >= 1", 30, "the first refresh")
            tools.wait("typeof Chart === 'function' && !!Chart.getChart(document.getElementById('chart-yield'))"
                       " && !!Chart.getChart(document.getElementById('chart-turnaround'))", 30, "the charts")
            tools.drain(1.0)
            checks.eq("page state after the first refresh", tools.evaluate("document.body.dataset.state"), "ok")
            kpi = api(port, "/api/v1/kpi?since=30d")
            open_orders = api(port, "/api/v1/orders?open=1")
            checks.eq("tiles show /api/v1/kpi?since=30d as the page formats it",
                      tools.evaluate(TILES_JS), expected_tiles(kpi, open_orders))
            checks.eq("the fixture: 2 shipped, 2 open", (kpi["orders"]["shipped"], len(open_orders)), (2, 2))
            stages = tools.evaluate("[...document.querySelectorAll('#stages li')].map(li => li.dataset.stage)")
            checks.eq("open orders by stage", stages, ["confirmed", "printed"])
            oldest = tools.evaluate("[...document.querySelectorAll('#oldest tbody tr td:first-child')]"
                                    ".map(td => td.textContent)")
            checks.eq("oldest open orders, oldest first", oldest, ["B3", "B4"])
            checks.eq("recent rejects: one row",
                      tools.evaluate("document.querySelectorAll('#rejects tbody tr').length"), 1)
            labels = tools.evaluate("Chart.getChart(document.getElementById('chart-yield')).data.labels.length")
            checks.eq("yield chart: 90 daily labels", labels, 90)
            tools.wait("document.querySelectorAll('#flow tbody tr').length > 0", 30, "the Flow panel")
            flow = api(port, "/api/v1/flow?since=30d")
            checks.eq("Flow panel: the stage rows /api/v1/flow?since=30d returns, with WIP counts",
                      tools.evaluate("[...document.querySelectorAll('#flow tbody tr')]"
                                     ".map(tr => [tr.dataset.stage, tr.children[4].textContent])"),
                      [[s["stage"], str(s["wip_count"])] for s in flow["stages"]])
            neck = flow["bottleneck"]
            checks.eq("the fixture's bottleneck: printed waiting, cast's p90", neck,
                      {"wip": "printed", "p90": "cast"})
            checks.eq("Flow panel: the bottleneck rows marked",
                      tools.evaluate("[...document.querySelectorAll('#flow tr.bottleneck')]"
                                     ".map(tr => [tr.dataset.stage, tr.dataset.bottleneck])"),
                      [[s["stage"], " ".join(k for k in ("wip", "p90") if neck[k] == s["stage"])]
                       for s in flow["stages"] if s["stage"] in (neck["wip"], neck["p90"])])
            checks.eq("no console error, exception or failed load on the first load", tools.errors(), [])
            tools.screenshot("dashboard-1.png")

            refreshes = tools.evaluate("Number(document.body.dataset.refreshes)")
            broker.publish_lines("floor/shop/event", MORE)
            broker.publish("floor/shop/event", '{"order_id": "B9"}')
            wait_for(lambda: d.event_count() >= len(FIRST) + len(MORE) and d.reject_count() >= 2, 20,
                     "the further events stored")
            kpi = api(port, "/api/v1/kpi?since=30d")
            open_orders = api(port, "/api/v1/orders?open=1")
            want = expected_tiles(kpi, open_orders)
            checks.eq("the further events: 4 shipped, 2 open", (want["shipped"], want["open_orders"]), ("4", "2"))
            try:
                tools.wait(f"(() => {{ const t = {TILES_JS}; return t.shipped === {json.dumps(want['shipped'])}"
                           f" && t.aov === {json.dumps(want['aov'])}; }})()", 30, "the tiles to update")
            except AssertionError as e:
                checks.true("the tiles update by polling", False, str(e))
            tools.drain(1.0)
            checks.eq("after polling: tiles show the new /api/v1/kpi values", tools.evaluate(TILES_JS), want)
            checks.true("polled again without a reload",
                        tools.evaluate("Number(document.body.dataset.refreshes)") > refreshes)
            checks.eq("one navigation only (no reload)", len(tools.navigations()), 1)
            checks.eq("open orders by stage after polling",
                      tools.evaluate("[...document.querySelectorAll('#stages li')].map(li => li.dataset.stage)"),
                      _stages(open_orders))
            checks.eq("recent rejects after polling: two rows",
                      tools.evaluate("document.querySelectorAll('#rejects tbody tr').length"), 2)
            checks.eq("no console error, exception or failed load after polling", tools.errors(), [])
            checks.true("no horizontal scrolling on a wall screen (1600 px)",
                        tools.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))
            # The alerts panel lists what /api/v1/alerts says is firing (the
            # monitor looks a few seconds after events; the page every 10 s).
            def alerts_agree():
                want_ids = [a["id"] for a in api(port, "/api/v1/alerts")["firing"]]
                shown_ids = tools.evaluate("[...document.querySelectorAll('#alerts li')].map(li => li.dataset.id)")
                tools.answer_paused()
                return (want_ids == shown_ids, want_ids)
            wait_for(lambda: alerts_agree()[0], 40, "the alerts panel to show /api/v1/alerts")
            shown = alerts_agree()[1]
            checks.true(f"alerts panel: the firing alerts of /api/v1/alerts ({len(shown)})", True)
            checks.eq("alerts panel: its count", tools.evaluate("document.getElementById('alerts-panel').dataset.count"),
                      str(len(shown)))
            tools.screenshot("dashboard-2.png")
            # A phone: the same page in one or two columns, nothing wider than the screen.
            tools.call("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2,
                       mobile=True)
            tools.drain(1.0)
            checks.true("no horizontal scrolling on a phone (390 px)",
                        tools.evaluate("document.documentElement.scrollWidth <= window.innerWidth"),
                        tools.evaluate("[document.documentElement.scrollWidth, window.innerWidth]"))
            tools.screenshot("dashboard-phone.png")
            tools.call("Emulation.clearDeviceMetricsOverride")

            # 4. KPI targets. First the daemon's own: each tile's status is the
            # one /api/v1/kpi gives for its KPI.
            kpi = api(port, "/api/v1/kpi?since=30d")
            tile_of = {"turnaround": "turnaround_hours", "order_accuracy": "order_accuracy_pct",
                       "material_cost": "material_cost_pct", "aov": "aov",
                       "personalization": "personalization_pct", "repeat_customers": "repeat_customer_pct"}
            shown = tools.evaluate("""Object.fromEntries([...document.querySelectorAll('.tile')]
                .map(t => [t.dataset.kpi, t.dataset.status || null]))""")
            checks.eq("targets from the daemon: each tile's status as /api/v1/kpi says",
                      {tile: shown[tile] for tile in tile_of},
                      {tile: kpi["targets"][key]["status"] for tile, key in tile_of.items()})
            # Then every status and band shape: the 30-day KPIs answered with
            # targets of the test's own.
            p50 = kpi["turnaround_hours"]["p50"]
            kpi["targets"] = {
                "turnaround_hours": {"min": 72, "max": 168, "value": p50, "status": "below"},
                "order_accuracy_pct": {"min": 98, "max": None, "value": 100, "status": "inside"},
                "material_cost_pct": {"min": 20, "max": 35, "value": 4.9, "status": "below"},
                "aov": {"min": 70, "max": 120, "value": kpi["aov"], "status": "inside"},
                "repeat_customer_pct": {"min": 20, "max": None, "value": None, "status": "no_data"},
                "materials": {
                    "castable-resin": {"kpi": "yield_pct", "min": 85, "max": None, "value": 80, "status": "below"},
                    "silver-925": {"kpi": "loss_pct", "min": None, "max": 5, "value": 3.2, "status": "inside"}},
            }
            tools.fulfil = lambda url: (200, kpi)
            tools.call("Fetch.enable", patterns=[{"urlPattern": "*/api/v1/kpi\\?since=30d", "requestStage": "Request"}])
            tools.wait("document.querySelector('[data-kpi=repeat_customers]').dataset.status === 'no_data'", 30,
                       "the tiles to show targets")
            tools.call("Fetch.disable")
            bands = tools.evaluate("""Object.fromEntries([...document.querySelectorAll('.tile')]
                .map(t => [t.dataset.kpi, [t.dataset.status || null, t.querySelector('.band').textContent]]))""")
            checks.eq("targets: bands and status on the tiles", bands, {
                "turnaround": ["below", "target 72\u2013168 h \u00b7 below target"],
                "order_accuracy": ["inside", "target \u2265 98 % \u00b7 on target"],
                "first_pass_yield": [None, ""],
                "material_yield": ["below", "1 of 2 materials on target"],
                "material_cost": ["below", "target 20\u201335 % \u00b7 below target"],
                "aov": ["inside", "target 70\u2013120 \u00b7 on target"],
                "personalization": [None, ""],
                "repeat_customers": ["no_data", "target \u2265 20 % \u00b7 no data"],
                "retention": [None, ""],
                "engagement": [None, ""],
                "csi": [None, ""],
                "labor": [None, ""],
                "shipped": [None, ""],
                "open_orders": [None, ""],
            })
            checks.eq("no console error, exception or failed load with targets", tools.errors(), [])
            tools.screenshot("dashboard-targets.png")

            # 5. Failures: a token the page does not have (401), then no daemon.
            mark = len(tools.events)
            token_file = os.path.join(tmp, "api.token")
            with open(token_file, "w") as f:
                f.write("t0ken\n")
            os.chmod(token_file, 0o600)
            with open(d.config) as f:
                config = f.read()
            with open(d.config, "w") as f:
                f.write(config.replace("[http]\n", f'[http]\ntoken_file = "{token_file}"\n', 1))
            reloads = d.log_text().count("reloaded")
            d.proc.send_signal(signal.SIGHUP)
            d.wait_log("reloaded", 10, count=reloads + 1)
            tools.wait("document.body.dataset.state === 'unauthorized'", 30, "the page to ask for a sign-in")
            checks.true("401: the status line asks for a sign-in",
                        "sign-in" in tools.evaluate("document.getElementById('status').textContent"))
            checks.eq("401: the status line links to the sign-in form",
                      tools.evaluate("document.getElementById('sign-in').getAttribute('href')"), "/login")
            checks.eq("401: the tiles keep the last figures", tools.evaluate(TILES_JS)["shipped"], want["shipped"])
            checks.eq("floortrackd exits 0 on SIGTERM", d.stop(), 0)
            tools.wait("document.body.dataset.state === 'error'", 30, "the page to show the failure")
            status_line = tools.evaluate("document.getElementById('status').textContent")
            checks.true("no daemon: the status line says so and when the data is from",
                        "cannot update" in status_line and "showing data from" in status_line, status_line)
            tools.drain(1.0)
            checks.eq("401 and no daemon: no exception or console error from the page",
                      tools.errors(mark, network=False), [])
            tools.screenshot("dashboard-offline.png")

            # 6. The collector sees errors (so the checks above can fail).
            tools.evaluate("setTimeout(() => { throw new Error('probe exception'); }, 0); 1")
            tools.evaluate("console.error('probe console error'); 1")
            tools.drain(1.0)
            seen = json.dumps(tools.errors())
            checks.true("an exception thrown by page code is caught", "probe exception" in seen, seen)
            checks.true("a console.error is caught", "probe console error" in seen, seen)
        finally:
            if tools:
                tools.close()
            stop_chromium(chromium)
            if chromium_log:
                chromium_log.close()
            code = d.stop()
            checks.eq("floortrackd stopped, exit status 0", code, 0)
            broker.stop()
    return checks.finish()


def _stages(open_orders):
    order = ["confirmed", "print_started", "printed", "cast", "polished", "stone_set", "qc", "packed"]
    return sorted({o["current_stage"] for o in open_orders}, key=order.index)


def _debug_port(tmp):
    """The DevTools port Chromium picked (--remote-debugging-port=0), once it is up."""
    path = os.path.join(tmp, "chromium", "DevToolsActivePort")
    try:
        with open(path) as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return None


if __name__ == "__main__":
    sys.exit(main())
