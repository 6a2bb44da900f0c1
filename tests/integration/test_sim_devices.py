"""End to end: the simulator's device day (floortrack-sim --devices, issue 10)
through a real mosquitto into the real floortrackd, read back with the real
floortrack CLI.

floortrackd gets the [[source]]s `floortrack-sim --devices --print-config`
prints. A seeded day of 20 orders is published: confirmations, casting trees
and shipping as canonical events; build plates printed by an OctoPrint, a
Moonraker and an SDCP printer in their own formats (seed 183 has a failed
print and a reprint on each); bench scans with QC rework loops and misreads.
Checked against the simulator's summary:
- the events stored, stage by stage: every print start and end of every
  plate for each order on it, every tree member, every scan;
- every order the summary says shipped is shipped;
- the misreads, and nothing else the devices sent, are rejected ("unknown
  order or batch");
- `floortrack batch` of each plate lists its orders and its prints, of each
  tree its orders with their weights;
- `kpi --json`: silver-925 melted, scrapped and recovered as the trees say.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, binary, cli_json, query, wait_for  # noqa: E402

SEED = 183
ORDERS = 20


def sim(*args):
    return subprocess.run([binary("floortrack-sim"), *args], capture_output=True, text=True,
                          timeout=120, check=True)


def stage_counts(db):
    rows = query(db, "SELECT stage, count(*) FROM events GROUP BY stage") or []
    return dict(rows)


def expected_stage_counts(s):
    """Events per stage the day must leave: a batch event is one per order."""
    want = {"confirmed": s["stages"].get("confirmed", 0)}
    # Canonical as published: shipping, returns and the extra kinds
    # (feedback after delivery, the operators' shifts).
    for stage in ("shipped", "returned", "feedback", "review", "share", "referral", "shift_start",
                  "shift_end"):
        if s["stages"].get(stage):
            want[stage] = s["stages"][stage]
    started = sum(p["prints"] * len(p["orders"]) for p in s["plates"])
    ended = sum((p["failed"] + p["printed"]) * len(p["orders"]) for p in s["plates"])
    want["print_started"] = started
    want["printed"] = ended
    want["cast"] = sum(len(t["orders"]) for t in s["trees"])
    for stage, n in s["scans"]["by_stage"].items():
        want[stage] = want.get(stage, 0) + n
    return {k: v for k, v in want.items() if v}


def main():
    checks = Checks()
    with Workdir("sim-devices") as tmp:
        sources = sim("--devices", "--print-config").stdout
        broker = Broker(tmp).start()
        d = Daemon(tmp, broker.uri, extra=sources,
                   prices={"castable-resin": 0.30, "silver-925": 0.90})
        try:
            d.start()
            summary_path = os.path.join(tmp, "sim.json")
            sim("--uri", broker.uri, "--devices", "--orders", str(ORDERS), "--days", "1",
                "--seed", str(SEED), "--summary-json", summary_path, "--quiet")
            with open(summary_path) as f:
                s = json.load(f)

            # What the seeded day holds, so the checks below mean something.
            formats = {p["format"] for p in s["plates"]}
            failed = {p["format"] for p in s["plates"] if p["failed"]}
            checks.eq("orders", s["orders"], ORDERS)
            checks.eq("plates printed by all three printers", formats, {"octoprint", "moonraker", "sdcp"})
            checks.eq("a failed print on each printer", failed, {"octoprint", "moonraker", "sdcp"})
            checks.true("plates of 2-5 orders", all(2 <= len(p["orders"]) <= 5 for p in s["plates"]),
                        json.dumps(s["plates"]))
            checks.true("every failed plate printed again",
                        all(p["prints"] == p["failed"] + 1 for p in s["plates"] if p["printed"]),
                        json.dumps(s["plates"]))
            checks.true("trees cast", len(s["trees"]) >= 2, json.dumps(s["trees"]))
            checks.true("QC reworks", s["scans"]["qc_reworks"] >= 1, json.dumps(s["scans"]))
            checks.true("misreads", len(s["misreads"]) >= 1, json.dumps(s["misreads"]))
            checks.true("orders shipped", len(s["shipped_order_ids"]) >= 10, s["shipped_order_ids"])

            want = expected_stage_counts(s)
            want_rejects = len(s["misreads"]) + s["garbage"]["total"]
            try:
                wait_for(lambda: stage_counts(d.db) == want and d.reject_count() >= want_rejects,
                         60, "the device day stored")
            except AssertionError:
                pass  # reported by the checks below
            checks.eq("events per stage", stage_counts(d.db), want)

            orders = {o["order_id"]: o for o in cli_json(d, "orders")}
            not_shipped = [o for o in s["shipped_order_ids"] if not (orders.get(o) or {}).get("shipped_at")]
            checks.eq("every order the simulator shipped is shipped", not_shipped, [])
            checks.eq("orders known", sorted(orders), sorted(s["order_ids"]))

            rejects = cli_json(d, "rejects", "--limit", "1000")
            reasons = [r["reason"] for r in rejects["rejects"]]
            for code in s["misreads"]:
                checks.true(f"misread {code} rejected",
                            f"unknown order or batch '{code}'" in reasons, json.dumps(reasons))
            checks.eq("rejects: the misreads and the garbage, nothing the devices sent",
                      rejects["total"], want_rejects)
            checks.eq("no phantom order from a misread",
                      [c for c in s["misreads"] if c in orders], [])

            for p in s["plates"]:
                b = cli_json(d, "batch", p["batch_id"])
                stages = [e["stage"] for e in b["events"]]
                checks.eq(f"{p['batch_id']} orders", sorted(o["order_id"] for o in b["orders"]),
                          sorted(p["orders"]))
                checks.eq(f"{p['batch_id']} prints on {p['printer']}",
                          (stages.count("print_started"), stages.count("printed")),
                          (p["prints"], p["failed"] + p["printed"]))
                checks.eq(f"{p['batch_id']} failed prints",
                          sum(1 for e in b["events"] if e["stage"] == "printed" and e["result"] == "fail"),
                          p["failed"])
                checks.eq(f"{p['batch_id']} station", {e["station"] for e in b["events"]}, {p["printer"]})

            for t in s["trees"]:
                b = cli_json(d, "batch", t["batch_id"])
                checks.eq(f"{t['batch_id']} orders and weights",
                          sorted((o["order_id"], o["weight_g"]) for o in b["orders"]),
                          sorted((o["order_id"], o["weight_g"]) for o in t["orders"]))
                checks.near(f"{t['batch_id']} silver melted", b["events"][0]["material"]["used_g"],
                            t["material"]["used_g"])

            silver = cli_json(d, "kpi")["materials"].get("silver-925") or {}
            for key in ("used_g", "scrap_g", "recovered_g"):
                checks.near(f"silver {key}", silver.get(key),
                            sum(t["material"][key] for t in s["trees"]), 1e-6)
            checks.true("silver recovered", (silver.get("recovered_g") or 0) > 0, json.dumps(silver))
        finally:
            code = d.stop()
            broker.stop()
        checks.eq("SIGTERM exits 0", code, 0)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
