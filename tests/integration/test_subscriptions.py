"""Subscriptions are verified: every granted QoS in the SUBACK is checked.

1. QoS 0 granted (mosquitto `max_qos 0`): floortrackd logs the filter and the
   granted QoS, reports itself unhealthy (READY=1/STATUS= say so), retries
   with backoff, and once the broker grants QoS 1 (restarted without
   max_qos) it is subscribed, healthy and stores events.
2. Subscription refused (SUBACK 0x80, the broker's ACL denies it): logged,
   unhealthy, retried with backoff; once the ACL allows the filter the retry
   succeeds without a restart and events flow. mosquitto 2.0.11 never refuses
   a SUBSCRIBE because of an acl_file (it grants it and filters on delivery),
   so the ACL here is the dynamic security plugin shipped with mosquitto.
"""
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, binary, wait_for  # noqa: E402

DYNSEC = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so"
NOT_IN_PLACE = "MQTT subscription not in place"


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


class NotifySocket:
    """The datagram socket systemd hands a Type=notify service as NOTIFY_SOCKET.

    Read continuously, as systemd does: a full queue would block sd_notify."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.1)
        self.messages = []
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while not self.closed:
            try:
                data = self.sock.recv(4096).decode()
            except (socket.timeout, OSError):
                continue
            with self.lock:
                self.messages.append(data)

    def wait(self, needle, timeout):
        def seen():
            with self.lock:
                return [m for m in self.messages if needle in m]
        return wait_for(seen, timeout, f"{needle!r} on NOTIFY_SOCKET")

    def close(self):
        self.closed = True
        time.sleep(0.2)
        self.sock.close()


def start_with_notify(d, tmp):
    notify = NotifySocket(os.path.join(tmp, "notify.sock"))
    env = dict(os.environ, NOTIFY_SOCKET=notify.path)
    d._log = open(d.log_path, "ab")
    d.proc = subprocess.Popen([binary("floortrackd"), "--config", d.config], stdout=d._log, stderr=d._log,
                              env=env)
    return notify


def event(order):
    return json.dumps({"event_id": f"{order}-e", "order_id": order, "stage": "confirmed",
                       "ts": "2026-10-06T08:00:00Z"})


def retry_delays(log):
    return [int(m) for m in re.findall(NOT_IN_PLACE + r".*; retrying in (\d+) ms", log)]


def check_retries(checks, name, d):
    wait_for(lambda: len(retry_delays(d.log_text())) >= 4, 15, f"{name}: four subscribe attempts")
    delays = retry_delays(d.log_text())
    print(f"  {name}: retry delays {delays[:8]} ms")
    checks.true(f"{name}: retried with growing backoff", delays[:4] == sorted(delays[:4]) and delays[3] > delays[0],
                str(delays))
    checks.true(f"{name}: never claims to be subscribed", "subscribed to" not in d.log_text())
    checks.true(f"{name}: daemon keeps running", d.alive())


def test_qos0_granted(checks):
    with Workdir("sub-qos0") as tmp:
        broker = Broker(tmp, extra_conf="max_qos 0").start()
        port = broker.port
        d = Daemon(tmp, broker.uri)
        notify = start_with_notify(d, tmp)
        try:
            d.wait_log(NOT_IN_PLACE, 20)
            log = d.log_text()
            line = next(l for l in log.splitlines() if NOT_IN_PLACE in l)
            print(f"  {line}")
            checks.true("qos0: the log names the filter and the granted QoS",
                        "floor/#" in line and "only QoS 0" in line, line)
            ready = notify.wait("READY=1", 10)[0]
            checks.true("qos0: READY=1 comes with STATUS saying unhealthy and why",
                        "UNHEALTHY" in ready and "floor/#" in ready and "QoS 0" in ready, ready)
            check_retries(checks, "qos0", d)

            # The broker is fixed (restarted without max_qos): the retry succeeds.
            broker.stop()
            broker = Broker(tmp, port=port).start()
            d.wait_log("subscribed to floor/# at QoS 1", 20)
            notify.wait("STATUS=connected", 10)
            broker.publish("floor/q/station-1", event("Q1"))
            wait_for(lambda: d.event_count() == 1, 10, "event stored once QoS 1 is granted")
            checks.true("qos0: healthy and storing once the broker grants QoS 1", d.event_count() == 1)
            checks.eq("qos0: SIGTERM exits 0", d.stop(), 0)
        finally:
            stop_all(d.stop, lambda: broker.stop(), notify.close)


def dynsec_config(path):
    """Dynamic security: an admin for mosquitto_ctrl; anonymous clients may publish
    below floor/ but not subscribe to anything (defaultACLAccess subscribe false)."""
    subprocess.run(["mosquitto_ctrl", "dynsec", "init", path, "admin", "adminpw"], check=True,
                   stdout=subprocess.DEVNULL)
    with open(path) as f:
        config = json.load(f)
    config["roles"].append({"rolename": "devices", "acls": [
        {"acltype": "publishClientSend", "topic": "floor/#", "allow": True}]})
    config["groups"] = [{"groupname": "anonymous", "roles": [{"rolename": "devices"}], "clients": []}]
    config["anonymousGroup"] = "anonymous"
    with open(path, "w") as f:
        json.dump(config, f)


def test_acl_refusal(checks):
    if not os.path.exists(DYNSEC):
        print(f"SKIP acl: {DYNSEC} not installed")
        return
    with Workdir("sub-acl") as tmp:
        dynsec = os.path.join(tmp, "dynsec.json")
        dynsec_config(dynsec)
        broker = Broker(tmp, extra_conf=f"plugin {DYNSEC}\nplugin_opt_config_file {dynsec}").start()
        d = Daemon(tmp, broker.uri)
        notify = start_with_notify(d, tmp)
        try:
            d.wait_log(NOT_IN_PLACE, 20)
            line = next(l for l in d.log_text().splitlines() if NOT_IN_PLACE in l)
            print(f"  {line}")
            checks.true("acl: the refusal is logged as an error naming the filter",
                        " error " in line and "refused the subscription to floor/#" in line and "0x80" in line, line)
            ready = notify.wait("READY=1", 10)[0]
            checks.true("acl: STATUS says unhealthy and why", "UNHEALTHY" in ready and "refused" in ready, ready)
            check_retries(checks, "acl", d)
            broker.publish("floor/acl/station-1", event("A0"))  # nobody subscribed: the broker drops it

            # The ACL is fixed, live: the default access for subscriptions becomes
            # "allow". (A role change would make the plugin kick the client, whose
            # reconnect would subscribe anyway; this way only floortrackd's own
            # retry can pick the fix up. mosquitto_ctrl 2.0.11's setDefaultACLAccess
            # sends "allow" as a string, which the plugin ignores: send the command.)
            command = {"commands": [{"command": "setDefaultACLAccess",
                                     "acls": [{"acltype": "subscribe", "allow": True}]}]}
            subprocess.run(["mosquitto_pub", "-p", str(broker.port), "-u", "admin", "-P", "adminpw", "-q", "1",
                            "-t", "$CONTROL/dynamic-security/v1", "-m", json.dumps(command)], check=True)
            d.wait_log("subscribed to floor/# at QoS 1", 20)
            notify.wait("STATUS=connected", 10)
            broker.publish("floor/acl/station-1", event("A1"))
            wait_for(lambda: d.event_count() == 1, 10, "event stored once the ACL allows the subscription")
            checks.eq("acl: events flow once the ACL allows the filter", d.event_count(), 1)
            checks.true("acl: no reconnect was needed", "lost connection" not in d.log_text())
            checks.eq("acl: SIGTERM exits 0", d.stop(), 0)
        finally:
            stop_all(d.stop, lambda: broker.stop(), notify.close)


def main():
    checks = Checks()
    started = time.monotonic()
    for case in (test_qos0_granted, test_acl_refusal):
        try:
            case(checks)
        except AssertionError as e:
            checks.true(case.__name__, False, str(e))
    print(f"wall time {time.monotonic() - started:.1f} s")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
