"""End to end: real mosquitto, real floortrackd, real floortrack CLI.

1. A hand-computed shop day: five orders with duplicates, out-of-order
   arrival, garbage and a future timestamp; every KPI checked against numbers
   worked out by hand in the comments below.
2. A month of generated events (with duplicates, shuffled order and garbage)
   whose KPIs are recomputed here, independently of core/, from the events.
"""
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, cli_json, wait_for  # noqa: E402

T0 = datetime(2026, 10, 1, tzinfo=timezone.utc)


def ts(hours):
    return (T0 + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def ev(eid, order, stage, hours, **extra):
    body = {"event_id": eid, "order_id": order, "stage": stage, "ts": ts(hours)}
    body.update(extra)
    return json.dumps(body)


def shop_day():
    """The hand-computed scenario; returns (valid distinct events, payload list)."""
    resin = lambda used, scrap: {"type": "castable-resin", "used_g": used, "scrap_g": scrap}  # noqa: E731
    silver = lambda used, scrap: {"type": "silver-925", "used_g": used, "scrap_g": scrap}  # noqa: E731
    events = [
        ev("a1-c", "A1", "confirmed", 0, value=100, customer_id="c1", personalized=True, currency="EUR"),
        ev("a1-p", "A1", "printed", 2, material=resin(10, 2), station="printer-1"),
        ev("a1-cast", "A1", "cast", 5, material=silver(20, 1)),
        ev("a1-q1", "A1", "qc", 6, result="fail", defect="porosity"),
        ev("a1-q2", "A1", "qc", 8, result="pass"),
        ev("a1-s", "A1", "shipped", 24),
        ev("a2-c", "A2", "confirmed", 1, value=300, customer_id="c1", personalized=False),
        ev("a2-p", "A2", "printed", 3, material=resin(5, 0)),
        ev("a2-s", "A2", "shipped", 49),
        ev("a2-r", "A2", "returned", 100, reason="wrong_size"),
        ev("a3-c", "A3", "confirmed", 2, value=200, customer_id="c2", personalized=True),
        ev("a3-s", "A3", "shipped", 14),
        ev("a3-r", "A3", "returned", 60, reason="changed_mind"),
        ev("a4-c", "A4", "confirmed", 3, value=50, customer_id="c3", personalized=True),
        # A5 was never confirmed: kept, but counted nowhere but material.
        json.dumps({"order_id": "A5", "stage": "printed", "ts": ts(4), "material": resin(2, 1)}),
    ]
    shuffled = events[:]
    random.Random(7).shuffle(shuffled)  # out-of-order arrival, e.g. shipped before confirmed
    duplicates = [events[0], events[5], events[14], events[14]]  # same event_id / byte-identical
    garbage = [
        "this is not json",
        "[1, 2, 3]",
        json.dumps({"stage": "printed"}),
        json.dumps({"order_id": "A1", "stage": "teleported"}),
        json.dumps({"order_id": "A1", "stage": "cast", "material": {"type": "gold", "used_g": -1}}),
        json.dumps({"order_id": "A1", "stage": "cast", "material": {"type": "gold", "used_g": 1, "scrap_g": 2}}),
        json.dumps({"order_id": "bad id with spaces", "stage": "qc"}),
    ]
    payloads = shuffled[:8] + garbage[:4] + duplicates + shuffled[8:] + garbage[4:]
    return len(events), len(garbage), payloads


def check_shop_day(checks, d):
    k = cli_json(d, "kpi")
    checks.eq("kpi.window", k["window"], {"since": None, "until": None})
    checks.eq("kpi.orders", k["orders"], {"confirmed": 4, "shipped": 3, "open": 1})
    # turnaround: A1 24 h, A2 48 h, A3 12 h -> sorted [12, 24, 48]
    checks.eq("kpi.turnaround", k["turnaround_hours"],
              {"count": 3, "mean": 28.0, "p50": 24.0, "p90": 48.0, "p95": 48.0, "max": 48.0})
    # used 10+20+5+2 = 37 g, scrap 2+1+0+1 = 4 g -> 100*33/37
    checks.near("kpi.material_yield_pct", k["material_yield_pct"], 100 * 33 / 37)
    # cost A1 10*0.30+20*0.90 = 21, A2 5*0.30 = 1.5, A3 0 -> 22.5 / revenue 600
    checks.near("kpi.material_cost_pct", k["material_cost_pct"], 3.75)
    # A2 returned wrong_size (counts), A3 changed_mind (does not) -> 2 of 3
    checks.near("kpi.order_accuracy_pct", k["order_accuracy_pct"], 200 / 3)
    # A1 failed QC before shipping -> 2 of 3
    checks.near("kpi.first_pass_yield_pct", k["first_pass_yield_pct"], 200 / 3)
    checks.near("kpi.aov", k["aov"], 162.5)  # (100+300+200+50)/4
    checks.near("kpi.personalization_pct", k["personalization_pct"], 75.0)  # A1, A3, A4
    checks.near("kpi.repeat_customer_pct", k["repeat_customer_pct"], 100 / 3)  # c1 of c1,c2,c3

    w = cli_json(d, "kpi", "--since", ts(13), "--until", ts(30))
    checks.eq("window.bounds", w["window"], {"since": ts(13).replace(".000", ""), "until": ts(30).replace(".000", "")})
    # shipped in window: A3 (14 h), A1 (24 h); open at until: A2 (ships at 49 h), A4
    checks.eq("window.orders", w["orders"], {"confirmed": 0, "shipped": 2, "open": 2})
    checks.eq("window.turnaround", w["turnaround_hours"],
              {"count": 2, "mean": 18.0, "p50": 12.0, "p90": 24.0, "p95": 24.0, "max": 24.0})
    checks.eq("window.material_yield_pct is null (no material events)", w["material_yield_pct"], None)
    checks.near("window.material_cost_pct", w["material_cost_pct"], 7.0)  # 21 / 300
    checks.near("window.order_accuracy_pct", w["order_accuracy_pct"], 100.0)
    checks.near("window.first_pass_yield_pct", w["first_pass_yield_pct"], 50.0)
    checks.eq("window.aov is null", w["aov"], None)

    s = cli_json(d, "status", "A1")
    checks.eq("status.A1.stages in stage-time order", [e["stage"] for e in s["timeline"]],
              ["confirmed", "printed", "cast", "qc", "qc", "shipped"])
    checks.eq("status.A1.current_stage", s["current_stage"], "shipped")
    checks.near("status.A1.turnaround", s.get("turnaround_hours"), 24.0)
    a5 = cli_json(d, "status", "A5")
    checks.eq("status.A5 unconfirmed", a5["confirmed"], False)
    missing = d.cli("status", "NOPE", check=False)
    checks.true("status of unknown order exits non-zero with a message",
                missing.returncode != 0 and "unknown order" in missing.stderr, missing.stderr)
    open_orders = cli_json(d, "orders", "--open")
    checks.eq("orders --open", sorted(o["order_id"] for o in open_orders), ["A4", "A5", "A6"])  # A5, A6 unconfirmed but unshipped


def run_shop_day(checks):
    with Workdir("e2e") as tmp:
        broker = Broker(tmp).start()
        d = Daemon(tmp, broker.uri).start()
        try:
            distinct, garbage, payloads = shop_day()
            broker.publish_lines("floor/test/station-1", payloads)
            # Oversized payload and invalid UTF-8 travel separately (not line-safe).
            broker.publish("floor/test/big", b'{"order_id":"A1","stage":"qc","pad":"' + b"x" * 70000 + b'"}')
            broker.publish("floor/test/bytes", b'{"order_id":"A1","stage":"qc","station":"\xff\xfe"}')
            wait_for(lambda: d.reject_count() >= garbage + 2, 20, "rejects stored")
            wait_for(lambda: d.event_count() >= distinct, 20, "events stored")
            checks.eq("events stored once each", d.event_count(), distinct)
            checks.eq("rejects stored", d.reject_count(), garbage + 2)
            rejects = cli_json(d, "rejects")
            reasons = " | ".join(r["reason"] for r in rejects["rejects"])
            for needle in ["not valid JSON", "not a JSON object", "'order_id' is missing", "not a known stage",
                           "material.used_g", "exceeds 'material.used_g'", "exceeds the limit", "UTF-8"]:
                checks.true(f"reject reason mentions {needle!r}", needle in reasons, reasons)
            checks.true("daemon still running after garbage", d.alive())
            # A device clock an hour ahead: receive time used, event flagged.
            future = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            broker.publish("floor/test/station-1", json.dumps({"event_id": "fut", "order_id": "A6",
                                                               "stage": "printed", "ts": future}))
            wait_for(lambda: d.event_count() >= distinct + 1, 20, "future event stored")
            f = cli_json(d, "status", "A6")["timeline"][0]
            checks.true("future ts replaced by receive time", f["stage_time"] == f["received_at"], str(f))
            checks.true("future ts flagged", "future" in f["time_source"], str(f))
            check_shop_day(checks, d)
            # A flood of garbage: every message lands in rejects, the log stays bounded.
            before = d.reject_count()
            broker.publish_lines("floor/test/flood", [f"garbage {i}" for i in range(500)])
            wait_for(lambda: d.reject_count() >= before + 500, 30, "flood rejected")
            checks.eq("flood: every garbage message stored in rejects", d.reject_count(), before + 500)
            logged = d.log_text().count("rejected message on")
            checks.true("flood: reject warnings throttled (<= 40 lines for 509 rejects)", logged <= 40, f"{logged}")
            checks.true("daemon still running after the flood", d.alive())
            checks.eq("SIGTERM exits 0", d.stop(), 0)
        finally:
            d.stop()
            broker.stop()


# ---- a month of generated events, KPIs recomputed independently ----

def month_of_events(seed=11, orders=300):
    rng = random.Random(seed)
    stages = ["confirmed", "printed", "cast", "polished", "qc", "packed", "shipped"]
    out = []
    for n in range(orders):
        oid = f"M{n:04d}"
        t = rng.uniform(0, 30 * 24)
        for stage in stages:
            if stage == "shipped" and rng.random() < 0.15:
                break  # still open
            e = {"event_id": f"{oid}-{stage}", "order_id": oid, "stage": stage, "hours": t}
            if stage == "confirmed":
                e.update(value=round(rng.uniform(40, 900), 2), customer_id=f"cust{rng.randrange(200)}",
                         personalized=rng.random() < 0.7)
            if stage in ("printed", "cast"):
                used = round(rng.uniform(1, 30), 3)
                e["material"] = {"type": "castable-resin" if stage == "printed" else "silver-925",
                                 "used_g": used, "scrap_g": round(used * rng.uniform(0, 0.3), 3)}
            if stage == "qc" and rng.random() < 0.1:
                out.append(dict(e, event_id=f"{oid}-qc-fail", result="fail"))
                t += rng.uniform(1, 5)
                e["hours"] = t
                e["result"] = "pass"
            out.append(e)
            t += rng.uniform(1, 30)
        if out[-1]["stage"] == "shipped" and rng.random() < 0.08:
            out.append({"event_id": f"{oid}-ret", "order_id": oid, "stage": "returned", "hours": t + 48,
                        "reason": rng.choice(["wrong_size", "changed_mind", "not_as_designed"])})
    return out


def expected_kpis(events, prices, failure_reasons):
    orders = {}
    for e in events:
        orders.setdefault(e["order_id"], []).append(e)
    used = sum(e["material"]["used_g"] for e in events if "material" in e)
    scrap = sum(e["material"]["scrap_g"] for e in events if "material" in e)
    confirmed, shipped, turnaround, cost, revenue, accurate, first_pass = [], [], [], 0.0, 0.0, 0, 0
    for oid, evs in orders.items():
        c = min((e["hours"] for e in evs if e["stage"] == "confirmed"), default=None)
        s = min((e["hours"] for e in evs if e["stage"] == "shipped"), default=None)
        conf = next(e for e in evs if e["stage"] == "confirmed")
        confirmed.append(conf)
        if s is None:
            continue
        shipped.append(oid)
        turnaround.append(s - c)
        cost += sum(e["material"]["used_g"] * prices[e["material"]["type"]] for e in evs if "material" in e)
        revenue += conf["value"]
        accurate += not any(e["stage"] == "returned" and e.get("reason") in failure_reasons for e in evs)
        first_pass += not any(e.get("result") == "fail" and e["hours"] < s for e in evs)
    turnaround.sort()
    rank = lambda p: turnaround[max(1, -(-p * len(turnaround) // 100)) - 1]  # noqa: E731
    customers = {}
    for conf in confirmed:
        customers[conf["customer_id"]] = customers.get(conf["customer_id"], 0) + 1
    return {
        "orders": {"confirmed": len(confirmed), "shipped": len(shipped), "open": len(confirmed) - len(shipped)},
        "turnaround": {"count": len(turnaround), "mean": sum(turnaround) / len(turnaround),
                       "p50": rank(50), "p90": rank(90), "p95": rank(95), "max": turnaround[-1]},
        "material_yield_pct": 100 * (used - scrap) / used,
        "material_cost_pct": 100 * cost / revenue,
        "order_accuracy_pct": 100 * accurate / len(shipped),
        "first_pass_yield_pct": 100 * first_pass / len(shipped),
        "aov": sum(c["value"] for c in confirmed) / len(confirmed),
        "personalization_pct": 100 * sum(c["personalized"] for c in confirmed) / len(confirmed),
        "repeat_customer_pct": 100 * sum(1 for n in customers.values() if n >= 2) / len(customers),
    }


def to_payload(e):
    body = {k: v for k, v in e.items() if k != "hours"}
    body["ts"] = (T0 + timedelta(hours=e["hours"])).isoformat(timespec="milliseconds")
    return json.dumps(body)


def run_month(checks):
    prices = {"castable-resin": 0.30, "silver-925": 0.90}
    events = month_of_events()
    rng = random.Random(5)
    payloads = [to_payload(e) for e in events]
    payloads += rng.sample(payloads, len(payloads) // 20)            # 5% duplicates
    payloads += ["{broken", '{"order_id": 5, "stage": "qc"}'] * 10     # garbage
    rng.shuffle(payloads)                                                 # out of order
    with Workdir("month") as tmp:
        broker = Broker(tmp).start()
        d = Daemon(tmp, broker.uri, prices=prices).start()
        try:
            broker.publish_lines("floor/month/line", payloads)
            wait_for(lambda: d.event_count() >= len(events) and d.reject_count() >= 20, 60, "month stored")
            checks.eq("month: distinct events stored once", d.event_count(), len(events))
            checks.eq("month: garbage rejected", d.reject_count(), 20)
            want = expected_kpis(events, prices, {"not_as_designed", "wrong_item", "wrong_size",
                                                  "wrong_engraving", "defective"})
            got = cli_json(d, "kpi")
            checks.eq("month: orders", got["orders"], want["orders"])
            for key in ["count", "mean", "p50", "p90", "p95", "max"]:
                checks.near(f"month: turnaround {key}", got["turnaround_hours"][key], want["turnaround"][key], 1e-3)
            for key in ["material_yield_pct", "material_cost_pct", "order_accuracy_pct", "first_pass_yield_pct",
                        "aov", "personalization_pct", "repeat_customer_pct"]:
                checks.near(f"month: {key}", got[key], want[key], 1e-6)
        finally:
            d.stop()
            broker.stop()


if __name__ == "__main__":
    c = Checks()
    run_shop_day(c)
    run_month(c)
    sys.exit(c.finish())
