"""Stage dwell and flow, and the CSV export, against a real mosquitto and the
real floortrackd and floortrack binaries (docs/kpi.md "Flow", docs/cli.md).

A scenario whose flow is worked out by hand (window [T0, T0+100h), so WIP is
measured as of T0+100h whatever the clock says):
1. `floortrack flow --json` gives the hand-computed dwell counts, p50/p90/max,
   WIP and bottlenecks; `--by station` splits them; the table prints.
2. GET /api/v1/flow equals the CLI's JSON (also by=station); bad since and
   by are 400 naming the parameter.
3. `floortrack export events|orders|flow` parsed back with Python's csv
   module: header rows, row counts, CRLF line ends, a field with a comma and a
   quote round-trips; --csv FILE writes the same bytes and leaves no temp file.
"""
import csv
import io
import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import (Broker, Checks, Daemon, Workdir, binary, cli_json, free_port,  # noqa: E402
                     wait_for)

T0 = datetime(2026, 10, 1, tzinfo=timezone.utc)
PRODUCT = 'Ring, "Aurora"'


def ts(hours):
    return (T0 + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def ev(eid, order, stage, hours, station, **extra):
    body = {"event_id": eid, "order_id": order, "stage": stage, "ts": ts(hours),
            "station": station}
    body.update(extra)
    return json.dumps(body)


def scenario():
    return [
        # F1: printed -> failed QC -> polished (scanned twice) -> qc -> shipped.
        ev("f1-1", "F1", "confirmed", 0, "web", value=120, product=PRODUCT),
        ev("f1-2", "F1", "print_started", 1, "p1"),
        ev("f1-3", "F1", "printed", 5, "p1"),
        ev("f1-4", "F1", "qc", 6, "bench-q", result="fail", defect="porosity"),
        ev("f1-5", "F1", "polished", 8, "bench-1"),
        ev("f1-6", "F1", "polished", 9, "bench-1"),
        ev("f1-7", "F1", "qc", 10, "bench-q", result="pass"),
        ev("f1-8", "F1", "packed", 11, "pack"),
        ev("f1-9", "F1", "shipped", 12, "pack"),
        # F2: waiting in printed since 4 h; its packing at 150 h is after the window.
        ev("f2-1", "F2", "confirmed", 2, "web"),
        ev("f2-2", "F2", "print_started", 3, "p2"),
        ev("f2-3", "F2", "printed", 4, "p2"),
        ev("f2-4", "F2", "packed", 150, "pack"),
        # F3: confirmed before the window, left it inside (8 h); waiting since 3 h.
        ev("f3-1", "F3", "confirmed", -5, "web"),
        ev("f3-2", "F3", "print_started", 3, "p1"),
    ]


# (count, p50, p90, max, wip_count, wip_oldest, wip_order_hours), as of T0+100h.
EXPECTED = {
    "confirmed": (3, 1, 8, 8, 0, None, 0),        # F1 1, F2 1, F3 8
    "print_started": (2, 1, 4, 4, 1, 97, 97),     # F1 4, F2 1; F3 waiting 3 -> 100
    "printed": (1, 1, 1, 1, 1, 96, 96),           # F1 1; F2 waiting 4 -> 100
    "cast": (0, None, None, None, 0, None, 0),
    "polished": (1, 2, 2, 2, 0, None, 0),          # 8 -> 10 (the scan at 9 is the same stay)
    "stone_set": (0, None, None, None, 0, None, 0),
    "qc": (2, 1, 2, 2, 0, None, 0),                # 6 -> 8 (failed), 10 -> 11
    "packed": (1, 1, 1, 1, 0, None, 0),
}


def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status, json.loads(r.read().decode())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode())


def export(d, *args):
    """`floortrack export ...`'s standard output, bytes decoded with line ends kept."""
    proc = subprocess.run([binary("floortrack"), "--db", d.db, "export", *args],
                          capture_output=True, timeout=60, check=True)
    return proc.stdout.decode()


def rows(text):
    return list(csv.reader(io.StringIO(text, newline="")))


