"""Due dates and corrections (issue 12 items 2 and 7) against a real mosquitto
and the real floortrackd and floortrack binaries.

A shop whose late and at-risk orders are known in advance, relative to now
(hours, negative = ago), with [kpi] default_promise_days = 2:

  shipped in the last 30 days (the expectations: time from entering a stage
  to first shipment, p50): S1 qc -80 -> shipped -70 (10 h), S2 qc -50 ->
  -30 (20 h), S3 qc -45 -> -15 (30 h): qc p50 = 20 h. S1 on time (promised
  -60, shipped -70), S2 late (promised -40, shipped -30), S3 by its default
  promise (confirmed -50 + 48 h = -2, shipped -15): on_time_pct = 2/3.

  open: L2 confirmed -60 without a promise (default: -12): late 12 h, first;
  L1 promised -5: late 5 h; R1 in qc since -2, promised +5: expected +18,
  at risk by 13 h, but only because its mis-scanned `packed` (-1) is voided
  by a void published *before* it; OK1 same as R1 promised +30: fine; H1 as
  R1 but on_hold: neither; C1 promised -5 but cancelled: neither, not open.

Checks `floortrack late --json`, `/api/v1/late` equal to it (but for the
clock-dependent generated_at and overdue_hours), `floortrack status R1`
showing the void, and `floortrack kpi --json` on_time_pct and open.
"""
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


