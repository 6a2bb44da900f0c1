"""Reliability: stopping never acknowledges what was not stored.

floortrackd talks to mosquitto through a proxy (tests/lib/mqtt_proxy.py) that
sees every PUBACK floortrackd sends and which event it acknowledges.

1. SIGTERM while a reconnect is under way, with a backlog queued at the broker.
   The proxy drops the connection, then holds floortrackd's reconnect: its
   CONNECT sits unanswered (a connect under way). A backlog is published to
   the broker for the offline session. floortrackd gets SIGTERM; right after
   it has logged the signal, its event loop is frozen on a full stderr pipe
   (so whatever the stop does next, it has done by then and cannot race the
   test), and the proxy lets the connect through: the broker resumes the
   session and sends the backlog. Then the pipe is drained and floortrackd
   exits. Every event floortrackd acknowledged must be in the database at
   that point; after a restart every event of the run is stored exactly once.
2. SIGTERM while connected and a large backlog streams in: same checks.
"""
import fcntl
import json
import os
import select
import signal
import subprocess
import sys
import termios
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, binary, query, wait_for  # noqa: E402
from mqtt_proxy import MqttProxy  # noqa: E402

TOPIC = "floor/stop/station-1"
F_SETPIPE_SZ = 1031
PIPE_SIZE = 4096  # one page: what fits is exactly PIPE_SIZE minus what is queued
ROOM = 100  # the signal line fits, nothing much after it


def batch(name, n):
    return [json.dumps({"event_id": f"{name}-{i:05d}", "order_id": f"{name}{i // 4:04d}",
                        "stage": ["confirmed", "printed", "cast", "qc"][i % 4],
                        "ts": "2026-10-05T10:00:00Z"}) for i in range(n)]


def event_ids(payloads):
    return {json.loads(p)["event_id"] for p in payloads}


class LogPipe:
    """floortrackd's stderr as a pipe the test can stop draining and fill."""

    def __init__(self, log_path):
        self.r, self.w = os.pipe()
        fcntl.fcntl(self.w, F_SETPIPE_SZ, PIPE_SIZE)
        self.log = open(log_path, "ab")
        self.pause_requested = threading.Event()
        self.parked = threading.Event()
        self.resume_event = threading.Event()
        self.stopped = False
        threading.Thread(target=self._run, daemon=True).start()

    def _drain(self):
        while select.select([self.r], [], [], 0)[0]:
            data = os.read(self.r, 65536)
            if not data:
                return
            self.log.write(data.replace(b"\0", b""))
            self.log.flush()

    def _run(self):
        while not self.stopped:
            if self.pause_requested.is_set():
                self._drain()
                self.parked.set()
                self.resume_event.wait()
                self.resume_event.clear()
                self.parked.clear()
                continue
            if select.select([self.r], [], [], 0.05)[0]:
                self._drain()

    def queued(self):
        return int.from_bytes(fcntl.ioctl(self.r, termios.FIONREAD, b"\0\0\0\0"), "little")

    def freeze(self, room):
        """Stops draining and fills the pipe so that only `room` bytes fit."""
        self.pause_requested.set()
        self.parked.wait(5)
        filler = PIPE_SIZE - room - self.queued()
        os.write(self.w, b"\0" * filler)
        return self.queued()

    def thaw(self):
        self.pause_requested.clear()
        self.resume_event.set()

    def close(self):
        self.thaw()
        self.stopped = True
        time.sleep(0.1)
        self._drain()
        os.close(self.w)
        os.close(self.r)
        self.log.close()


def start_piped(d):
    pipe = LogPipe(d.log_path)
    d.proc = subprocess.Popen([binary("floortrackd"), "--config", d.config],
                              stdout=pipe.w, stderr=pipe.w)
    return pipe


def set_mqtt(d, line):
    text = open(d.config).read().replace("[mqtt]\n", f"[mqtt]\n{line}\n", 1)
    with open(d.config, "w") as f:
        f.write(text)


def stored_ids(db):
    return [r[0] for r in query(db, "SELECT event_key FROM events") or []]


