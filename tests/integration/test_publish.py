"""MQTT out (docs/api.md, "MQTT topics floortrackd publishes") against a real
mosquitto and the real floortrackd and floortrack binaries; subscribers are
mosquitto_sub processes, each a fresh client, so a retained message is what
they see first.

1. Status: "online", retained, on floortrack/status/<client_id> once connected.
2. KPIs with [publish] interval_s = 3600 (so the timer never fires during the
   test): after a few orders, one shipped, a fresh subscriber gets the
   retained floortrack/kpi whose all_time equals `floortrack kpi --json` and
   whose last_30d equals `floortrack kpi --since 30d --json` except
   window.since (the last 30 days, today included, of the shop's time zone,
   UTC here: the daemon's and the CLI's "today" may differ across a
   midnight; no event lies near that boundary, so nothing else can differ),
   which is UTC midnight 29 days before generated_at's day; generated_at
   parses as RFC 3339 UTC. The shipment is published
   within 10 s (the shipment gap) plus 2 s.
3. Coalescing: a burst of 20 shipments yields messages at least 10 s apart
   (by generated_at), the last one counting every shipment.
4. Without homeassistant_discovery nothing is retained under homeassistant/.
5. SIGKILL: a fresh subscriber sees the retained last will "offline".
6. Restart with homeassistant_discovery = true: "online" again; one retained
   config per KPI sensor under homeassistant/sensor/<client_id>/, JSON with
   the fields Home Assistant needs, each value_template naming a key of the
   KPI payload. A reload (SIGHUP) with a new kpi_topic publishes there and
   re-sends the discovery configs at once. SIGTERM: exit 0 and "offline"
   retained (published by the daemon itself: a clean disconnect discards
   the will).
7. A broker whose ACL refuses writes to floortrack/kpi: events are still
   stored and the ingest connection is never lost, the daemon stays up, no
   KPI message is retained, the broker logs the denied PUBLISH. mosquitto 2.0
   answers it by dropping the publishing connection (MQTT 3.1.1 has no way
   to refuse a publish otherwise), which floortrackd logs with the likely
   cause; that is why it publishes over a connection of its own.
8. The broker stopped: the daemon logs that the KPI publish failed (not
   connected) and keeps running.
"""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, cli_json, wait_for  # noqa: E402

CLIENT = "ft-pub"
STATUS = f"floortrack/status/{CLIENT}"
KPI = "floortrack/kpi"
NOW = datetime.now(timezone.utc)
SENSORS = {"turnaround_p50_hours", "turnaround_p90_hours", "material_yield_pct",
           "order_accuracy_pct", "first_pass_yield_pct", "aov", "material_cost_pct",
           "personalization_pct", "repeat_customer_pct", "orders_shipped", "orders_open"}