def main():
    checks = Checks()
    since, until = ts(0), ts(100)
    window = ["--since", since, "--until", until]
    with Workdir("flow") as tmp:
        broker = Broker(tmp).start()
        port = free_port()
        d = Daemon(tmp, broker.uri, http=f'listen = "127.0.0.1:{port}"\ntoken_file = ""')
        try:
            d.start()
            d.wait_log(f"http listening on 127.0.0.1:{port}", 10)
            events = scenario()
            broker.publish_lines("floor/shop/event", events)
            wait_for(lambda: d.event_count() >= len(events), 20, "the scenario's events stored")

            # 1. The CLI's flow.
            flow = cli_json(d, "flow", *window)
            checks.eq("window", flow["window"], {"since": "2026-10-01T00:00:00Z",
                                                 "until": "2026-10-05T04:00:00Z"})
            checks.eq("as_of is until", flow["as_of"], "2026-10-05T04:00:00Z")
            checks.eq("stages in process order", [s["stage"] for s in flow["stages"]],
                      list(EXPECTED))
            for s in flow["stages"]:
                got = (s["count"], s["p50_hours"], s["p90_hours"], s["max_hours"],
                       s["wip_count"], s["wip_oldest_hours"], s["wip_order_hours"])
                checks.eq(f"flow {s['stage']}", got, EXPECTED[s["stage"]])
            checks.eq("bottleneck", flow["bottleneck"], {"wip": "print_started", "p90": "confirmed"})
            checks.true("no by_station unless asked", "by_station" not in flow)
            by = cli_json(d, "flow", *window, "--by", "station")
            split = {(r["stage"], r["station"]): r for r in by["by_station"]}
            checks.eq("printed at p2: F2 waiting", (split[("printed", "p2")]["count"],
                                                    split[("printed", "p2")]["wip_order_hours"]),
                      (0, 96))
            checks.eq("qc at bench-q: both stays", split[("qc", "bench-q")]["count"], 2)
            checks.eq("by station keeps the stage rows", by["stages"], flow["stages"])
            table = d.cli("flow", *window).stdout
            checks.true("table names the bottleneck", "print_started" in table and
                        "bottleneck" in table, table)
            bad = d.cli("flow", "--by", "printer", check=False)
            checks.eq("--by printer: usage error", bad.returncode, 2)

            # 2. The API serves the same JSON.
            query = urllib.parse.urlencode({"since": since, "until": until})
            status, body = get(port, f"/api/v1/flow?{query}")
            checks.eq("/api/v1/flow status", status, 200)
            checks.eq("/api/v1/flow equals flow --json", body, flow)
            status, body = get(port, f"/api/v1/flow?{query}&by=station")
            checks.eq("/api/v1/flow?by=station equals --by station", body, by)
            status, body = get(port, "/api/v1/flow?since=yesterday")
            checks.eq("bad since: 400 naming it", (status, body.get("parameter")), (400, "since"))
            status, body = get(port, "/api/v1/flow?by=printer")
            checks.eq("bad by: 400 naming it", (status, body.get("parameter")), (400, "by"))

            # 3. CSV export.
            out = export(d, "events", *window)
            checks.true("rows end with CRLF", out.endswith("\r\n") and out.count("\r\n") == 14)
            ev_rows = rows(out)
            checks.eq("events header", ev_rows[0][:4], ["event_key", "order_id", "stage",
                                                        "stage_time"])
            checks.eq("events in the window", len(ev_rows) - 1, 13)
            header = ev_rows[0]
            f1 = [dict(zip(header, r)) for r in ev_rows[1:] if r[0] == "f1-1"][0]
            checks.eq("product with a comma and a quote round-trips", f1["product"], PRODUCT)
            checks.eq("stage_time UTC", f1["stage_time"], "2026-10-01T00:00:00Z")

            ord_rows = rows(export(d, "orders", *window))
            checks.eq("orders header", ord_rows[0][:3], ["order_id", "confirmed_at", "shipped_at"])
            checks.eq("orders confirmed or shipped in the window",
                      sorted(r[0] for r in ord_rows[1:]), ["F1", "F2"])
            o1 = dict(zip(ord_rows[0], [r for r in ord_rows[1:] if r[0] == "F1"][0]))
            checks.eq("order product round-trips", o1["product"], PRODUCT)

            flow_rows = rows(export(d, "flow", *window))
            checks.eq("flow header", flow_rows[0],
                      ["order_id", "stage", "station", "entered_at", "left_at", "hours"])
            checks.eq("dwells ending in the window", len(flow_rows) - 1, 10)
            per_stage = {}
            for r in flow_rows[1:]:
                per_stage[r[1]] = per_stage.get(r[1], 0) + 1
            checks.eq("dwells per stage agree with flow",
                      per_stage, {s: e[0] for s, e in EXPECTED.items() if e[0]})
            f3 = [r for r in flow_rows[1:] if r[0] == "F3"]
            checks.eq("F3's straddling dwell", f3, [["F3", "confirmed", "web",
                                                     "2026-09-30T19:00:00Z",
                                                     "2026-10-01T03:00:00Z", "8"]])

            target = os.path.join(tmp, "out", "events.csv")
            os.makedirs(os.path.dirname(target))
            d.cli("export", "events", *window, "--csv", target)
            with open(target, newline="") as f:
                checks.eq("--csv FILE has the same bytes", f.read(), out)
            checks.eq("no temp file left", os.listdir(os.path.dirname(target)), ["events.csv"])
            missing = d.cli("export", "events", "--csv", os.path.join(tmp, "nodir", "x.csv"),
                            check=False)
            checks.eq("unwritable --csv fails", missing.returncode, 1)
        finally:
            d.stop()
            broker.stop()
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
