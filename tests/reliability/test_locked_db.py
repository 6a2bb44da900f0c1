"""Reliability: another process locks the database.

1. A separate sqlite3 connection holds the write lock (BEGIN IMMEDIATE) for
   several seconds, far longer than storage.busy_timeout_ms = 200. Events
   published meanwhile are not stored (nor acknowledged), the daemon logs
   "storage unavailable (busy)" exactly once, keeps running, and once the lock
   is released logs "storage recovered; ingest resumed" and stores them all,
   each once.
2. A long-running read transaction (BEGIN; SELECT; kept open) does not stall
   ingest: in WAL mode events keep being stored while it is held.
"""
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, wait_for  # noqa: E402

TOPIC = "floor/locked/station-1"
BUSY = "storage unavailable (busy)"
RECOVERED = "storage recovered; ingest resumed"


def batch(name, n):
    return [json.dumps({"event_id": f"{name}-{i}", "order_id": f"{name}{i // 3}",
                        "stage": ["confirmed", "printed", "qc"][i % 3],
                        "ts": "2026-10-04T10:00:00Z"}) for i in range(n)]


def main():
    checks = Checks()
    started = time.monotonic()
    sizes = {"warmup": 50, "locked": 300, "reading": 300}
    with Workdir("locked") as tmp:
        broker = Broker(tmp).start()
        d = Daemon(tmp, broker.uri, storage="busy_timeout_ms = 200")
        writer = reader = None
        try:
            d.start()
            broker.publish_lines(TOPIC, batch("warm", sizes["warmup"]))
            wait_for(lambda: d.event_count() >= sizes["warmup"], 30, "warm-up stored")

            # 1. write lock held by someone else
            writer = sqlite3.connect(d.db, isolation_level=None, timeout=5)
            writer.execute("BEGIN IMMEDIATE")
            locked_at = time.monotonic()
            broker.publish_lines(TOPIC, batch("lock", sizes["locked"]))
            d.wait_log(BUSY, 10)
            time.sleep(6)  # many busy_timeout periods and several backoff retries
            during = d.event_count()
            busy_logs = d.log_text().count(BUSY)
            print(f"  write lock held {time.monotonic() - locked_at:.1f} s: stored {during - sizes['warmup']} "
                  f"of {sizes['locked']} meanwhile; '{BUSY}' logged {busy_logs} time(s)")
            checks.eq("nothing stored while the write lock is held", during, sizes["warmup"])
            checks.eq("busy logged exactly once while locked", busy_logs, 1)
            checks.true("daemon alive while locked", d.alive())
            writer.execute("COMMIT")
            writer.close()
            writer = None
            total = sizes["warmup"] + sizes["locked"]
            wait_for(lambda: d.event_count() >= total, 30, "locked batch stored after release")
            d.wait_log(RECOVERED, 10)
            log = d.log_text()
            checks.eq("busy logged exactly once overall", log.count(BUSY), 1)
            checks.eq("recovery logged once", log.count(RECOVERED), 1)

            # 2. a long read transaction must not stall the writer
            reader = sqlite3.connect(d.db, isolation_level=None, timeout=5)
            reader.execute("BEGIN")
            snapshot = reader.execute("SELECT count(*) FROM events").fetchone()[0]
            t0 = time.monotonic()
            broker.publish_lines(TOPIC, batch("read", sizes["reading"]))
            total += sizes["reading"]
            wait_for(lambda: d.event_count() >= total, 30, "events stored while a reader holds a snapshot")
            took = time.monotonic() - t0
            still = reader.execute("SELECT count(*) FROM events").fetchone()[0]
            print(f"  read transaction open (snapshot {snapshot} events): {sizes['reading']} more stored in "
                  f"{took:.1f} s; the reader still sees {still}")
            checks.true("reader's transaction was really held open", still == snapshot, f"{still} vs {snapshot}")
            reader.execute("COMMIT")
            reader.close()
            reader = None

            time.sleep(1)
            keys = d.event_keys()
            want = {json.loads(p)["event_id"] for name, n in (("warm", sizes["warmup"]), ("lock", sizes["locked"]),
                                                             ("read", sizes["reading"])) for p in batch(name, n)}
            print(f"sent {len(want)}; stored {len(keys)}; duplicates {len(keys) - len(set(keys))}; "
                  f"lost {len(want - set(keys))}")
            checks.eq("all stored exactly once", sorted(keys), sorted(want))
            log = d.log_text()
            checks.true("daemon never exited", d.alive() and log.count("starting; database") == 1)
            checks.true("no storage failure logged", "storage failed" not in log and "could not be stored" not in log)
            checks.eq("SIGTERM exits 0", d.stop(), 0)
        finally:
            for conn in (writer, reader):
                if conn:
                    conn.close()
            d.stop()
            broker.stop()
    print(f"wall time {time.monotonic() - started:.1f} s")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
