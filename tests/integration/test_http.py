"""The HTTP API (docs/api.md) against a real mosquitto and the real floortrackd
and floortrack binaries.

1. /api/v1/kpi equals `floortrack kpi --json` on the same database: all time,
   and a window whose +01:00 offset is sent unencoded (arrives as a space);
   ?by=product equals `kpi --by product --json`, ?by=bogus is 400 naming by.
2. /api/v1/orders/{id} equals `status --json`; /api/v1/orders equals
   `orders --json`; /api/v1/batches/{id} equals `batch --json`; unknown order
   and path 404; bad since and limit 400 naming the parameter.
3. /healthz: 200; 503 with a reason while the broker is down; 200 again.
4. A second daemon on the same HTTP port exits non-zero naming the address.
5. token_file set by a reload: 401 without the token, 200 with it, /healthz
   still open. A browser signs in once (token link or form) and holds an
   HttpOnly, SameSite=Strict cookie that opens the API; a page without it is
   sent to /login; a new token signs every browser out.
6. 50 stalled clients (half a request each, holding their connections) do
   not delay ingest: events published at a fixed rate (100/s for 3 s) are
   all stored, and the daemon's own commit-latency histogram shows every one
   of them committed within 1 s (a commit that waited for a stalled client
   would wait out its 5 s read timeout).
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import (Broker, Checks, Daemon, Publisher, Workdir, binary, cli_json,  # noqa: E402
                     free_port, wait_for)
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

T0 = datetime(2026, 10, 1, tzinfo=timezone.utc)


def ts(hours):
    return (T0 + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def ev(eid, order, stage, hours, **extra):
    body = {"event_id": eid, "order_id": order, "stage": stage, "ts": ts(hours)}
    body.update(extra)
    return json.dumps(body)


def shop():
    resin = {"type": "castable-resin", "used_g": 10, "scrap_g": 2}
    silver = {"type": "silver-925", "used_g": 20, "scrap_g": 1}
    return [
        ev("a1-c", "A1", "confirmed", 0, value=100, customer_id="c1", personalized=True,
           product="ring"),
        ev("a1-p", "A1", "printed", 2, material=resin, batch_id="plate-1"),
        ev("a1-cast", "A1", "cast", 5, material=silver),
        ev("a1-s", "A1", "shipped", 30),
        ev("a2-c", "A2", "confirmed", 9, value=300, customer_id="c1", product="ring"),
        ev("a2-q", "A2", "qc", 12, result="fail", defect="porosity"),
        ev("a2-s", "A2", "shipped", 40),
        ev("a3-c", "A3", "confirmed", 20, value=200, customer_id="c2", personalized=True,
           product="pendant"),
    ]


def get(port, path, token=None, timeout=10):
    """(status, parsed JSON body) of GET path."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read().decode())
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        try:
            return e.code, json.loads(body)
        except ValueError:
            return e.code, body


def raw(port, method, path, headers=None, body=None):
    """(status, headers dict with lower-case names, body text), no redirects followed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return (response.status, {k.lower(): v for k, v in response.getheaders()},
                response.read().decode())
    finally:
        conn.close()


def commit_buckets(port, token):
    """{le: cumulative count} of floortrack_commit_seconds."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", "/metrics", headers={"Authorization": f"Bearer {token}"})
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    for family in text_string_to_metric_families(text):
        if family.name == "floortrack_commit_seconds":
            return {s.labels["le"]: s.value for s in family.samples if s.name.endswith("_bucket")}
    raise AssertionError("no floortrack_commit_seconds in /metrics")