def stop_during_reconnect(checks, tmp, broker, expected):
    proxy = MqttProxy(broker.port)
    d = Daemon(tmp, proxy.uri, client_id="floortrackd-stop")
    d.log_path = os.path.join(tmp, "floortrackd-1.log")
    set_mqtt(d, "connect_timeout_s = 30")
    pipe = start_piped(d)
    try:
        d.wait_log("subscribed to", 20)
        a = batch("A", 100)
        broker.publish_lines(TOPIC, a)
        expected |= event_ids(a)
        wait_for(lambda: d.event_count() >= len(expected), 30, "batch A stored")

        proxy.hold()
        proxy.drop_all()
        d.wait_log("lost connection to MQTT broker", 10)
        wait_for(proxy.held_with_data, 10, "floortrackd's CONNECT held by the proxy")
        b = batch("B", 500)
        broker.publish_lines(TOPIC, b)  # queued for the offline session
        expected |= event_ids(b)
        acked_before = len(proxy.acked_payloads())

        filled = pipe.freeze(ROOM)
        d.proc.send_signal(signal.SIGTERM)
        wait_for(lambda: pipe.queued() > filled, 10, "the signal logged")
        time.sleep(0.5)  # the event loop runs on until its next log line, which blocks
        proxy.release()  # the connect completes; the broker sends the backlog

        def settled():
            n = len(proxy.acked_payloads())
            time.sleep(1.0)
            return len(proxy.acked_payloads()) == n
        wait_for(settled, 30, "acknowledgements to settle")
        acked = [json.loads(p)["event_id"] for p in proxy.acked_payloads()[acked_before:]]
        in_db_while_frozen = set(stored_ids(d.db))
        pipe.thaw()
        try:
            code = d.proc.wait(60)
        except subprocess.TimeoutExpired:
            d.proc.kill()
            code = d.proc.wait(10)
            checks.true("1: floortrackd exits after SIGTERM", False, "killed after 60 s")
        stored = set(stored_ids(d.db))
        unstored = [e for e in acked if e not in stored]
        print(f"  1: backlog {len(b)}; acknowledged while stopping {len(acked)}; stored by then "
              f"{len(in_db_while_frozen & event_ids(b))}; acknowledged but not stored {len(unstored)}; "
              f"exit {code}")
        checks.eq("1: every event acknowledged during the stop is stored", unstored[:5], [])
        checks.eq("1: SIGTERM during a reconnect exits 0", code, 0)
    finally:
        if d.proc and d.proc.poll() is None:
            pipe.thaw()
            d.proc.kill()
            d.proc.wait(10)
        pipe.close()
        proxy.close()
    return d


def stop_during_backlog(checks, tmp, broker, expected):
    proxy = MqttProxy(broker.port)
    d = Daemon(tmp, proxy.uri, client_id="floortrackd-stop")
    d.log_path = os.path.join(tmp, "floortrackd-2.log")
    d.start()
    try:
        c = batch("C", 4000)
        before = d.event_count()
        publisher = threading.Thread(target=broker.publish_lines, args=(TOPIC, c), daemon=True)
        publisher.start()
        expected |= event_ids(c)
        wait_for(lambda: d.event_count() >= before + 300, 60, "batch C under way")
        code = d.stop()
        publisher.join(120)
        acked = [json.loads(p)["event_id"] for p in proxy.acked_payloads()]
        stored = set(stored_ids(d.db))
        unstored = [e for e in acked if e not in stored]
        print(f"  2: acknowledged {len(acked)}, stored {len(stored & event_ids(c))} of {len(c)} "
              f"when SIGTERM ended the run; acknowledged but not stored {len(unstored)}; exit {code}")
        checks.eq("2: every event acknowledged before the stop is stored", unstored[:5], [])
        checks.eq("2: SIGTERM during a backlog exits 0", code, 0)
    finally:
        try:
            d.stop()
        finally:
            proxy.close()


def main():
    checks = Checks()
    started = time.monotonic()
    expected = set()
    with Workdir("stop-reconnect") as tmp:
        broker = Broker(tmp).start()
        try:
            d = stop_during_reconnect(checks, tmp, broker, expected)
            stop_during_backlog(checks, tmp, broker, expected)
            # Whatever stayed with the broker arrives now; nothing lost, nothing twice.
            d = Daemon(tmp, broker.uri, client_id="floortrackd-stop")
            d.log_path = os.path.join(tmp, "floortrackd-3.log")
            d.start()
            try:
                try:
                    wait_for(lambda: d.event_count() >= len(expected), 90, "every event stored after the restart")
                except AssertionError as e:  # lost events: counted below
                    print(f"  {e}")
                time.sleep(1.5)  # late redeliveries would show now
                keys = d.event_keys()
                lost = expected - set(keys)
                print(f"sent {len(expected)} distinct events; stored {len(keys)} rows, {len(set(keys))} distinct; "
                      f"lost {len(lost)}")
                checks.eq("after the restart: every event stored", sorted(lost)[:5], [])
                checks.eq("after the restart: each exactly once", len(keys), len(set(keys)))
                checks.true("no storage failure logged", "could not be stored" not in d.log_text())
                checks.eq("SIGTERM exits 0 at the end", d.stop(), 0)
            finally:
                d.stop()
        finally:
            broker.stop()
    print(f"wall time {time.monotonic() - started:.1f} s")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
