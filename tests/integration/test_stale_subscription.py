"""A restart with a changed `mqtt.topics` list behaves like a reload.

The broker's persistent session keeps every subscription across floortrackd's
restarts, so a filter removed from the config would keep delivering unless
floortrackd unsubscribes it. floortrackd remembers what it subscribed (in the
database) and unsubscribes, at connect, what is no longer configured.

Start with topics [line-a/#, line-b/#], stop, restart with [line-a/#]:
an event published on line-b/ is not stored; one on line-a/ is.
(Passes only with the database-backed subscription record; with an in-memory
record the restarted daemon has forgotten line-b/#.)
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, query, wait_for  # noqa: E402


def stop_all(*steps):
    """Runs every clean-up step even when one fails (a daemon that ignores
    SIGTERM must not leave its broker running), then raises the first error."""
    error = None
    for step in steps:
        try:
            step()
        except Exception as e:  # noqa: BLE001 - re-raised below
            error = error or e
    if error:
        raise error


def event(order):
    return json.dumps({"event_id": f"{order}-e", "order_id": order, "stage": "confirmed",
                       "ts": "2026-10-06T08:00:00Z"})


def with_topics(d, topics):
    text = open(d.config).read()
    listed = ", ".join(f'"{t}"' for t in topics)
    with open(d.config, "w") as f:
        f.write(text.replace("[mqtt]\n", f"[mqtt]\ntopics = [{listed}]\n", 1))


def orders(d):
    return sorted(r[0] for r in query(d.db, "SELECT order_id FROM events") or [])


def main():
    checks = Checks()
    with Workdir("stale-sub") as tmp:
        broker = Broker(tmp).start()
        d = Daemon(tmp, broker.uri)
        try:
            with_topics(d, ["line-a/#", "line-b/#"])
            d.start()
            broker.publish("line-b/station-1", event("B1"))
            wait_for(lambda: orders(d) == ["B1"], 10, "line-b event stored while subscribed")
            checks.eq("first run: SIGTERM exits 0", d.stop(), 0)

            d = Daemon(tmp, broker.uri)  # rewrites the config
            with_topics(d, ["line-a/#"])
            d.start()
            d.wait_log("subscribed to line-a/# at QoS 1", 20, count=1)
            broker.publish("line-b/station-1", event("B2"))  # must not reach floortrackd
            broker.publish("line-a/station-1", event("A1"))  # delivered after B2 if B2 is delivered at all
            wait_for(lambda: "A1" in orders(d), 10, "line-a event stored")
            time.sleep(0.5)
            stored = orders(d)
            print(f"  stored after the restart: {stored}")
            checks.true("restart: the dropped filter was unsubscribed (line-b event not stored)",
                        "B2" not in stored, str(stored))
            checks.true("restart: the log says what was unsubscribed",
                        "unsubscribed from line-b/#" in d.log_text())
            checks.eq("second run: SIGTERM exits 0", d.stop(), 0)
        finally:
            stop_all(d.stop, broker.stop)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
