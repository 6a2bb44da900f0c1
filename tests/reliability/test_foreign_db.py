"""Reliability: floortrackd pointed at a file that is not its database.

For a file of random bytes, another application's SQLite database (rollback
journal and WAL variants), and a floortrack database with a newer schema
version, floortrackd must exit non-zero promptly with a message naming the
path, leave the file's bytes unchanged and create no -wal/-shm/-journal next
to it.
"""
import os
import random
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, sha256_file  # noqa: E402


def random_file(path):
    with open(path, "wb") as f:
        f.write(random.Random(42).randbytes(64 * 1024))


def foreign_db(path, wal=False):
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE invoices(id INTEGER PRIMARY KEY, customer TEXT, total REAL)")
    conn.executemany("INSERT INTO invoices(customer, total) VALUES (?, ?)", [(f"c{i}", i * 1.5) for i in range(500)])
    conn.commit()
    conn.close()  # last connection: a WAL database is checkpointed and its -wal removed


def newer_schema(path, broker, tmp):
    """A real floortrack database whose user_version claims a future schema."""
    sub = os.path.join(tmp, "newer")
    os.makedirs(sub)
    d = Daemon(sub, broker.uri, db=path, client_id="floortrackd-newer")
    d.start()
    d.stop()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()


def main():
    checks = Checks()
    started = time.monotonic()
    with Workdir("foreign") as tmp:
        broker = Broker(tmp).start()
        try:
            cases = [("random bytes", "random.db", random_file, "not a database"),
                     ("foreign SQLite (rollback journal)", "invoices.db", foreign_db, "not a floortrack database"),
                     ("foreign SQLite (WAL)", "invoices-wal.db", lambda p: foreign_db(p, wal=True),
                      "not a floortrack database"),
                     ("floortrack, newer schema", "newer.db", lambda p: newer_schema(p, broker, tmp), "newer")]
            for name, filename, make, needle in cases:
                case_dir = os.path.join(tmp, filename + ".d")
                os.makedirs(case_dir)
                path = os.path.join(case_dir, filename)
                make(path)
                before = sha256_file(path)
                listing = sorted(os.listdir(case_dir))
                d = Daemon(case_dir, broker.uri, db=path)
                d.log_path = os.path.join(tmp, filename + ".log")  # keep the db's directory untouched
                d.start(wait_subscribed=False)
                try:
                    code = d.proc.wait(15)
                except subprocess.TimeoutExpired:
                    code = None
                d.stop()
                out = d.log_text()
                message = out.strip().splitlines()[-1] if out.strip() else ""
                print(f"  {name}: exit {code}: {message}")
                checks.true(f"{name}: exits non-zero", code not in (None, 0), str(code))
                checks.true(f"{name}: message names the path", path in out, out)
                checks.true(f"{name}: message says what is wrong ({needle!r})", needle in out, out)
                checks.eq(f"{name}: file bytes unchanged", sha256_file(path), before)
                after = sorted(f for f in os.listdir(case_dir) if f != "floortrack.toml")
                checks.eq(f"{name}: no files created next to it", after,
                          [f for f in listing if f != "floortrack.toml"])
                checks.true(f"{name}: never subscribed", "subscribed to" not in out)
        finally:
            broker.stop()
    print(f"wall time {time.monotonic() - started:.1f} s")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
