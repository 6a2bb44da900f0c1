"""Reliability: the database's file system fills up.

The database lives on a small tmpfs mounted under the test's directory (needs
root / CAP_SYS_ADMIN; if mounting is not permitted the test prints SKIP and
exits 0). After a warm-up, a filler file takes all the free space and events
with large unknown fields (about 12.5 KiB each, under the 64 KiB payload limit)
are published, so SQLite must grow its files and gets SQLITE_FULL. The daemon
must log "storage unavailable (full)" once, keep running and acknowledge
nothing it has not stored; once the filler is removed it logs "storage
recovered; ingest resumed" and every published event ends up stored exactly
once.
"""
import errno
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, wait_for  # noqa: E402

TOPIC = "floor/full/station-1"
FULL = "storage unavailable (full)"
RECOVERED = "storage recovered; ingest resumed"
FS_SIZE = "8m"
WARMUP = 30
BIG = 200


def small(i):
    return json.dumps({"event_id": f"warm-{i}", "order_id": f"W{i // 3}", "stage": "confirmed",
                       "ts": "2026-10-05T09:00:00Z"})


def big(i):
    body = {"event_id": f"big-{i}", "order_id": f"F{i // 4}", "stage": ["confirmed", "printed", "cast", "qc"][i % 4],
            "ts": "2026-10-05T10:00:00Z"}
    body.update({f"note{k}": f"{i:05d}" + "n" * 245 for k in range(50)})  # unknown fields: ignored, but stored raw
    return json.dumps(body)


def fill(path):
    """Writes path until the file system has no room left; returns bytes written."""
    written = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for size in (1 << 20, 64 << 10, 4 << 10, 512):
            block = b"\1" * size
            while True:
                try:
                    n = os.write(fd, block)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
                written += n
                if n < size:
                    break
    finally:
        os.close(fd)
    return written


def main():
    checks = Checks()
    started = time.monotonic()
    with Workdir("disk-full") as tmp:
        mnt = os.path.join(tmp, "dbfs")
        os.makedirs(mnt)
        mount = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={FS_SIZE},mode=0755", "tmpfs", mnt],
                               capture_output=True, text=True)
        if mount.returncode != 0:
            print(f"SKIP: cannot mount a tmpfs for the database (needs root/CAP_SYS_ADMIN): "
                  f"{mount.stderr.strip()}")
            return 0
        broker = Broker(tmp).start()
        d = Daemon(tmp, broker.uri, db=os.path.join(mnt, "floortrack.db"))
        filler = os.path.join(mnt, "filler")
        try:
            d.start()
            broker.publish_lines(TOPIC, [small(i) for i in range(WARMUP)])
            wait_for(lambda: d.event_count() >= WARMUP, 30, "warm-up stored")

            filled = fill(filler)
            st = os.statvfs(mnt)
            print(f"  tmpfs {FS_SIZE}: filler {filled} bytes, {st.f_bavail * st.f_frsize} bytes left")
            broker.publish_lines(TOPIC, [big(i) for i in range(BIG)])
            d.wait_log(FULL, 30)
            time.sleep(4)  # several retries while still full
            stuck = d.event_count()
            time.sleep(2)
            log = d.log_text()
            print(f"  while full: {stuck - WARMUP} of {BIG} big events stored; '{FULL}' logged {log.count(FULL)} time(s)")
            checks.eq("no progress while the disk is full", d.event_count(), stuck)
            checks.true("not everything fit", stuck < WARMUP + BIG, str(stuck))
            checks.eq("full logged exactly once", log.count(FULL), 1)
            checks.true("daemon alive while the disk is full", d.alive())
            checks.true("no other storage condition logged",
                        log.count("storage unavailable (") == 1, log[-2000:])

            os.remove(filler)
            wait_for(lambda: d.event_count() >= WARMUP + BIG, 60, "everything stored after space was freed")
            d.wait_log(RECOVERED, 10)
            time.sleep(1)
            keys = d.event_keys()
            want = {f"warm-{i}" for i in range(WARMUP)} | {f"big-{i}" for i in range(BIG)}
            print(f"sent {WARMUP + BIG}; stored {len(keys)}; duplicates {len(keys) - len(set(keys))}; "
                  f"lost {len(want - set(keys))}")
            checks.eq("all stored exactly once", sorted(keys), sorted(want))
            log = d.log_text()
            checks.eq("full logged exactly once overall", log.count(FULL), 1)
            checks.eq("recovery logged once", log.count(RECOVERED), 1)
            checks.true("daemon never exited", d.alive() and log.count("starting; database") == 1)
            checks.true("no storage failure logged", "storage failed" not in log and "could not be stored" not in log)
            checks.eq("SIGTERM exits 0", d.stop(), 0)
        finally:
            d.stop()
            broker.stop()
            if subprocess.run(["umount", mnt]).returncode != 0:
                subprocess.run(["umount", "-l", mnt])
    print(f"wall time {time.monotonic() - started:.1f} s")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
