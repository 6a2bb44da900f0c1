"""The shop KPIs of extra kinds (issue 12 item 5, docs/kpi.md) against a real
mosquitto and the real floortrackd and floortrack binaries.

A shop whose figures are known in advance (hours relative to now, negative =
ago); the window is `--since 100h` (relative hours are plain durations):

  customers: c1 ordered at -200 h (before the window) and again (K2, -50 h):
  returning; c2 ordered at -150 h only: at the start, not returning; c3 is
  new (K4, -40 h). retention_pct = 1 of 2 = 50.

  K1 (c1, -200 h; items 2): packed -90, shipped -80; review -70 and feedback
  9 at -60: engaged. K2 (c1, -50 h; items 1): polished by ann -45 (1 piece),
  packed -30, shipped -20; feedback 6 at -10. K3 (c2, -150 h): never shipped.
  K4 (c3, -40 h; items 3): polished by ann -35 (3 pieces), a failed qc by bob
  -34 (no piece), polished by bob -33 (3 pieces) then voided; packed -25.

  engagement_pct: shipped in the window K1, K2, K1 engaged: 50.
  design_conversion_pct: confirmed in the window K2 (shipped), K4 (not yet):
  50, designs_submitted 2.
  production_hours: packed in the window K1 (110 h, 2 items), K2 (20 h, 1),
  K4 (15 h, 3): (110 + 20 + 15) / 6 = 24.1667.
  csi: 9 and 6 in the window: 7.5 from 2 responses.
  labor: ann's shift -50 .. -42 (8 h) and -36 .. -32 (4 h): 12 h, 4 pieces;
  bob -35 .. -31: 4 h, 0 pieces (the fail does not count; the piece is
  voided). Shop: 4 pieces / 16 h = 0.25.

Also: a shift event with an order_id, a feedback without a score and an
undeclared kind are rejected with clear reasons; `floortrack status K1`
shows the extra kinds in the timeline with K1 still in production stage
shipped; the same figures come from GET /api/v1/kpi and /metrics; the CSV
export of events carries the shift events.
"""
import csv
import io
import json
import os
import sys
import urllib.request
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, cli_json, free_port, wait_for  # noqa: E402

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def at(hours):
    return (NOW + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def ev(eid, stage, hours, order=None, **extra):
    body = {"event_id": eid, "stage": stage, "ts": at(hours)}
    if order:
        body["order_id"] = order
    body.update(extra)
    return json.dumps(body)


def shop():
    return [
        ev("k1-c", "confirmed", -200, "K1", customer_id="c1", items=2),
        ev("k1-k", "packed", -90, "K1"),
        ev("k1-s", "shipped", -80, "K1"),
        ev("k1-r", "review", -70, "K1"),
        ev("k1-f", "feedback", -60, "K1", score=9),
        ev("k2-c", "confirmed", -50, "K2", customer_id="c1", items=1),
        ev("k2-o", "polished", -45, "K2", operator="ann"),
        ev("k2-k", "packed", -30, "K2"),
        ev("k2-s", "shipped", -20, "K2"),
        ev("k2-f", "feedback", -10, "K2", score=6),
        ev("k3-c", "confirmed", -150, "K3", customer_id="c2"),
        ev("k4-c", "confirmed", -40, "K4", customer_id="c3", items=3),
        ev("k4-o", "polished", -35, "K4", operator="ann"),
        ev("k4-q", "qc", -34, "K4", operator="bob", result="fail", defect="porosity"),
        ev("k4-o2", "polished", -33, "K4", operator="bob"),
        ev("k4-v", "void", -32.5, "K4", voids="k4-o2", reason="scanned the wrong bag"),
        ev("k4-k", "packed", -25, "K4"),
        ev("ann-1", "shift_start", -50, operator="ann", station="polish-1"),
        ev("ann-2", "shift_end", -42, operator="ann", station="polish-1"),
        ev("ann-3", "shift_start", -36, operator="ann", station="polish-1"),
        ev("ann-4", "shift_end", -32, operator="ann", station="polish-1"),
        ev("bob-1", "shift_start", -35, operator="bob", station="qc-1"),
        ev("bob-2", "shift_end", -31, operator="bob", station="qc-1"),
    ]


BAD = [
    (ev("bad-1", "shift_start", -5, "K1", operator="ann"),
     "stage 'shift_start' is a shift event: no 'order_id' or 'batch_id'"),
    (ev("bad-2", "feedback", -5, "K1"), "field 'score' is missing (stage \"feedback\")"),
    (ev("bad-3", "feedback", -5, "K1", score=11), "field 'score' must be a number from 1 to 10"),
    (ev("bad-4", "photo_sent", -5, "K1"), "field 'stage' is not a known stage: 'photo_sent'"),
    (ev("bad-5", "confirmed", -5, "K9", items=1.5),
     "field 'items' must be a whole number from 1 to 10000"),
]


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return response.status, response.read().decode()


def main():
    checks = Checks()
    with Workdir("shop-kpis") as tmp:
        broker = Broker(tmp).start()
        port = free_port()
        try:
            d = Daemon(tmp, broker.uri, http=f'listen = "127.0.0.1:{port}"\ntoken_file = ""')
            d.start()
            events = shop()
            broker.publish_lines("floor/shop/event", events + [b for b, _ in BAD])
            wait_for(lambda: d.event_count() >= len(events) and d.reject_count() >= len(BAD), 20,
                     "the shop's events stored and the bad ones rejected")
            checks.eq("every good event stored", d.event_count(), len(events))
            rejects = cli_json(d, "rejects")
            reasons = sorted(r["reason"] for r in rejects.get("rejects", rejects)
                             if isinstance(r, dict))
            for _, reason in BAD:
                checks.true(f"rejected: {reason}", any(reason in r for r in reasons), reasons)

            kpi = cli_json(d, "kpi", "--since", "100h")
            checks.near("retention_pct", kpi["retention_pct"], 50)
            checks.eq("retention counts", kpi["retention"],
                      {"customers_at_start": 2, "returning": 1})
            checks.near("engagement_pct", kpi["engagement_pct"], 50)
            checks.near("design_conversion_pct", kpi["design_conversion_pct"], 50)
            checks.eq("designs_submitted", kpi["designs_submitted"], 2)
            checks.near("production_hours", kpi["production_hours"], 145 / 6, 1e-3)
            checks.eq("production_orders", kpi["production_orders"], 3)
            checks.near("csi", kpi["csi"], 7.5)
            checks.eq("csi_responses", kpi["csi_responses"], 2)
            labor = kpi["labor"]
            checks.near("ann's staff hours", labor["by_operator"]["ann"]["staff_hours"], 12, 1e-3)
            checks.near("ann's pieces", labor["by_operator"]["ann"]["pieces"], 4)
            checks.near("ann's rate", labor["by_operator"]["ann"]["pieces_per_hour"], 4 / 12, 1e-4)
            checks.near("bob's pieces (fail and voided don't count)",
                        labor["by_operator"]["bob"]["pieces"], 0)
            checks.near("shop labor_pieces_per_hour", kpi["labor_pieces_per_hour"], 0.25, 1e-4)
            checks.eq("retention needs a start", cli_json(d, "kpi")["retention_pct"], None)
            table = d.cli("kpi", "--since", "100h").stdout
            checks.true("the table shows csi and labor",
                        "satisfaction (csi)" in table and "ann" in table, table)

            k1 = cli_json(d, "status", "K1")
            stages = [e["stage"] for e in k1["timeline"]]
            checks.eq("K1's timeline keeps review and feedback",
                      stages, ["confirmed", "packed", "shipped", "review", "feedback"])

            status, body = get(port, "/api/v1/kpi?since=100h")
            api = json.loads(body)
            checks.eq("/api/v1/kpi 200", status, 200)
            for key in ("retention_pct", "engagement_pct", "design_conversion_pct",
                        "production_hours", "csi", "csi_responses", "labor"):
                checks.eq(f"/api/v1/kpi {key} equals the CLI", api.get(key), kpi[key])
            status, metrics = get(port, "/metrics")
            checks.true("/metrics has csi (all time)",
                        'floortrack_kpi{kpi="csi",window="all_time"} 7.5' in metrics,
                        [line for line in metrics.splitlines() if "csi" in line])

            export = d.cli("export", "events").stdout
            rows = list(csv.DictReader(io.StringIO(export, newline="")))
            shifts = [r for r in rows if r["stage"] in ("shift_start", "shift_end")]
            checks.eq("export carries the six shift events", len(shifts), 6)
            checks.true("shift events have no order", all(r["order_id"] == "" for r in shifts))
            d.stop()
        finally:
            broker.stop()
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