def ts(days_ago):
    return (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def ev(eid, order, stage, days_ago, **extra):
    body = {"event_id": eid, "order_id": order, "stage": stage, "ts": ts(days_ago)}
    body.update(extra)
    return json.dumps(body)


def shop():
    """Orders inside and outside the last 30 days; none near the boundary. The
    shipment comes last, so the publish it triggers sees every other event."""
    silver = {"type": "silver-925", "used_g": 20, "scrap_g": 1}
    return [
        ev("o1-c", "O1", "confirmed", 40, value=100, customer_id="c1"),
        ev("o2-c", "O2", "confirmed", 10, value=200, customer_id="c2", personalized=True),
        ev("o2-cast", "O2", "cast", 8, material=silver),
        ev("o3-c", "O3", "confirmed", 3, value=150, customer_id="c1"),
        ev("o4-c", "O4", "confirmed", 2, value=80, customer_id="c3"),
        ev("o4-q", "O4", "qc", 1, result="fail", defect="porosity"),
        ev("o1-s", "O1", "shipped", 35),
    ]


def subscribe(port, topics, count=None, wait=2):
    """[(topic, payload)] a fresh mosquitto_sub received within `wait` seconds
    (or until `count` messages)."""
    cmd = ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-v", "-W", str(wait)]
    for t in topics:
        cmd += ["-t", t]
    if count:
        cmd += ["-C", str(count)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=wait + 10)
    return [tuple(line.split(" ", 1)) if " " in line else (line, "")
            for line in proc.stdout.splitlines() if line]


def retained(port, topic, wait=2):
    """The payload a fresh subscriber gets first on `topic` (the retained one), or None."""
    got = subscribe(port, [topic], count=1, wait=wait)
    return got[0][1] if got else None


def kpi_message(port):
    payload = retained(port, KPI)
    return json.loads(payload) if payload else None


def parse_time(text):
    return datetime.strptime(text.replace("Z", "+0000"),
                             "%Y-%m-%dT%H:%M:%S.%f%z" if "." in text else "%Y-%m-%dT%H:%M:%S%z")


class LiveSubscriber(threading.Thread):
    """One mosquitto_sub kept running; collects (monotonic time, payload)."""

    def __init__(self, port, topic):
        super().__init__(daemon=True)
        self.proc = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port),
                                      "-t", topic], stdout=subprocess.PIPE, text=True)
        self.messages = []
        self.start()

    def run(self):
        for line in self.proc.stdout:
            self.messages.append((time.monotonic(), line.rstrip("\n")))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def publish_config(interval, discovery):
    return f"""
[publish]
kpi_topic = "{KPI}"
interval_s = {interval}
homeassistant_discovery = {"true" if discovery else "false"}
"""


def walk(obj, path):
    for key in path.split("."):
        if not isinstance(obj, dict) or key not in obj:
            return KeyError(path)
        obj = obj[key]
    return obj


def check_kpis(checks, d, port, expected_shipped, started):
    """Waits for the retained KPIs to count `expected_shipped` shipments, then
    compares them with the CLI; returns (the message, seconds it took)."""
    t0 = time.monotonic()
    msg = wait_for(lambda: (lambda m: m if m and m["all_time"]["orders"]["shipped"]
                            == expected_shipped else None)(kpi_message(port)),
                   12, f"retained KPIs with {expected_shipped} shipped")
    took = time.monotonic() - t0
    checks.eq("payload keys", sorted(msg), ["all_time", "generated_at", "last_30d"])
    checks.eq("all_time = floortrack kpi --json", msg["all_time"], cli_json(d, "kpi"))
    cli_30d = cli_json(d, "kpi", "--since", "30d")
    ours = json.loads(json.dumps(msg["last_30d"]))
    for side in (ours, cli_30d):
        side["window"]["since"] = "(the last 30 days)"
    checks.eq("last_30d = floortrack kpi --since 30d --json (but window.since)", ours, cli_30d)
    since = parse_time(msg["last_30d"]["window"]["since"])
    generated = parse_time(msg["generated_at"])
    checks.true("generated_at is RFC 3339 UTC during the run",
                msg["generated_at"].endswith("Z") and started - timedelta(seconds=1) <= generated
                <= datetime.now(timezone.utc) + timedelta(seconds=1), msg["generated_at"])
    midnight = generated.replace(hour=0, minute=0, second=0, microsecond=0)
    checks.eq("last_30d.window.since = UTC midnight 29 days before generated_at's day",
              since, midnight - timedelta(days=29))
    return msg, took


