"""Reliability: floortrackd killed with SIGKILL at random moments while events flow.

20,000 distinct QoS 1 events of all three identities (docs/reliability.md):
16,000 with an event_id, 2,000 with a `ts` but no id (identity: topic and
decoded fields), 2,000 with neither (identity: the delivery; only a broker
redelivery collapses). Mixed in: 1,000 byte-identical repeats and 500
re-serialized repeats (other key order and spacing, same fields) of events
that carry an id or a ts, which must collapse; and 200 content-only events
sent twice on purpose (a scan repeated in a rework loop), far apart in the
stream, which must both be stored. Published in chunks from a background
thread through a real mosquitto (persistence on, unlimited queue, inflight
100) while floortrackd is SIGKILLed at seeded random moments 12 times and
restarted; the kills land while publishing and while the backlog drains. The
last event is published only after the kills; once it is stored, everything
queued before it has been delivered. Every event carries a unique marker in
`station`; the database must hold each marker exactly once (the 200 repeated
scans exactly twice): nothing lost, nothing doubled.
"""
import json
import os
import random
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Publisher, Workdir, query, wait_for  # noqa: E402

SEED = 20261001
N = 20000
WITH_TS_ONLY = 2000
CONTENT_ONLY = 2000
BYTE_DUPS = 1000
RESERIALIZED = 500
REWORK = 200
KILLS = 12
TOPIC = "floor/kill/line-1"
STAGES = ["confirmed", "printed", "cast", "polished", "qc", "packed", "shipped"]


def make_events(rng):
    """Returns the N distinct payloads, the kind of each, and its station marker."""
    payloads, kinds = [], []
    for i in range(N):
        order = f"K{i // 5:05d}"
        body = {"order_id": order, "stage": STAGES[i % 5], "station": f"s{i}"}
        if i % 5 == 0:
            body["value"] = round(rng.uniform(40, 900), 2)
            body["customer_id"] = f"c{rng.randrange(500)}"
        if i < N - WITH_TS_ONLY - CONTENT_ONLY - 1 or i == N - 1:
            kind = "id"
            body["event_id"] = f"kill-{i:05d}"
        elif i < N - CONTENT_ONLY - 1:
            kind = "ts"
        else:
            kind = "content"
        if kind != "content":
            body["ts"] = (f"2026-10-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:"
                          f"{(i * 7) % 60:02d}.{i % 1000:03d}Z")
        payloads.append(json.dumps(body))
        kinds.append(kind)
    return payloads, kinds


def main():
    checks = Checks()
    rng = random.Random(SEED)
    payloads, kinds = make_events(rng)
    sentinel = payloads[-1]
    keyed = [p for p, k in zip(payloads[:-1], kinds[:-1]) if k != "content"]
    byte_dups = rng.sample(keyed, BYTE_DUPS)
    reserialized = []
    for p in rng.sample(keyed, RESERIALIZED):
        body = json.loads(p)
        reserialized.append(json.dumps(dict(reversed(list(body.items()))), indent=1))
    stream = payloads[:-1] + byte_dups + reserialized
    rng.shuffle(stream)
    # Scans repeated on purpose: the first sending in the first half of the
    # stream, the repeat appended at its end, so thousands of messages apart.
    first_half = set(stream[: len(stream) // 2])
    content_only = [p for p, k in zip(payloads[:-1], kinds[:-1]) if k == "content" and p in first_half]
    rework = rng.sample(content_only, REWORK)
    stream += rework
    chunks = [stream[i:i + 400] for i in range(0, len(stream), 400)]
    print(f"publishing {N} distinct events ({WITH_TS_ONLY} with ts only, {CONTENT_ONLY} with neither id nor ts), "
          f"{BYTE_DUPS} byte-identical and {RESERIALIZED} re-serialized repeats, {REWORK} repeated scans: "
          f"{len(stream) + 1} messages in {len(chunks) + 1} chunks")
    expected = Counter(json.loads(p)["station"] for p in payloads)
    for p in rework:
        expected[json.loads(p)["station"]] += 1
    total = sum(expected.values())

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
            last = json.loads(sentinel)["station"]
            wait_for(lambda: d.event_count() >= total - 1 and sentinel_stored(d, last), 240,
                     "every event stored (the last one published is in)")
            time.sleep(2)  # late redeliveries, if any, would show now
            stored = Counter(station for (station,) in query(d.db, "SELECT station FROM events"))
            lost = expected - stored
            doubled = stored - expected
            print(f"sent {N} distinct + {BYTE_DUPS + RESERIALIZED} repeats + {REWORK} repeated scans; "
                  f"killed {len(kills)} times; stored {sum(stored.values())} rows; "
                  f"lost {sum(lost.values())}; doubled {sum(doubled.values())}; "
                  f"publisher retries {pub.retries}")
            checks.eq("count(*) of events", sum(stored.values()), total)
            checks.eq("no event lost", sorted(lost)[:5], [])
            checks.eq("no event doubled", sorted(doubled)[:5], [])
            for kind in ("id", "ts", "content"):
                want = sum(1 for k in kinds if k == kind)
                markers = {f"s{i}" for i, k in enumerate(kinds) if k == kind}
                checks.eq(f"every {kind} event stored", sum(1 for m in markers if stored[m] >= 1), want)
            checks.eq("repeated scans stored twice",
                      sum(1 for p in rework if stored[json.loads(p)["station"]] == 2), REWORK)
            checks.eq("database integrity_check", query(d.db, "PRAGMA integrity_check"), [("ok",)])
            checks.eq("order summaries count every event once",
                      query(d.db, "SELECT sum(event_count) FROM orders"), [(total,)])
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


def sentinel_stored(d, station):
    return query(d.db, "SELECT count(*) FROM events WHERE station = ?", (station,)) == [(1,)]


if __name__ == "__main__":
    sys.exit(main())