def shown(hours):
    """How floortrack prints a time (whole seconds)."""
    return (NOW + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def ev(eid, order, stage, hours, **extra):
    body = {"event_id": eid, "order_id": order, "stage": stage, "ts": at(hours)}
    body.update(extra)
    return json.dumps(body)


def shop():
    return [
        ev("s1-c", "S1", "confirmed", -100, promised_at=at(-60)),
        ev("s1-p", "S1", "printed", -90),
        ev("s1-q", "S1", "qc", -80),
        ev("s1-s", "S1", "shipped", -70),
        ev("s2-c", "S2", "confirmed", -60, promised_at=at(-40)),
        ev("s2-p", "S2", "printed", -55),
        ev("s2-q", "S2", "qc", -50),
        ev("s2-s", "S2", "shipped", -30),
        ev("s3-c", "S3", "confirmed", -50),
        ev("s3-q", "S3", "qc", -45),
        ev("s3-s", "S3", "shipped", -15),
        ev("l1-c", "L1", "confirmed", -30, promised_at=at(-5)),
        ev("l1-q", "L1", "qc", -20),
        ev("l2-c", "L2", "confirmed", -60),
        ev("l2-p", "L2", "printed", -50),
        ev("r1-c", "R1", "confirmed", -10, promised_at=at(5)),
        ev("r1-q", "R1", "qc", -2),
        ev("r1-v", "R1", "void", -0.5, voids="r1-bad", reason="scanned the wrong bag"),
        ev("r1-bad", "R1", "packed", -1),
        ev("ok-c", "OK1", "confirmed", -10, promised_at=at(30)),
        ev("ok-q", "OK1", "qc", -2),
        ev("h1-c", "H1", "confirmed", -10, promised_at=at(5)),
        ev("h1-q", "H1", "qc", -2),
        ev("h1-h", "H1", "on_hold", -1, reason="customer changes the stone"),
        ev("c1-c", "C1", "confirmed", -30, promised_at=at(-5)),
        ev("c1-q", "C1", "qc", -20),
        ev("c1-x", "C1", "cancelled", -3, reason="customer cancelled"),
    ]


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return response.status, json.loads(response.read().decode())


def without_clock(report):
    """The report without generated_at and overdue_hours (they move with the clock)."""
    out = json.loads(json.dumps(report))
    out.pop("generated_at", None)
    for o in out.get("late", []):
        o.pop("overdue_hours", None)
    return out


def main():
    checks = Checks()
    with Workdir("late") as tmp:
        broker = Broker(tmp).start()
        port = free_port()
        try:
            d = Daemon(tmp, broker.uri, http=f'listen = "127.0.0.1:{port}"\ntoken_file = ""',
                       extra="\n[kpi]\ndefault_promise_days = 2\n")
            d.start()
            events = shop()
            broker.publish_lines("floor/shop/event", events)
            wait_for(lambda: d.event_count() >= len(events), 20, "the shop's events stored")
            checks.eq("no rejects", d.reject_count(), 0)

            late = cli_json(d, "late")
            checks.eq("late orders, most overdue first", [o["order_id"] for o in late["late"]],
                      ["L2", "L1"])
            if len(late["late"]) == 2:
                l2, l1 = late["late"]
                checks.near("L2 overdue by its default promise", l2["overdue_hours"], 12, 0.1)
                checks.true("L2's promise is the default", l2["promise_is_default"])
                checks.eq("L2's stage", l2["current_stage"], "printed")
                checks.near("L1 overdue", l1["overdue_hours"], 5, 0.1)
                checks.eq("L1 promised", l1["promised_at"], shown(-5))
            checks.eq("at risk: R1 only (OK1 fine, H1 held, C1 cancelled)",
                      [o["order_id"] for o in late["at_risk"]], ["R1"])
            if late["at_risk"]:
                r1 = late["at_risk"][0]
                checks.eq("R1 back in qc once its mis-scan is voided", r1["current_stage"], "qc")
                checks.eq("R1 entered qc", r1["stage_entered_at"], shown(-2))
                checks.eq("R1 expected remaining: qc p50", r1["expected_remaining_hours"], 20)
                checks.eq("R1 expected ship", r1["expected_ship_at"], shown(18))
                checks.eq("R1 margin", r1["margin_hours"], -13)
            checks.eq("qc expectation", late["expected_remaining_hours"].get("qc"),
                      {"count": 3, "p50_hours": 20})

            status, api = get(port, "/api/v1/late")
            checks.eq("/api/v1/late 200", status, 200)
            checks.eq("/api/v1/late equals floortrack late --json", without_clock(api),
                      without_clock(late))
            if len(api.get("late", [])) == 2:
                checks.near("same overdue hours", api["late"][0]["overdue_hours"],
                            late["late"][0]["overdue_hours"], 0.05)
            table = d.cli("late").stdout
            checks.true("late table names L2, L1 and R1",
                        all(o in table for o in ("L2", "L1", "R1")), table)

            r1 = cli_json(d, "status", "R1")
            by_stage = {e["stage"]: e for e in r1["timeline"]}
            checks.eq("status keeps the voided event, marked",
                      by_stage.get("packed", {}).get("voided"), True)
            checks.eq("status shows the void and what it voids",
                      by_stage.get("void", {}).get("voids"), "r1-bad")
            checks.eq("R1's current stage without the voided event", r1["current_stage"], "qc")
            checks.true("status table marks the void", "[voided]" in d.cli("status", "R1").stdout)
            h1 = cli_json(d, "status", "H1")
            checks.eq("H1 on hold", h1["on_hold"], True)
            c1 = cli_json(d, "status", "C1")
            checks.eq("C1 cancelled", c1["cancelled_at"], shown(-3))

            kpi = cli_json(d, "kpi")
            checks.near("on_time_pct: S1 and S3 of three", kpi["on_time_pct"], 200 / 3)
            checks.eq("with a promise", kpi["orders_with_promise"], 3)
            checks.eq("open: L1, L2, R1, OK1, H1 (C1 cancelled)", kpi["orders"]["open"], 5)
            checks.eq("on_time_pct target", kpi["targets"]["on_time_pct"]["status"], "below")
            status, api_kpi = get(port, "/api/v1/kpi")
            checks.eq("/api/v1/kpi on_time_pct", api_kpi.get("on_time_pct"), kpi["on_time_pct"])

            # A void of an unknown id is stored (its event may come later) and changes nothing.
            broker.publish_lines("floor/shop/event", [ev("ok-v", "OK1", "void", -0.2, voids="nope")])
            wait_for(lambda: d.event_count() >= len(events) + 1, 20, "the void stored")
            checks.eq("late unchanged by a void of an unknown id",
                      without_clock(cli_json(d, "late")), without_clock(late))
            d.stop()
        finally:
            broker.stop()
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
