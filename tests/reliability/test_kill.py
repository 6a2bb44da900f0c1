"""Reliability: floortrackd killed with SIGKILL at random moments while events flow.

20,000 distinct QoS 1 events (18,000 with an event_id, 2,000 without, whose key
floortrackd derives from topic + payload) plus 1,000 byte-identical repeats and
500 repeats of an event_id with different bytes are published in chunks from a
background thread through a real mosquitto (persistence on, unlimited queue,
inflight 100). Meanwhile floortrackd is SIGKILLed at seeded random moments 12
times and restarted; the kills land while publishing is still going on and
while the backlog is being drained. The last distinct event is published only
after the kills; once it is stored, everything queued before it has been
delivered. The database must then hold exactly the 20,000 expected event_keys,
each once.
"""
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Publisher, Workdir, derived_key, query, wait_for  # noqa: E402

SEED = 20261001
N = 20000
WITHOUT_ID = 2000
BYTE_DUPS = 1000
ID_DUPS = 500
KILLS = 12
TOPIC = "floor/kill/line-1"
STAGES = ["confirmed", "printed", "cast", "polished", "qc", "packed", "shipped"]


def make_events(rng):
    """Returns (payloads of the N distinct events, their expected event_keys)."""
    payloads, keys = [], []
    for i in range(N):
        order = f"K{i // 5:05d}"
        body = {"order_id": order, "stage": STAGES[i % 5],
                "ts": f"2026-10-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}.{i % 1000:03d}Z"}
        if i % 5 == 0:
            body["value"] = round(rng.uniform(40, 900), 2)
            body["customer_id"] = f"c{rng.randrange(500)}"
        if i < N - WITHOUT_ID - 1 or i == N - 1:
            body["event_id"] = f"kill-{i:05d}"
            key = body["event_id"]
            payload = json.dumps(body)
        else:
            body["station"] = f"s{i}"  # distinct bytes, no event_id
            payload = json.dumps(body)
            key = derived_key(TOPIC, payload)
        payloads.append(payload)
        keys.append(key)
    return payloads, keys


def main():
    checks = Checks()
    rng = random.Random(SEED)
    payloads, keys = make_events(rng)
    checks.eq("expected keys are distinct", len(set(keys)), N)
    sentinel = payloads[-1]
    byte_dups = rng.sample(payloads[:-1], BYTE_DUPS)
    with_id = [p for p in payloads[:-1] if '"event_id"' in p]
    id_dups = []
    for p in rng.sample(with_id, ID_DUPS):
        body = json.loads(p)
        body["station"] = "resent-with-other-bytes"
        id_dups.append(json.dumps(body))
    stream = payloads[:-1] + byte_dups + id_dups
    rng.shuffle(stream)
    chunks = [stream[i:i + 400] for i in range(0, len(stream), 400)]
    print(f"publishing {N} distinct events ({WITHOUT_ID} without event_id), {BYTE_DUPS} byte-identical "
          f"repeats, {ID_DUPS} same-event_id repeats: {len(stream) + 1} messages in {len(chunks) + 1} chunks")

    started = time.monotonic()
    with Workdir("kill") as tmp:
        broker = Broker(tmp).start()
        d = Daemon(tmp, broker.uri)
        pub = Publisher(broker, TOPIC, chunks, pause=0.3)
        try:
            d.start()
            pub.start()
            kills = []
            for k in range(KILLS):
                life = rng.uniform(0.5, 4.0)
                time.sleep(life)
                checks.true(f"kill {k + 1}: daemon alive before the kill", d.alive(),
                            d.log_text()[-2000:] if not d.alive() else "")
                code = d.kill()
                stored = d.event_count()
                kills.append((round(life, 2), pub.sent, stored))
                print(f"  kill {k + 1:2d} after {life:4.2f} s: published so far {pub.sent}, stored so far {stored}")
                checks.eq(f"kill {k + 1}: died of SIGKILL", code, -9)
                d.start(wait_subscribed=False)
            d.wait_log("subscribed to", 20, count=1)
            pub.join(300)
            checks.true("publisher finished", not pub.is_alive() and pub.error is None, repr(pub.error))
            checks.true("kills landed while publishing", any(sent < len(stream) for _, sent, _ in kills),
                        str(kills))
            checks.true("kills landed mid-ingest", sum(1 for _, _, s in kills if 0 < s < N) >= KILLS // 2,
                        str(kills))
            broker.publish(TOPIC, sentinel)
            wait_for(lambda: d.event_count() >= N - 1 and sentinel_stored(d, keys[-1]), 240,
                     "every event stored (the last one published is in)")
            time.sleep(2)  # late redeliveries, if any, would show now
            stored_keys = d.event_keys()
            distinct = set(stored_keys)
            expected = set(keys)
            lost = expected - distinct
            extra = distinct - expected
            duplicates = len(stored_keys) - len(distinct)
            print(f"sent {N} distinct + {BYTE_DUPS + ID_DUPS} duplicates; killed {len(kills)} times; "
                  f"stored {len(stored_keys)} rows, {len(distinct)} distinct keys; duplicates {duplicates}; "
                  f"lost {len(lost)}; unexpected {len(extra)}; publisher retries {pub.retries}")
            checks.eq("count(*) of events", len(stored_keys), N)
            checks.eq("no event lost", sorted(lost)[:5], [])
            checks.eq("no unexpected event", sorted(extra)[:5], [])
            checks.eq("no duplicate rows", duplicates, 0)
            checks.eq("database integrity_check", query(d.db, "PRAGMA integrity_check"), [("ok",)])
            checks.eq("order summaries count every event once",
                      query(d.db, "SELECT sum(event_count) FROM orders"), [(N,)])
            log = d.log_text()
            checks.true("no storage failure logged", "storage failed" not in log and "could not be stored" not in log)
            checks.eq("daemon ran once per start", log.count("starting; database"), KILLS + 1)
            checks.eq("SIGTERM exits 0 at the end", d.stop(), 0)
        finally:
            pub.stop_flag.set()
            d.stop(timeout=20)
            broker.stop()
            pub.join(30)
    print(f"wall time {time.monotonic() - started:.1f} s")
    return checks.finish()


def sentinel_stored(d, key):
    return query(d.db, "SELECT count(*) FROM events WHERE event_key = ?", (key,)) == [(1,)]


if __name__ == "__main__":
    sys.exit(main())