def main():
    checks = Checks()
    with Workdir("http") as tmp:
        broker = Broker(tmp).start()
        port = free_port()
        d = Daemon(tmp, broker.uri, http=f'listen = "127.0.0.1:{port}"\ntoken_file = ""')
        try:
            d.start()
            d.wait_log(f"http listening on 127.0.0.1:{port}", 10)
            events = shop()
            broker.publish_lines("floor/shop/event", events)
            wait_for(lambda: d.event_count() >= len(events), 20, "the shop's events stored")

            # 1. KPIs.
            status, body = get(port, "/api/v1/kpi")
            checks.eq("kpi all time: 200", status, 200)
            checks.eq("kpi all time equals `floortrack kpi --json`", body, cli_json(d, "kpi"))
            since, until = "2026-10-01T08:00:00+01:00", "2026-10-02T00:00:00+01:00"
            status, body = get(port, f"/api/v1/kpi?since={since}&until={until}")
            checks.eq("kpi window with an unencoded +01:00: 200", status, 200)
            checks.eq("kpi window equals `floortrack kpi --since --until --json`", body,
                      cli_json(d, "kpi", "--since", since, "--until", until))
            checks.eq("kpi window is the UTC instant", body.get("window", {}).get("since"),
                      "2026-10-01T07:00:00Z")
            status, encoded = get(port, f"/api/v1/kpi?since={since.replace('+', '%2B')}&until={until}")
            checks.eq("kpi window with %2B: the same", encoded, body)
            status, body = get(port, "/api/v1/kpi?by=product")
            checks.eq("kpi?by=product: 200", status, 200)
            checks.eq("kpi?by=product equals `floortrack kpi --by product --json`", body,
                      cli_json(d, "kpi", "--by", "product"))
            checks.eq("kpi?by=product: ring and pendant",
                      [g["value"] for g in body.get("by", {}).get("groups", [])], ["pendant", "ring"])
            status, body = get(port, "/api/v1/kpi?by=bogus")
            checks.eq("kpi?by=bogus: 400 naming by", (status, body.get("parameter")), (400, "by"))

            # 2. Orders, batches, errors.
            status, body = get(port, "/api/v1/orders/A1")
            checks.eq("orders/A1: 200", status, 200)
            checks.eq("orders/A1 equals `floortrack status A1 --json`", body, cli_json(d, "status", "A1"))
            status, body = get(port, "/api/v1/orders?open=0&since=2026-10-01&limit=10")
            cli_orders = cli_json(d, "orders", "--since", "2026-10-01", "--limit", "10")
            strip = lambda rows: [{k: v for k, v in r.items() if k != "age_hours"} for r in rows]  # noqa: E731
            checks.eq("orders: 200", status, 200)
            checks.eq("orders equals `floortrack orders --json` (open orders' age aside)",
                      strip(body), strip(cli_orders))
            status, body = get(port, "/api/v1/orders?open=1")
            checks.eq("orders?open=1: only A3", [o["order_id"] for o in body], ["A3"])
            status, body = get(port, "/api/v1/batches/plate-1")
            checks.eq("batches/plate-1 equals `floortrack batch --json`", (status, body),
                      (200, cli_json(d, "batch", "plate-1")))
            status, body = get(port, "/api/v1/rejects?limit=5")
            checks.eq("rejects equals `floortrack rejects --json`", (status, body),
                      (200, cli_json(d, "rejects", "--limit", "5")))
            status, body = get(port, "/api/v1/orders/NOPE")
            checks.eq("unknown order: 404", status, 404)
            checks.true("unknown order: the error names it", "NOPE" in body.get("error", ""), body)
            status, body = get(port, "/api/v1/batches/NOPE")
            checks.eq("unknown batch: 404", status, 404)
            status, body = get(port, "/api/v1/nothing")
            checks.eq("unknown path: 404 with a JSON error", (status, "error" in body), (404, True))
            status, body = get(port, "/api/v1/kpi?since=yesterday-ish")
            checks.eq("since=yesterday-ish: 400 naming since", (status, body.get("parameter")),
                      (400, "since"))
            status, body = get(port, "/api/v1/orders?limit=-1")
            checks.eq("limit=-1: 400 naming limit", (status, body.get("parameter")), (400, "limit"))
            status, body = get(port, "/api/v1/rejects?limit=x")
            checks.eq("rejects limit=x: 400 naming limit", (status, body.get("parameter")), (400, "limit"))

            # 3. Health.
            status, body = get(port, "/healthz")
            checks.eq("healthz: 200 ok", (status, body.get("status")), (200, "ok"))
            broker.stop()
            wait_for(lambda: get(port, "/healthz")[0] == 503, 20, "healthz 503 with the broker down")
            status, body = get(port, "/healthz")
            checks.eq("healthz with the broker down: unhealthy", body.get("status"), "unhealthy")
            checks.true("healthz with the broker down: a reason", len(body.get("problems", [])) > 0, body)
            broker.start()
            wait_for(lambda: get(port, "/healthz")[0] == 200, 30, "healthz 200 with the broker back")
            checks.true("healthz 200 again with the broker back", True)

            # 4. The port in use.
            other_dir = os.path.join(tmp, "other")
            os.makedirs(other_dir)
            other = Daemon(other_dir, broker.uri, client_id="floortrackd-other",
                           http=f'listen = "127.0.0.1:{port}"')
            with open(other.log_path, "wb") as log:
                try:
                    code = subprocess.run([binary("floortrackd"), "--config", other.config], stdout=log,
                                          stderr=subprocess.STDOUT, timeout=20).returncode
                except subprocess.TimeoutExpired:  # run() killed it
                    code = "still running after 20 s"
            checks.eq("a second daemon on the same port exits 3", code, 3)
            checks.true("naming the address", f"127.0.0.1:{port}" in other.log_text(), other.log_text())

            # 5. A bearer token, set by a reload.
            token_file = os.path.join(tmp, "api.token")
            with open(token_file, "w") as f:
                f.write("t0ken-for-tests\n")
            os.chmod(token_file, 0o600)
            with open(d.config) as f:
                config = f.read()
            with open(d.config, "w") as f:
                f.write(config.replace('token_file = ""', f'token_file = "{token_file}"'))
            reloads = d.log_text().count("reloaded")
            d.proc.send_signal(signal.SIGHUP)
            d.wait_log("reloaded", 10, count=reloads + 1)
            status, body = get(port, "/api/v1/kpi")
            checks.eq("with token_file: 401 without the token", status, 401)
            status, _ = get(port, "/api/v1/kpi", token="wrong")
            checks.eq("with token_file: 401 with a wrong token", status, 401)
            status, body = get(port, "/api/v1/kpi", token="t0ken-for-tests")
            checks.eq("with token_file: 200 with the token", status, 200)
            checks.eq("with the token: the same KPIs", body, cli_json(d, "kpi"))
            checks.eq("with token_file: /healthz needs no token", get(port, "/healthz")[0], 200)
            checks.true("the token is never logged", "t0ken-for-tests" not in d.log_text())

            # 5b. A browser signs in once and holds a cookie.
            status, _, page = raw(port, "GET", "/login")
            checks.eq("GET /login: the sign-in form", status, 200)
            checks.true("the form posts a token", 'name="token"' in page and 'method="post"' in page, page)
            status, headers, _ = raw(port, "GET", "/", headers={"Accept": "text/html"})
            checks.eq("a page without sign-in: 303", status, 303)
            checks.eq("to /login", headers.get("location"), "/login")
            status, headers, _ = raw(port, "GET", "/login?token=wrong")
            checks.eq("a token link with a wrong token: 401", status, 401)
            checks.true("and no cookie", "set-cookie" not in headers)
            status, headers, _ = raw(port, "GET", "/login?token=t0ken-for-tests")
            checks.eq("a token link: 303", status, 303)
            checks.eq("to the dashboard", headers.get("location"), "/")
            cookie = headers.get("set-cookie", "")
            checks.true("an HttpOnly, SameSite=Strict session cookie",
                        cookie.startswith("floortrack_session=") and "HttpOnly" in cookie
                        and "SameSite=Strict" in cookie, cookie)
            checks.true("the cookie is not the token", "t0ken-for-tests" not in cookie, cookie)
            session = cookie.split(";")[0]
            status, _, body = raw(port, "GET", "/api/v1/kpi", headers={"Cookie": session})
            checks.eq("the cookie opens the API", status, 200)
            checks.eq("with the cookie: the same KPIs", json.loads(body), cli_json(d, "kpi"))
            status, headers, _ = raw(port, "POST", "/login", body="token=t0ken-for-tests",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
            checks.eq("the form signs in too: 303", status, 303)
            checks.eq("with the same cookie", headers.get("set-cookie", "").split(";")[0], session)
            status, _, _ = raw(port, "GET", "/api/v1/kpi", headers={"Cookie": "floortrack_session=x"})
            checks.eq("a forged cookie: 401", status, 401)
            with open(token_file, "w") as f:
                f.write("n3w-t0ken-for-tests\n")
            reloads = d.log_text().count("reloaded")
            d.proc.send_signal(signal.SIGHUP)
            d.wait_log("reloaded", 10, count=reloads + 1)
            status, _, _ = raw(port, "GET", "/api/v1/kpi", headers={"Cookie": session})
            checks.eq("a new token signs the browser out: 401", status, 401)
            checks.true("no token is ever logged",
                        "t0ken-for-tests" not in d.log_text() and "n3w-t0ken" not in d.log_text())
            token = "n3w-t0ken-for-tests"

            # 6. Stalled clients do not delay ingest.
            buckets_before = commit_buckets(port, token)
            stalled = []
            for _ in range(50):
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                s.sendall(b"GET /api/v1/kpi HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                stalled.append(s)
            before = d.event_count()
            # 100 events/s for 3 s: 30 chunks of 10, 0.1 s apart.
            chunks = [[ev(f"load-{c}-{i}", f"L{c}-{i}", "confirmed", 50, value=10) for i in range(10)]
                      for c in range(30)]
            publisher = Publisher(broker, "floor/load/event", chunks, pause=0.1)
            publisher.start()
            publisher.join(60)
            checks.true("the publisher finished", publisher.error is None and publisher.sent == 300,
                        f"sent {publisher.sent}, error {publisher.error}")
            wait_for(lambda: d.event_count() >= before + 300, 10,
                     "300 events stored with 50 stalled clients")
            for s in stalled:
                s.close()
            def buckets_now():
                try:
                    return commit_buckets(port, token)
                except OSError:  # the stalled connections may still hold the workers
                    return None
            buckets = wait_for(buckets_now, 60, "/metrics after the stall")
            # A stalled client holds a worker for the 5 s read timeout: a
            # commit that waited for one would take seconds. 1 s separates
            # that from a busy machine's (or a sanitizer build's) slow commit.
            one_s = next(le for le in buckets if le != "+Inf" and float(le) == 1.0)
            fast = buckets[one_s] - buckets_before[one_s]
            total = buckets["+Inf"] - buckets_before["+Inf"]
            checks.eq("every message of the stream went through ingest", total, 300)
            checks.eq("each committed within 1 s while 50 HTTP clients stalled (each for 5 s)", fast, total)
            checks.eq("after the stalled clients: healthz 200",
                      wait_for(lambda: get(port, "/healthz", timeout=20)[0], 30, "healthz"), 200)
        finally:
            code = d.stop()
            checks.eq("floortrackd exits 0 on SIGTERM", code, 0)
            broker.stop()
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