def main():
    checks = Checks()
    with Workdir("publish") as tmp:
        broker = Broker(tmp).start()
        port = broker.port
        d = Daemon(tmp, broker.uri, client_id=CLIENT, extra=publish_config(3600, False))
        d2 = None
        try:
            started = datetime.now(timezone.utc)
            d.start()
            # 1. Status.
            wait_for(lambda: retained(port, STATUS) == "online", 10, "retained 'online'")
            checks.true("status 'online' retained once connected", True)

            # 2. KPIs after a shipment, within the 10 s shipment gap.
            d.wait_log("publishing the KPIs on floortrack/kpi", 10)
            events = shop()
            broker.publish_lines("floor/shop/event", events)
            wait_for(lambda: d.event_count() >= len(events), 20, "the shop's events stored")
            msg, took = check_kpis(checks, d, port, 1, started)
            checks.true("orders inside and outside 30 days tell the windows apart",
                        msg["all_time"]["orders"]["confirmed"] == 4
                        and msg["last_30d"]["orders"]["confirmed"] == 3, msg["last_30d"]["orders"])
            # One more shipment, timed from its publish.
            t_ship = time.monotonic()
            broker.publish("floor/shop/event", ev("o2-s", "O2", "shipped", 0.5))
            _, took = check_kpis(checks, d, port, 2, started)
            took = time.monotonic() - t_ship
            checks.true("a shipment is published within 10 s + 2 s (interval_s = 3600)",
                        took <= 12, f"{took:.1f} s")

            # 3. Coalescing: 20 shipments in a burst.
            live = LiveSubscriber(port, KPI)
            time.sleep(0.5)  # the retained message arrives first
            burst = []
            for i in range(20):
                burst.append(ev(f"b{i}-c", f"B{i}", "confirmed", 4, value=10))
                burst.append(ev(f"b{i}-s", f"B{i}", "shipped", 0.1))
            broker.publish_lines("floor/shop/event", burst)
            wait_for(lambda: any(json.loads(p)["all_time"]["orders"]["shipped"] == 22
                                 for _, p in live.messages), 25, "the burst's 22 shipments published")
            live.stop()
            stamps = [parse_time(json.loads(p)["generated_at"]) for _, p in live.messages[1:]]
            gaps = [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:])]
            checks.true("burst of 20 shipments: publishes at least 10 s apart",
                        all(g >= 9.99 for g in gaps) and len(stamps) <= 3,
                        f"{len(stamps)} publishes, gaps {gaps}")

            # 4. No discovery by default.
            checks.eq("homeassistant_discovery off: nothing under homeassistant/",
                      subscribe(port, ["homeassistant/#"], wait=1), [])

            # 5. SIGKILL: the last will.
            d.kill()
            wait_for(lambda: retained(port, STATUS) == "offline", 10,
                     "retained 'offline' (the will) after SIGKILL")
            checks.true("after SIGKILL a fresh subscriber sees the will 'offline'", True)

            # 6. Discovery; SIGTERM says offline itself.
            d2 = Daemon(tmp, broker.uri, client_id=CLIENT, extra=publish_config(3600, True))
            d2.start()
            wait_for(lambda: retained(port, STATUS) == "online", 10, "'online' after the restart")
            checks.true("status 'online' again after the restart", True)
            prefix = f"homeassistant/sensor/{CLIENT}/"

            def configs():
                got = subscribe(port, [prefix + "+/config"], count=len(SENSORS), wait=5)
                return got if len(got) == len(SENSORS) else None
            got = wait_for(configs, 10, "the discovery configs")
            kpis = wait_for(lambda: kpi_message(port), 10, "the KPIs after the restart")
            objects = set()
            unique_ids = set()
            for topic, payload in got:
                obj = topic[len(prefix):-len("/config")]
                objects.add(obj)
                try:
                    c = json.loads(payload)
                except ValueError:
                    checks.true(f"{topic}: JSON", False, payload)
                    continue
                unique_ids.add(c.get("unique_id"))
                need = {"name", "unique_id", "state_topic", "value_template", "availability_topic",
                        "payload_available", "payload_not_available", "device"}
                checks.true(f"{obj}: has {sorted(need)}", need <= set(c), sorted(c))
                checks.eq(f"{obj}: state_topic", c.get("state_topic"), KPI)
                checks.eq(f"{obj}: availability", (c.get("availability_topic"),
                          c.get("payload_available"), c.get("payload_not_available")),
                          (STATUS, "online", "offline"))
                checks.true(f"{obj}: device identifiers",
                            bool(c.get("device", {}).get("identifiers")), c.get("device"))
                m = re.fullmatch(r"\{\{ value_json\.([a-z0-9_.]+) \}\}", c.get("value_template", ""))
                checks.true(f"{obj}: value_template names a key of the KPI payload",
                            m and not isinstance(walk(kpis, m.group(1)), KeyError),
                            c.get("value_template"))
            checks.eq("one discovery config per KPI sensor", objects, SENSORS)
            checks.eq("unique_ids distinct", len(unique_ids), len(SENSORS))
            # Reload: a new kpi_topic gets the KPIs and the discovery configs at once.
            moved = "floortrack/kpi-reloaded"
            with open(d2.config) as f:
                text = f.read()
            with open(d2.config, "w") as f:
                f.write(text.replace(f'kpi_topic = "{KPI}"', f'kpi_topic = "{moved}"'))
            d2.proc.send_signal(signal.SIGHUP)
            d2.wait_log("reloaded", 10)
            payload = wait_for(lambda: retained(port, moved), 5, f"the KPIs on {moved}")
            checks.eq("reload: the new kpi_topic gets the KPIs at once", sorted(json.loads(payload)),
                      ["all_time", "generated_at", "last_30d"])
            checks.true("reload: discovery configs point at the new kpi_topic",
                        wait_for(lambda: json.loads(retained(port, prefix + "aov/config") or "{}")
                                 .get("state_topic") == moved, 5, "updated discovery configs"))
            code = d2.stop()
            checks.eq("SIGTERM: exit 0", code, 0)
            checks.eq("after SIGTERM the retained status is 'offline'", retained(port, STATUS),
                      "offline")
            checks.true("SIGTERM: nothing critical logged", "critical" not in d2.log_text(),
                        d2.log_text()[-2000:])
        finally:
            d.stop()
            if d2:
                d2.stop()
            broker.stop()

    # 7. and 8. A broker that refuses the KPI topic, then no broker.
    with Workdir("publish-acl") as tmp:
        acl = os.path.join(tmp, "acl")
        with open(acl, "w") as f:
            f.write(f"topic readwrite floor/#\ntopic readwrite {STATUS}\ntopic read {KPI}\n")
        broker = Broker(tmp, extra_conf=f"acl_file {acl}\nlog_type debug\n").start()
        d = Daemon(tmp, broker.uri, client_id=CLIENT, extra=publish_config(1, False))
        try:
            d.start()
            events = shop()
            broker.publish_lines("floor/shop/event", events)
            wait_for(lambda: d.event_count() >= len(events), 20, "events stored under the ACL")
            checks.eq("ACL refuses floortrack/kpi: every event stored", d.event_count(), len(events))
            wait_for(lambda: "Denied PUBLISH from " + CLIENT in open(broker.log).read()
                     and f"'{KPI}'" in open(broker.log).read(), 10, "the broker's denial logged")
            checks.true("the broker denied the KPI publish", True)
            checks.eq("no KPI message retained", retained(port=broker.port, topic=KPI, wait=1), None)
            # mosquitto 2.0 drops an MQTT 3.1.1 client that publishes where its ACL
            # denies: only the publishing connection, which says so.
            d.wait_log("soon after connecting: does the broker's ACL", 15)
            checks.true("the daemon logs the dropped publishing connection and its likely cause",
                        True)
            more = [ev(f"x{i}-c", f"X{i}", "confirmed", 1, value=5) for i in range(3)]
            broker.publish_lines("floor/shop/event", more)
            wait_for(lambda: d.event_count() >= len(events) + len(more), 20, "more events stored")
            checks.true("daemon alive after denied publishes", d.alive())
            checks.true("the ingest connection was never lost",
                        "lost connection to MQTT broker" not in d.log_text(), d.log_text()[-3000:])

            # 8. No broker: the publish cannot be handed over; logged, not fatal.
            broker.stop()
            # (already logged, maybe, while the publishing connection was down
            # above; at most 5 such lines a minute)
            d.wait_log(f"MQTT publish to {KPI} failed: not connected", 10)
            time.sleep(1.5)
            checks.true("broker gone: the failed KPI publish is logged, the daemon keeps running",
                        d.alive())
            code = d.stop()
            checks.eq("SIGTERM without a broker: exit 0", code, 0)
        finally:
            d.stop()
            broker.stop()
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
