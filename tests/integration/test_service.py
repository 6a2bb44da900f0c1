"""floortrackd as a systemd service: sd_notify protocol, reload, config checks, logging.

The test owns a datagram socket and hands it to floortrackd as NOTIFY_SOCKET,
exactly as systemd does for Type=notify services.
"""
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, binary, free_port, wait_for  # noqa: E402


class NotifySocket:
    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.1)
        self.messages = []  # (monotonic time, message)

    def drain(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                return
            self.messages.append((time.monotonic(), data.decode()))

    def wait(self, needle, timeout):
        def seen():
            self.drain()
            return any(needle in m for _, m in self.messages)
        wait_for(seen, timeout, f"{needle!r} on NOTIFY_SOCKET")

    def index(self, needle):
        for i, (_, m) in enumerate(self.messages):
            if needle in m:
                return i
        return -1

    def close(self):
        self.sock.close()


def start_with_notify(d, tmp, env_extra=None):
    notify = NotifySocket(os.path.join(tmp, "notify.sock"))
    env = dict(os.environ, NOTIFY_SOCKET=notify.path, WATCHDOG_USEC="400000")
    env.update(env_extra or {})
    d._log = open(d.log_path, "ab")
    d.proc = subprocess.Popen([binary("floortrackd"), "--config", d.config], stdout=d._log, stderr=d._log, env=env)
    return notify


def test_notify_protocol(checks):
    with Workdir("notify") as tmp:
        broker = Broker(tmp).start()
        d = Daemon(tmp, broker.uri)
        notify = start_with_notify(d, tmp)
        try:
            notify.wait("READY=1", 20)
            checks.true("READY=1 only after the subscription is in place", "subscribed to" in d.log_text())
            notify.wait("WATCHDOG=1", 5)
            pings_before = sum("WATCHDOG=1" in m for _, m in notify.messages)
            time.sleep(1.5)
            notify.drain()
            pings = sum("WATCHDOG=1" in m for _, m in notify.messages) - pings_before
            checks.true("WATCHDOG=1 pinged at half of WATCHDOG_USEC (>= 4 pings in 1.5 s)", pings >= 4, f"{pings}")
            broker.publish("floor/a", '{"order_id":"S1","stage":"confirmed"}')
            notify.wait("events stored 1", 10)
            checks.true("STATUS= says connected and counts events",
                        any("STATUS=connected" in m and "events stored 1" in m for _, m in notify.messages))
            checks.eq("SIGTERM exits 0", d.stop(), 0)
            notify.drain()
            order = [notify.index("READY=1"), notify.index("STATUS=connected"), notify.index("WATCHDOG=1"),
                     notify.index("STOPPING=1")]
            checks.true("READY, STATUS, WATCHDOG, STOPPING arrive in order",
                        -1 not in order and order[0] <= order[1] and order[0] < order[2] and order[2] < order[3],
                        str(order))
        finally:
            d.stop()
            broker.stop()
            notify.close()


def test_ready_without_broker(checks):
    with Workdir("notify-nobroker") as tmp:
        d = Daemon(tmp, f"tcp://127.0.0.1:{free_port()}")
        notify = start_with_notify(d, tmp)
        try:
            notify.wait("READY=1", 20)
            ready = next(m for _, m in notify.messages if "READY=1" in m)
            checks.true("broker down: READY=1 with STATUS saying it waits for the broker",
                        "waiting for the MQTT broker" in ready, ready)
            checks.true("broker down: database open before READY", os.path.exists(d.db))
        finally:
            d.stop()
            notify.close()


def test_no_notify_socket(checks):
    with Workdir("nonotify") as tmp:
        broker = Broker(tmp).start()
        d = Daemon(tmp, broker.uri).start()
        try:
            checks.eq("without NOTIFY_SOCKET the daemon runs and stops cleanly", d.stop(), 0)
        finally:
            d.stop()
            broker.stop()


def test_reload(checks):
    with Workdir("reload") as tmp:
        broker = Broker(tmp).start()
        d = Daemon(tmp, broker.uri)
        notify = start_with_notify(d, tmp)
        try:
            notify.wait("READY=1", 20)
            original = open(d.config).read()
            # A broken config is refused; the running one stays in force.
            with open(d.config, "w") as f:
                f.write(original.replace("[log]", "[log]\nlevle = \"debug\""))
            d.proc.send_signal(signal.SIGHUP)
            d.wait_log("reload refused", 10)
            checks.true("broken reload names the key", "log.levle" in d.log_text())
            broker.publish("floor/a", '{"order_id":"R1","stage":"confirmed"}')
            wait_for(lambda: d.event_count() == 1, 10, "event stored after refused reload")
            checks.true("daemon still running after refused reload", d.alive())
            # A changed config applies at once: new topic list and log level; restart-only keys named.
            changed = original.replace('level = "info"', 'level = "debug"').replace(
                "[mqtt]", '[mqtt]\ntopics = ["floor/#", "line2/#"]').replace(
                "floortrack.db", "elsewhere.db")
            with open(d.config, "w") as f:
                f.write(changed)
            d.proc.send_signal(signal.SIGHUP)
            d.wait_log("reloaded", 10)
            checks.true("reload names storage.path as restart-only", "storage.path changed" in d.log_text())
            d.wait_log("subscribed to floor/#, line2/#", 10)
            broker.publish("line2/x", '{"order_id":"R2","stage":"confirmed"}')
            wait_for(lambda: d.event_count() == 2, 10, "event on the newly subscribed topic")
            checks.true("new log level applies at once (debug lines appear)", "stored event for order R2" in d.log_text())
            notify.drain()
            checks.true("reload sends RELOADING=1 then READY=1",
                        0 <= notify.index("RELOADING=1") < max(i for i, (_, m) in enumerate(notify.messages)
                                                               if "READY=1" in m))
        finally:
            d.stop()
            broker.stop()
            notify.close()


def test_check_config(checks):
    with Workdir("check") as tmp:
        good = os.path.join(tmp, "good.toml")
        bad = os.path.join(tmp, "bad.toml")
        open(good, "w").write('[storage]\npath = "/tmp/x.db"\n')
        open(bad, "w").write('[mqtt]\nqos = "1"\n[sotrage]\n')
        example = os.path.join(os.path.dirname(__file__), "..", "..", "config", "floortrack.toml")
        run = lambda p: subprocess.run([binary("floortrackd"), "--check-config", p],  # noqa: E731
                                       capture_output=True, text=True)
        checks.eq("--check-config on the shipped example exits 0", run(example).returncode, 0)
        checks.eq("--check-config on a good file exits 0", run(good).returncode, 0)
        r = run(bad)
        checks.true("--check-config on a bad file exits 1 naming file and key",
                    r.returncode == 1 and bad in r.stderr and "mqtt.qos" in r.stderr, r.stderr)
        r = run(os.path.join(tmp, "missing.toml"))
        checks.true("--check-config on a missing file exits 1", r.returncode == 1, r.stderr)


def test_journald_format(checks):
    with Workdir("journal") as tmp:
        broker = Broker(tmp).start()
        d = Daemon(tmp, broker.uri)
        d._log = open(d.log_path, "ab")
        env = dict(os.environ, JOURNAL_STREAM="8:12345")
        d.proc = subprocess.Popen([binary("floortrackd"), "--config", d.config], stdout=d._log, stderr=d._log, env=env)
        try:
            d.wait_log("subscribed to", 20)
            broker.publish("floor/a", "garbage")
            d.wait_log("rejected message", 10)
            lines = [l for l in d.log_text().splitlines() if l]
            checks.true("journald: every line starts with a syslog priority",
                        all(l[:1] == "<" and l[2:3] == ">" for l in lines), lines[0])
            checks.true("journald: info is <6>, warning is <4>",
                        any(l.startswith("<6>") for l in lines) and any(l.startswith("<4>rejected") for l in lines))
            checks.true("journald: no timestamp of its own", not any(l[3:7].isdigit() for l in lines))
        finally:
            d.stop()
            broker.stop()
        d2 = Daemon(tmp, broker.uri)
        d2.log_path = os.path.join(tmp, "plain.log")
        d2.start(wait_subscribed=False)
        time.sleep(0.5)
        d2.stop()
        first = d2.log_text().splitlines()[0]
        checks.true("terminal: lines carry a timestamp", first[:4].isdigit() and "T" in first[:11], first)


if __name__ == "__main__":
    c = Checks()
    test_notify_protocol(c)
    test_ready_without_broker(c)
    test_no_notify_socket(c)
    test_reload(c)
    test_check_config(c)
    test_journald_format(c)
    sys.exit(c.finish())
