"""Reliability: mosquitto restarts (SIGTERM, persistence on) under a running floortrackd.

1. Daemon and broker up: batch A stored.
2. Broker stopped: publishing is impossible; the daemon logs the lost
   connection and keeps retrying. Broker restarted on the same port with the
   same persistence directory: the daemon reconnects and resubscribes; batch B
   stored.
3. Broker stopped while the daemon is in the middle of a large batch C (some
   messages in flight, most queued in the broker's session): after the restart
   the persisted session delivers the rest.
4. Daemon stopped (SIGTERM), batch D published to its offline session, daemon
   started again: the persistent session delivers D.
5. Daemon stopped, batch E published, broker restarted (the queue must survive
   in mosquitto's persistence file), daemon started: E delivered.
Every event stored exactly once.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, wait_for  # noqa: E402

TOPIC = "floor/restart/station-1"


def batch(name, n):
    return [json.dumps({"event_id": f"{name}-{i:05d}", "order_id": f"{name}{i // 4:04d}",
                        "stage": ["confirmed", "printed", "cast", "qc"][i % 4],
                        "ts": f"2026-10-02T{i % 24:02d}:{i % 60:02d}:00Z"}) for i in range(n)]


def main():
    checks = Checks()
    started = time.monotonic()
    sizes = {"A": 300, "B": 300, "C": 3000, "D": 500, "E": 500}
    expected = set()
    with Workdir("broker-restart") as tmp:
        broker = Broker(tmp).start()
        port = broker.port
        d = Daemon(tmp, broker.uri)
        try:
            d.start()
            # 1. steady state
            a = batch("A", sizes["A"])
            broker.publish_lines(TOPIC, a)
            expected |= {json.loads(p)["event_id"] for p in a}
            wait_for(lambda: d.event_count() >= len(expected), 60, "batch A stored")
            checks.eq("A: stored", d.event_count(), len(expected))

            # 2. broker down, then back on the same port and persistence dir
            broker.stop()
            d.wait_log("lost connection to MQTT broker", 20)
            checks.true("publishing while the broker is down fails",
                        broker.try_publish(TOPIC, batch("X", 1)[0]) != 0)
            d.wait_log("cannot connect to MQTT broker", 20)
            checks.true("daemon keeps running while the broker is down", d.alive())
            broker = Broker(tmp, port=port).start()
            d.wait_log("subscribed to", 30, count=2)
            b = batch("B", sizes["B"])
            broker.publish_lines(TOPIC, b)
            expected |= {json.loads(p)["event_id"] for p in b}
            wait_for(lambda: d.event_count() >= len(expected), 60, "batch B stored")
            checks.eq("B: stored after the broker restart", d.event_count(), len(expected))

            # 3. broker stopped in the middle of a large batch
            c = batch("C", sizes["C"])
            before = d.event_count()
            broker.publish_lines(TOPIC, c)
            expected |= {json.loads(p)["event_id"] for p in c}
            wait_for(lambda: d.event_count() >= before + 200, 60, "batch C under way")
            broker.stop()
            at_stop = d.event_count() - before
            print(f"  broker stopped with {at_stop} of {len(c)} of batch C stored")
            checks.true("C: broker stopped mid-batch", 0 < at_stop < len(c), str(at_stop))
            d.wait_log("lost connection to MQTT broker", 20, count=2)
            time.sleep(1.5)
            broker = Broker(tmp, port=port).start()
            d.wait_log("subscribed to", 30, count=3)
            wait_for(lambda: d.event_count() >= len(expected), 120, "batch C stored")
            checks.eq("C: stored after a mid-batch broker restart", d.event_count(), len(expected))

            # 4. daemon down: its session queues D
            checks.eq("daemon SIGTERM exits 0", d.stop(), 0)
            dd = batch("D", sizes["D"])
            broker.publish_lines(TOPIC, dd)
            expected |= {json.loads(p)["event_id"] for p in dd}
            d.start()
            wait_for(lambda: d.event_count() >= len(expected), 60, "batch D stored")
            checks.eq("D: queued while the daemon was down, then stored", d.event_count(), len(expected))

            # 5. daemon down, E queued, broker restarted, daemon up
            checks.eq("daemon SIGTERM exits 0 (2)", d.stop(), 0)
            e = batch("E", sizes["E"])
            broker.publish_lines(TOPIC, e)
            expected |= {json.loads(p)["event_id"] for p in e}
            broker.stop()
            broker = Broker(tmp, port=port).start()
            d.start()
            wait_for(lambda: d.event_count() >= len(expected), 60, "batch E stored")
            checks.eq("E: queued, survived a broker restart, stored", d.event_count(), len(expected))

            time.sleep(1.5)  # late redeliveries would show now
            keys = d.event_keys()
            distinct = set(keys)
            lost, extra = expected - distinct, distinct - expected
            print(f"sent {len(expected)} distinct events in 5 batches {sizes}; stored {len(keys)} rows, "
                  f"{len(distinct)} distinct; duplicates {len(keys) - len(distinct)}; lost {len(lost)}; "
                  f"unexpected {len(extra)}")
            checks.eq("count(*) of events", len(keys), len(expected))
            checks.eq("no event lost", sorted(lost)[:5], [])
            checks.eq("no unexpected event", sorted(extra)[:5], [])
            log = d.log_text()
            checks.true("log shows the connection lost", log.count("lost connection to MQTT broker") >= 2)
            checks.true("log shows the connection regained",
                        log.count("connected to MQTT broker") >= 5 and log.count("subscribed to") >= 5)
            checks.true("no storage failure logged", "storage failed" not in log)
            checks.eq("SIGTERM exits 0 at the end", d.stop(), 0)
        finally:
            d.stop()
            broker.stop()
    print(f"wall time {time.monotonic() - started:.1f} s")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
