"""Reliability: the floortrack CLI is read-only and works for a read-only user.

The database directory and files belong to root (who runs floortrackd here);
the CLI runs as nobody:nogroup (setpriv), which may read the files and search
the directory but write neither. Every command (kpi, status, orders, rejects;
text and JSON) must succeed, print exactly what root's CLI prints, and leave
the database file and its -wal byte-for-byte unchanged and no new file in the
directory:
1. while floortrackd runs (idle: it writes only when events arrive);
2. after floortrackd stopped cleanly (SIGTERM).
Also while floortrackd is busy ingesting, nobody's CLI keeps working; and for
a copy of the database without its -wal/-shm (restored from a backup) in a
directory nobody may not write, it fails with a message saying why.
"""
import json
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, binary, sha256_file, wait_for  # noqa: E402

TOPIC = "floor/cli/station-1"
AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def events():
    out = []
    for i in range(40):
        order = f"R{i // 4:03d}"
        stage = ["confirmed", "printed", "qc", "shipped"][i % 4]
        body = {"event_id": f"ro-{i}", "order_id": order, "stage": stage,
                "ts": f"2026-10-06T{8 + i % 4:02d}:00:00Z"}
        if stage == "confirmed":
            body.update(value=100 + i, customer_id=f"c{i % 3}", personalized=i % 8 == 0)
        if stage == "printed":
            body["material"] = {"type": "castable-resin", "used_g": 5.0, "scrap_g": 0.5}
        out.append(json.dumps(body))
    return out + ["not json at all", json.dumps({"order_id": "R1", "stage": "nope"})]


COMMANDS = [["kpi"], ["kpi", "--json"], ["kpi", "--since", "2026-10-06", "--until", "2026-10-07", "--json"],
            ["status", "R001"], ["status", "R001", "--json"], ["orders"], ["orders", "--open", "--json"],
            ["orders", "--limit", "3", "--json"], ["rejects"], ["rejects", "--json"]]


def same_output(a, b):
    """Equal up to the ages of open orders, which depend on when each command ran."""
    def mask(text):
        text = re.sub(r'"age_hours": [-0-9.e+]+', '"age_hours": AGE', text)
        return "\n".join(re.sub(r"-?[0-9]+\.[0-9]+ h", "AGE h", line) if "shipped" not in line else line
                         for line in text.splitlines())
    return mask(a) == mask(b)


def run(cmd, as_nobody):
    full = (AS_NOBODY if as_nobody else []) + cmd
    return subprocess.run(full, capture_output=True, text=True, timeout=60)


def snapshot(data_dir, db):
    return {"files": sorted(os.listdir(data_dir)), "db": sha256_file(db), "wal": sha256_file(db + "-wal")}


def check_phase(checks, phase, d, data_dir):
    base = [binary("floortrack"), "--config", d.config, "--db", d.db]
    before = snapshot(data_dir, d.db)
    ok = 0
    for cmd in COMMANDS:
        name = " ".join(cmd)
        nobody = run(base + cmd, as_nobody=True)  # first: root's CLI must not prepare anything for it
        after_nobody = snapshot(data_dir, d.db)
        root = run(base + cmd, as_nobody=False)
        after_root = snapshot(data_dir, d.db)
        checks.eq(f"{phase}: root `{name}` exits 0", (root.returncode, root.stderr), (0, ""))
        checks.eq(f"{phase}: nobody `{name}` exits 0", (nobody.returncode, nobody.stderr), (0, ""))
        checks.true(f"{phase}: nobody `{name}` prints what root prints",
                    same_output(nobody.stdout, root.stdout) and root.stdout.strip(), f"{nobody.stdout!r} vs {root.stdout!r}")
        checks.eq(f"{phase}: `{name}` as root changes nothing", after_root, before)
        checks.eq(f"{phase}: `{name}` as nobody changes nothing", after_nobody, before)
        ok += root.returncode == 0 and nobody.returncode == 0
    print(f"  {phase}: {ok} of {len(COMMANDS)} commands ran as root and as nobody; files {before['files']}")


