"""End to end: a shop whose devices speak their own formats, through a real
mosquitto, the real floortrackd and the real floortrack CLI (issue 10).

- Three orders are confirmed (canonical events).
- OctoPrint prints build plate PLATE-1 holding all three (the job's file name
  names the plate and the orders): print_started and printed for each.
- The casting tree TREE-1 takes A10001 (2 g of resin) and A10002 (6 g): 80 g
  of silver melted, 20 g sprue and button, 18 g of it recovered; A10003 is
  cast alone: 10 g used, 2 g scrap, 1 g recovered.
- Benches scan bare codes: the polish bench scans TREE-1 (both its orders)
  and A10003; A10001 goes polish, qc, polish, qc (a rework loop); a misread
  "A1OOO1" is rejected without creating an order.
Checked against hand-computed values: each order's timeline and batches,
`floortrack batch`, and the material KPIs.
"""
import json
import os
import sys
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, cli_json, wait_for  # noqa: E402

T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1)

SOURCES = """
[[source]]
topics = ["octoPrint/#"]
format = "octoprint"
station = "octo-1"
orders_from_job = "A[0-9]{5}"
batch_from_job = "PLATE-[0-9]+"
material = "castable-resin"

[[source]]
topics = ["floor/+/+/scan"]
format = "scan"
stage = "polished"
station = "{3}"
debounce_s = 0

[[source]]
topics = ["qc/+/scan"]
format = "scan"
stage = "qc"
station = "{2}"
debounce_s = 0
"""


def iso(hours):
    return (T0 + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def unix(hours):
    return (T0 + timedelta(hours=hours)).timestamp()


def stages(d, order):
    return [e["stage"] for e in cli_json(d, "status", order)["timeline"]]


def main():
    checks = Checks()
    with Workdir("devices") as tmp:
        broker = Broker(tmp).start()
        d = Daemon(tmp, broker.uri, extra=SOURCES,
                   prices={"silver-925": 0.9, "castable-resin": 0.3})
        try:
            d.start()
            for i, order in enumerate(["A10001", "A10002", "A10003"]):
                broker.publish("floor/orders/event", json.dumps(
                    {"event_id": f"{order}-c", "order_id": order, "stage": "confirmed", "ts": iso(0),
                     "value": 100 * (i + 1), "currency": "EUR"}))
            job = "PLATE-1_A10001_A10002_A10003.gcode"
            broker.publish("octoPrint/event/PrintStarted", json.dumps(
                {"name": job, "path": job, "origin": "local", "_event": "PrintStarted",
                 "_timestamp": unix(1)}))
            broker.publish("octoPrint/progress/printing", json.dumps({"progress": 50, "path": job}))
            broker.publish("octoPrint/event/PrintDone", json.dumps(
                {"name": job, "path": job, "time": 3600, "_event": "PrintDone", "_timestamp": unix(2)}))
            broker.publish("floor/casting/event", json.dumps(
                {"event_id": "tree-1-cast", "batch_id": "TREE-1", "stage": "cast", "ts": iso(5),
                 "station": "caster-1",
                 "orders": [{"order_id": "A10001", "weight_g": 2}, {"order_id": "A10002", "weight_g": 6}],
                 "material": {"type": "silver-925", "used_g": 80, "scrap_g": 20, "recovered_g": 18}}))
            broker.publish("floor/casting/event", json.dumps(
                {"event_id": "a3-cast", "order_id": "A10003", "stage": "cast", "ts": iso(5),
                 "material": {"type": "silver-925", "used_g": 10, "scrap_g": 2, "recovered_g": 1}}))
            wait_for(lambda: d.event_count() >= 3 + 6 + 3, 20, "orders, plate and casts stored")
            scans = [("floor/polish/bench-1/scan", "TREE-1\r\n"),
                     ("floor/polish/bench-1/scan", "A10003\n"),
                     ("qc/bench-2/scan", "A10001"),
                     ("floor/polish/bench-1/scan", "A10001"),
                     ("qc/bench-2/scan", "A10001"),
                     ("floor/polish/bench-1/scan", "A1OOO1")]
            for topic, code in scans:
                broker.publish(topic, code)
                time.sleep(0.05)  # distinct receive times: bare scans carry no ts
            wait_for(lambda: d.event_count() >= 12 + 2 + 1 + 3, 20, "scans stored")
            wait_for(lambda: d.reject_count() >= 1, 20, "the misread rejected")

            checks.eq("A10001 timeline", stages(d, "A10001"),
                      ["confirmed", "print_started", "printed", "cast", "polished", "qc", "polished", "qc"])
            checks.eq("A10002 timeline", stages(d, "A10002"),
                      ["confirmed", "print_started", "printed", "cast", "polished"])
            checks.eq("A10003 timeline", stages(d, "A10003"),
                      ["confirmed", "print_started", "printed", "cast", "polished"])
            status = cli_json(d, "status", "A10001")
            checks.eq("A10001 batches", status["batches"], ["PLATE-1", "TREE-1"])
            cast = [e for e in status["timeline"] if e["stage"] == "cast"][0]
            checks.eq("A10001's cast carries the tree", cast.get("batch_id"), "TREE-1")
            checks.near("A10001's share of the silver (2 of 8 g)", cast["material"]["used_g"], 20.0)
            checks.near("A10001's share recovered", cast["material"]["recovered_g"], 4.5)
            printed = [e for e in status["timeline"] if e["stage"] == "printed"][0]
            checks.eq("printed by octo-1", printed["station"], "octo-1")
            checks.eq("printed passed", printed["result"], "pass")

            tree = cli_json(d, "batch", "TREE-1")
            checks.eq("tree orders", [o["order_id"] for o in tree["orders"]], ["A10001", "A10002"])
            checks.eq("tree weights", [o["weight_g"] for o in tree["orders"]], [2.0, 6.0])
            checks.eq("tree events", [e["stage"] for e in tree["events"]], ["cast", "polished"])
            checks.near("tree metal melted", tree["events"][0]["material"]["used_g"], 80.0)
            plate = cli_json(d, "batch", "PLATE-1")
            checks.eq("plate orders", len(plate["orders"]), 3)
            checks.eq("plate events", [e["stage"] for e in plate["events"]], ["print_started", "printed"])

            k = cli_json(d, "kpi")
            silver = k["materials"]["silver-925"]
            checks.near("silver used", silver["used_g"], 90.0)
            checks.near("silver scrap", silver["scrap_g"], 22.0)
            checks.near("silver recovered", silver["recovered_g"], 19.0)
            checks.near("silver yield: (90 - 22) / 90", silver["yield_pct"], 100 * 68 / 90)
            checks.near("silver loss: (22 - 19) / 90", silver["loss_pct"], 100 * 3 / 90)
            checks.near("material_loss_pct", k["material_loss_pct"], 100 * 3 / 90)
            checks.near("silver cost: 90 g at 0.9", silver["cost"], 81.0)

            rejects = cli_json(d, "rejects")["rejects"]
            checks.true("misread rejected with its code",
                        any("unknown order or batch 'A1OOO1'" in r["reason"] for r in rejects),
                        json.dumps(rejects)[:500])
            checks.true("no phantom order", d.cli("status", "A1OOO1", check=False).returncode == 1)
        finally:
            code = d.stop()
            broker.stop()
        checks.eq("SIGTERM exits 0", code, 0)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
