"""Reliability: floortrackd started while nothing listens on the broker's port.

It must keep running, log that it cannot connect and is retrying (with capped
backoff: reconnect_max_ms = 1000 here), then connect and subscribe as soon as
mosquitto appears on that port, and store what is published.
"""
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, free_port, wait_for  # noqa: E402

TOPIC = "floor/absent/station-1"
EVENTS = 200


def main():
    checks = Checks()
    started = time.monotonic()
    with Workdir("broker-absent") as tmp:
        port = free_port()
        d = Daemon(tmp, f"tcp://127.0.0.1:{port}")
        broker = None
        try:
            d.start(wait_subscribed=False)
            d.wait_log("cannot connect to MQTT broker", 20, count=5)
            time.sleep(2.5)  # long enough for the backoff to reach its cap
            log = d.log_text()
            attempts = log.count("cannot connect to MQTT broker")
            delays = [int(x) for x in re.findall(r"retrying in (\d+) ms", log)]
            print(f"  {attempts} failed connect attempts logged, delays {delays[:10]}")
            checks.true("daemon keeps running with no broker", d.alive())
            checks.true("log names the broker address", f"127.0.0.1:{port}" in log)
            checks.true("backoff grows", len(delays) >= 3 and delays[1] > delays[0], str(delays))
            checks.true("backoff capped at reconnect_max_ms", max(delays) == 1000, str(delays))
            checks.true("not subscribed yet", "subscribed to" not in log)

            broker = Broker(tmp, port=port).start()
            t0 = time.monotonic()
            d.wait_log("subscribed to", 10)
            print(f"  subscribed {time.monotonic() - t0:.2f} s after the broker came up")
            payloads = [json.dumps({"event_id": f"abs-{i}", "order_id": f"AB{i // 2}",
                                    "stage": "confirmed" if i % 2 == 0 else "printed",
                                    "ts": "2026-10-03T08:00:00Z"}) for i in range(EVENTS)]
            broker.publish_lines(TOPIC, payloads)
            wait_for(lambda: d.event_count() >= EVENTS, 30, "events stored")
            time.sleep(0.5)
            keys = d.event_keys()
            print(f"sent {EVENTS}; stored {len(keys)}; duplicates {len(keys) - len(set(keys))}; "
                  f"lost {EVENTS - len(set(keys))}")
            checks.eq("events stored once each", sorted(keys), sorted(f"abs-{i}" for i in range(EVENTS)))
            checks.eq("SIGTERM exits 0", d.stop(), 0)
        finally:
            d.stop()
            if broker:
                broker.stop()
    print(f"wall time {time.monotonic() - started:.1f} s")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
