"""Day boundaries follow [shop] timezone (issue 12), against a real mosquitto
and the real floortrackd and floortrack binaries.

1. Europe/Berlin: `--since 2026-10-02` and ?since=2026-10-02 are local
   midnight (22:00Z the day before, CEST); an order shipped at 00:30 local on
   the 2nd (22:30Z on the 1st) counts on the 2nd, not the 1st; CLI and API
   agree.
2. `--since 1d` and ?since=1d are today's local midnight; 0d is refused by
   both; 24h stays a duration.
3. /api/v1/kpi/daily's last day is today's local date, and its days are the
   same as /api/v1/kpi over [local midnight, next local midnight).
4. A reload to America/New_York: the API (the daemon's zone) and the CLI
   (the recorded rules) both read 2026-10-02 as 04:00Z.
"""
import json
import os
import signal
import sys
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, free_port, wait_for  # noqa: E402

BERLIN = ZoneInfo("Europe/Berlin")


def ev(eid, order, stage, ts, **extra):
    body = {"event_id": eid, "order_id": order, "stage": stage, "ts": ts}
    body.update(extra)
    return json.dumps(body)


def get(port, path):
    """(status, parsed JSON body) of GET path."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, json.loads(response.read().decode())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode())


def utc_text(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_midnight(zone, when):
    day = when.astimezone(zone).date()
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def cli(d, *args):
    proc = d.cli(*args, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def main():
    checks = Checks()
    with Workdir("shop-days") as tmp:
        broker = Broker(tmp).start()
        port = free_port()
        d = Daemon(tmp, broker.uri, http=f'listen = "127.0.0.1:{port}"\ntoken_file = ""',
                   extra='\n[shop]\ntimezone = "Europe/Berlin"\n')
        try:
            d.start()
            d.wait_log(f"http listening on 127.0.0.1:{port}", 10)
            events = [
                ev("b1-c", "B1", "confirmed", "2026-10-01T08:00:00Z"),
                ev("b1-s", "B1", "shipped", "2026-10-01T22:30:00Z"),  # 00:30 on the 2nd, CEST
            ]
            broker.publish_lines("floor/shop/event", events)
            wait_for(lambda: d.event_count() >= len(events), 20, "events stored")

            # 1. A date is local midnight.
            code, out, err = cli(d, "kpi", "--since", "2026-10-02", "--until", "2026-10-03", "--json")
            checks.eq("kpi --since 2026-10-02: exit 0", (code, err), (0, ""))
            local_day = json.loads(out) if code == 0 else {}
            checks.eq("kpi --since 2026-10-02 is 22:00Z the day before (CEST)",
                      local_day.get("window"),
                      {"since": "2026-10-01T22:00:00Z", "until": "2026-10-02T22:00:00Z"})
            checks.eq("the order shipped at 00:30 local on the 2nd counts on the 2nd",
                      local_day.get("orders", {}).get("shipped"), 1)
            status, body = get(port, "/api/v1/kpi?since=2026-10-02&until=2026-10-03")
            checks.eq("?since=2026-10-02&until=2026-10-03 equals the CLI", (status, body),
                      (200, local_day))
            _, out, _ = cli(d, "kpi", "--since", "2026-10-01", "--until", "2026-10-02", "--json")
            checks.eq("and not on the 1st", json.loads(out)["orders"]["shipped"], 0)

            # 2. Day spans from today's local midnight; 0d refused; 24h a duration.
            before = datetime.now(timezone.utc)
            _, out, _ = cli(d, "kpi", "--since", "1d", "--json")
            status, body = get(port, "/api/v1/kpi?since=1d")
            after = datetime.now(timezone.utc)
            midnights = {utc_text(local_midnight(BERLIN, before)),
                         utc_text(local_midnight(BERLIN, after))}
            checks.true("kpi --since 1d: today's local midnight",
                        json.loads(out)["window"]["since"] in midnights, out)
            checks.true("?since=1d: today's local midnight",
                        status == 200 and body["window"]["since"] in midnights, body)
            _, out, _ = cli(d, "kpi", "--since", "7d", "--json")
            week = {utc_text(local_midnight(BERLIN, t - timedelta(days=6))) for t in (before, after)}
            checks.true("kpi --since 7d: local midnight 6 days before today",
                        json.loads(out)["window"]["since"] in week, out)
            code, _, err = cli(d, "kpi", "--since", "0d")
            checks.eq("kpi --since 0d: usage error", code, 2)
            status, body = get(port, "/api/v1/kpi?since=0d")
            checks.eq("?since=0d: 400 naming since", (status, body.get("parameter")), (400, "since"))
            _, out, _ = cli(d, "kpi", "--since", "24h", "--json")
            since = datetime.strptime(json.loads(out)["window"]["since"][:19], "%Y-%m-%dT%H:%M:%S")
            since = since.replace(tzinfo=timezone.utc)
            checks.true("kpi --since 24h: 24 hours back from now",
                        before - timedelta(hours=24, seconds=2) <= since
                        <= datetime.now(timezone.utc) - timedelta(hours=24) + timedelta(seconds=1),
                        out)

            # 3. The daily series: local days, labelled by local date.
            today = {t.astimezone(BERLIN).date().isoformat() for t in (before, after)}
            status, daily = get(port, "/api/v1/kpi/daily?days=2")
            checks.eq("kpi/daily?days=2: 200, 2 days", (status, len(daily.get("series", []))), (200, 2))
            last = daily["series"][-1]["date"] if daily.get("series") else None
            checks.true("kpi/daily: the last day is today's local date", last in today, last)
            if last:
                first = daily["series"][0]
                start = datetime.strptime(first["date"], "%Y-%m-%d").replace(tzinfo=BERLIN)
                end = (start + timedelta(days=1)).replace(tzinfo=BERLIN)
                status, kpi = get(port, f"/api/v1/kpi?since={utc_text(start)}&until={utc_text(end)}")
                checks.eq("kpi/daily's first day = /api/v1/kpi over its local midnights",
                          first["shipped"], kpi.get("orders", {}).get("shipped"))

            # 4. Reload to New York: API and CLI follow.
            with open(d.config) as f:
                text = f.read()
            with open(d.config, "w") as f:
                f.write(text.replace('"Europe/Berlin"', '"America/New_York"'))
            reloads = d.log_text().count("reloaded")
            d.proc.send_signal(signal.SIGHUP)
            d.wait_log("reloaded", 10, count=reloads + 1)
            status, body = get(port, "/api/v1/kpi?since=2026-10-02")
            checks.eq("after a reload to New York: ?since=2026-10-02 is 04:00Z",
                      (status, body.get("window", {}).get("since")), (200, "2026-10-02T04:00:00Z"))
            _, out, _ = cli(d, "kpi", "--since", "2026-10-02", "--json")
            checks.eq("and so is kpi --since 2026-10-02 (the recorded rules)",
                      json.loads(out)["window"]["since"], "2026-10-02T04:00:00Z")
        finally:
            d.stop()
            broker.stop()
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
