#!/usr/bin/env python3
"""The drain yardstick a shop would write by hand (issue 13, item 4): a plain
paho-mqtt subscriber that inserts each message into one SQLite table and
commits it before its callback returns (paho acknowledges a QoS 1 message
after on_message returns), WAL, synchronous = NORMAL. Never installed.

    python_subscriber.py --uri tcp://127.0.0.1:PORT --client-id ID --db PATH --register
    python_subscriber.py --uri ... --client-id ID --db PATH --count N --timeout S

--register subscribes once with a persistent session and leaves; the second
form drains N messages and prints one JSON line: {"received": n, "last_ns":
CLOCK_MONOTONIC ns of the Nth commit}. Needs python3-paho-mqtt (1.6).
"""
import argparse
import json
import sqlite3
import sys
import time
from urllib.parse import urlparse

import paho.mqtt.client as mqtt

TOPIC = "floor/#"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--uri", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--register", action="store_true")
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--timeout", type=float, default=600)
    a = p.parse_args()
    u = urlparse(a.uri)

    db = sqlite3.connect(a.db, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS messages(id INTEGER PRIMARY KEY, topic TEXT, "
               "payload BLOB, received_ns INTEGER)")
    state = {"n": 0, "last_ns": 0, "subscribed": False}

    def on_connect(client, _userdata, _flags, rc):
        if rc == 0:
            client.subscribe(TOPIC, qos=1)

    def on_subscribe(_client, _userdata, _mid, granted):
        state["subscribed"] = granted[0] == 1

    def on_message(_client, _userdata, msg):
        now = time.monotonic_ns()
        db.execute("BEGIN")
        db.execute("INSERT INTO messages(topic, payload, received_ns) VALUES (?, ?, ?)",
                   (msg.topic, msg.payload, now))
        db.execute("COMMIT")
        state["n"] += 1
        state["last_ns"] = time.monotonic_ns()

    client = mqtt.Client(client_id=a.client_id, clean_session=False,
                         protocol=mqtt.MQTTv311)
    client.max_inflight_messages_set(100)
    client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
    client.connect(u.hostname, u.port, keepalive=60)
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline:
        client.loop(timeout=0.05)
        if a.register and state["subscribed"]:
            break
        if not a.register and state["n"] >= a.count:
            break
    client.disconnect()
    if a.register and not state["subscribed"]:
        sys.exit("subscription not granted at QoS 1")
    print(json.dumps({"received": state["n"], "last_ns": state["last_ns"]}))
    return 0 if a.register or state["n"] >= a.count else 1


if __name__ == "__main__":
    sys.exit(main())