def main():
    checks = Checks()
    started = time.monotonic()
    with Workdir("cli-ro") as tmp:
        os.chmod(tmp, 0o755)
        data_dir = os.path.join(tmp, "data")
        os.makedirs(data_dir, mode=0o755)
        os.chmod(data_dir, 0o755)
        broker = Broker(tmp).start()
        d = Daemon(tmp, broker.uri, db=os.path.join(data_dir, "floortrack.db"))
        os.chmod(d.config, 0o644)
        try:
            old_umask = os.umask(0o022)
            try:
                d.start()
            finally:
                os.umask(old_umask)
            payloads = events()
            broker.publish_lines(TOPIC, payloads)
            wait_for(lambda: d.event_count() >= 40 and d.reject_count() >= 2, 30, "events stored")
            time.sleep(0.5)
            probe = run(["sh", "-c", f"test -r {d.db} && ! test -w {d.db} && ! test -w {data_dir}"], as_nobody=True)
            checks.eq("nobody may read but not write the db and its directory", probe.returncode, 0)
            check_phase(checks, "daemon running", d, data_dir)
            # nobody's CLI while the daemon is busy writing
            more = [json.dumps({"event_id": f"busy-{i}", "order_id": f"B{i // 2:03d}",
                                "stage": "confirmed" if i % 2 == 0 else "printed",
                                "ts": "2026-10-07T08:00:00Z"}) for i in range(600)]
            # Published in chunks from a thread: the daemon (with its ingest
            # journal) stores 600 events faster than the CLI starts once, so
            # one burst would be stored before the first run.
            def publish_slowly():
                for k in range(0, len(more), 30):
                    broker.publish_lines(TOPIC, more[k:k + 30])
                    time.sleep(0.1)
            publisher = threading.Thread(target=publish_slowly)
            publisher.start()
            runs, failures, seen = 0, [], set()
            while d.event_count() < 640 and runs < 500:
                r = run([binary("floortrack"), "--db", d.db, "orders", "--json"], as_nobody=True)
                runs += 1
                if r.returncode != 0:
                    failures.append(r.stderr.strip())
                else:
                    seen.add(len(json.loads(r.stdout)))
            publisher.join()
            wait_for(lambda: d.event_count() >= 640, 30, "busy batch stored")
            print(f"  while ingesting 600 more events: {runs} `orders --json` runs as nobody, "
                  f"{len(failures)} failed, {len(seen)} different order counts seen")
            checks.eq("nobody's CLI works while the daemon writes", failures[:3], [])
            checks.true("...and saw the data change", len(seen) >= 2, str(seen))
            checks.eq("daemon SIGTERM exits 0", d.stop(), 0)
            check_phase(checks, "daemon stopped", d, data_dir)
            k = json.loads(run([binary("floortrack"), "--db", d.db, "kpi", "--json"], as_nobody=True).stdout or "{}")
            print(f"sent 40 events + 2 garbage; stored {d.event_count()} events, {d.reject_count()} rejects; "
                  f"kpi as nobody: {k.get('orders')}")
            checks.eq("kpi as nobody sees every order", k.get("orders"), {"confirmed": 310, "shipped": 10, "open": 300})
            # A copy without -wal/-shm (restored from a backup) in a directory nobody may not write:
            # nobody's CLI cannot open it; it must say why, and change nothing.
            restored_dir = os.path.join(tmp, "restored")
            os.makedirs(restored_dir, mode=0o755)
            os.chmod(restored_dir, 0o755)
            restored = os.path.join(restored_dir, "floortrack.db")
            with open(d.db, "rb") as src, open(restored, "wb") as dst:
                dst.write(src.read())
            os.chmod(restored, 0o644)
            before = snapshot(restored_dir, restored)
            r = run([binary("floortrack"), "--db", restored, "kpi"], as_nobody=True)
            print(f"  restored copy without -wal/-shm, as nobody: exit {r.returncode}: {r.stderr.strip()}")
            checks.true("restored copy: nobody gets a non-zero exit naming the missing -shm",
                        r.returncode != 0 and restored + "-shm" in r.stderr and "start floortrackd" in r.stderr,
                        r.stderr)
            checks.eq("restored copy: nothing changed", snapshot(restored_dir, restored), before)
        finally:
            d.stop()
            broker.stop()
    print(f"wall time {time.monotonic() - started:.1f} s")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
