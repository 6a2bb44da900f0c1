"""End to end: the edges where events used to be lost (issue 9), against a
real mosquitto, the real floortrackd and the real floortrack CLI.

1. A scan bridge publishes bare scans ({"order_id","stage"}, no event_id, no
   ts): polished, qc fail, polished again, qc pass. All four stay in the
   timeline (the second polished is byte-identical to the first).
2. Two stations number their own events: QC and packing both send
   event_id "1" for different orders. Both are stored; the reuse is logged
   as a warning; a redelivery of either is still a duplicate.
3. The same timed event re-serialized by a bridge (other key order and
   spacing) is one event.
4. The CLI as a member of group floortrack, with the config readable and the
   MQTT password file not: it answers (it never reads the password file), and
   with --db alone it uses the shop's recorded stage order.
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, binary, cli_json, wait_for  # noqa: E402

# stone_set before polished: a shop that sets stones before the final polish.
STAGES = ('stages = ["confirmed", "print_started", "printed", "cast", "stone_set", "polished", '
          '"qc", "packed", "shipped", "returned"]\n')


def stages_of(d, order):
    return [e["stage"] for e in cli_json(d, "status", order)["timeline"]]


def as_group_member(workdir, args):
    """Runs the CLI as nobody with the supplementary group that owns workdir's files."""
    cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--groups=floortrack-test",
           binary("floortrack"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def main():
    checks = Checks()
    with Workdir("edges") as tmp:
        broker = Broker(tmp).start()
        password = os.path.join(tmp, "mqtt.password")
        with open(password, "w") as f:
            f.write("not-used-by-this-broker\n")
        os.chmod(password, 0o600)
        d = Daemon(tmp, broker.uri, extra="")
        with open(d.config) as f:
            config = f.read()
        # The broker allows anonymous clients; the daemon reads the password
        # file (a username is set), the CLI must not.
        config = config.replace('[mqtt]\n', f'[mqtt]\nusername = "floortrackd"\npassword_file = "{password}"\n')
        with open(d.config, "w") as f:
            f.write(STAGES + config)
        try:
            d.start()
            # 1. Bare scans, a rework loop.
            scans = [("floor/polish/event", {"order_id": "R1", "stage": "polished"}),
                     ("floor/qc/event", {"order_id": "R1", "stage": "qc", "result": "fail"}),
                     ("floor/polish/event", {"order_id": "R1", "stage": "polished"}),
                     ("floor/qc/event", {"order_id": "R1", "stage": "qc", "result": "pass"})]
            for topic, body in scans:
                broker.publish(topic, json.dumps(body, separators=(",", ":")))
                time.sleep(0.05)  # distinct receive times: their only order
            wait_for(lambda: d.event_count() >= 4, 20, "four scans stored")
            checks.eq("rework loop: every scan in the timeline", stages_of(d, "R1"),
                      ["polished", "qc", "polished", "qc"])

            # 2. Two stations, one event_id.
            broker.publish("floor/qc/event", json.dumps(
                {"event_id": "1", "order_id": "S1", "stage": "qc", "result": "pass",
                 "ts": "2026-10-01T08:00:00Z"}))
            broker.publish("floor/pack/event", json.dumps(
                {"event_id": "1", "order_id": "S2", "stage": "packed", "ts": "2026-10-01T08:05:00Z"}))
            wait_for(lambda: d.event_count() >= 6, 20, "both stations' events stored")
            checks.eq("reused event_id: QC's event stored", stages_of(d, "S1"), ["qc"])
            checks.eq("reused event_id: packing's event stored", stages_of(d, "S2"), ["packed"])
            d.wait_log("reused with different content", 10)
            checks.true("reuse logged as a warning",
                        any("warn" in line and "reused with different content" in line
                            for line in d.log_text().splitlines()))
            broker.publish("floor/pack/event", json.dumps(
                {"event_id": "1", "order_id": "S2", "stage": "packed", "ts": "2026-10-01T08:05:00Z"}))

            # 3. A timed event re-serialized by a bridge.
            timed = {"order_id": "T1", "stage": "cast", "ts": "2026-10-01T09:00:00Z"}
            broker.publish("floor/cast/event", json.dumps(timed))
            broker.publish("floor/cast/event", json.dumps(dict(reversed(list(timed.items()))), indent=2))
            broker.publish("floor/cast/event", json.dumps({"order_id": "T2", "stage": "cast"}))  # a marker
            wait_for(lambda: d.event_count() >= 8, 20, "the marker stored")
            checks.eq("re-serialized timed event stored once, packing redelivery collapsed",
                      d.event_count(), 8)

            # 4. The CLI as a group member, without the password file.
            subprocess.run(["groupadd", "-f", "floortrack-test"], check=True)
            subprocess.run(["chgrp", "floortrack-test", tmp, d.config, d.db, d.db + "-wal",
                            d.db + "-shm"], check=True)
            os.chmod(tmp, 0o750)
            os.chmod(d.config, 0o640)
            for path in (d.db, d.db + "-wal", d.db + "-shm"):
                os.chmod(path, 0o640)
            via_config = as_group_member(tmp, ["--config", d.config, "kpi", "--json"])
            checks.eq("CLI with --config as a group member exits 0", via_config.returncode, 0)
            checks.true("and never mentions the password file", "password" not in via_config.stderr,
                        via_config.stderr)
            status = as_group_member(tmp, ["--db", d.db, "status", "R1", "--json"])
            checks.eq("CLI with --db as a group member exits 0", status.returncode, 0)
            # An order with stone_set and polished at the same time: the shop's
            # order puts stone_set first.
            for stage in ("polished", "stone_set"):
                broker.publish("floor/bench/event", json.dumps(
                    {"event_id": f"x-{stage}", "order_id": "X1", "stage": stage,
                     "ts": "2026-10-02T10:00:00Z"}))
            wait_for(lambda: d.event_count() >= 10, 20, "X1 stored")
            status = as_group_member(tmp, ["--db", d.db, "status", "X1", "--json"])
            timeline = [e["stage"] for e in json.loads(status.stdout or "{}").get("timeline", [])]
            checks.eq("--db alone sorts by the shop's stage order", timeline, ["stone_set", "polished"])
        finally:
            code = d.stop()
            broker.stop()
        checks.eq("SIGTERM exits 0", code, 0)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
