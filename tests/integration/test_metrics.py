"""GET /metrics (docs/api.md, "Metrics") against a real mosquitto and the real
floortrackd and floortrack binaries, parsed with prometheus_client's text
parser.

1. Under the API's bearer-token rule: 401 without the token, 200 with it,
   Prometheus text content type.
2. After 9 valid events (one with a future ts), 3 redeliveries and 4 bad
   messages: the stored, duplicate, rejected{reason} and flagged{reason}
   counters equal what was published; broker_connected, subscribed and
   storage_ok are 1; last_event_timestamp_seconds is the time of the run.
3. floortrack_kpi{kpi,window="all_time"} and the turnaround quantiles equal
   `floortrack kpi --json`, orders_open its open count; the 30d window
   equals `floortrack kpi --since 30d --json`'s aov.
4. floortrack_commit_seconds: _count = stored + duplicates, cumulative
   buckets, +Inf = _count.
5. The counters are monotonic across scrapes: more events, higher counts.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, cli_json, free_port, wait_for  # noqa: E402

T0 = datetime(2026, 10, 1, tzinfo=timezone.utc)
TOKEN = "metrics-test-token"


def ts(hours):
    return (T0 + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def ev(eid, order, stage, hours, **extra):
    body = {"event_id": eid, "order_id": order, "stage": stage, "ts": ts(hours)}
    body.update(extra)
    return json.dumps(body)


def shop():
    resin = {"type": "castable-resin", "used_g": 10, "scrap_g": 2}
    silver = {"type": "silver-925", "used_g": 20, "scrap_g": 1}
    future = (datetime.now(timezone.utc) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return [
        ev("a1-c", "A1", "confirmed", 0, value=100, customer_id="c1", personalized=True),
        ev("a1-p", "A1", "printed", 2, material=resin, batch_id="plate-1"),
        ev("a1-cast", "A1", "cast", 5, material=silver),
        ev("a1-s", "A1", "shipped", 30),
        ev("a2-c", "A2", "confirmed", 9, value=300, customer_id="c1"),
        ev("a2-q", "A2", "qc", 12, result="fail", defect="porosity"),
        ev("a2-s", "A2", "shipped", 40),
        ev("a3-c", "A3", "confirmed", 20, value=200, customer_id="c2", personalized=True),
        json.dumps({"event_id": "a4-c", "order_id": "A4", "stage": "confirmed", "ts": future,
                    "value": 50, "customer_id": "c3"}),
    ]


def scrape(port, token=TOKEN):
    """(status, content type, body text) of GET /metrics."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def samples(text):
    """{(sample name, frozenset of labels): value} of a scrape."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(parsed, name, **labels):
    return parsed.get((name, frozenset(labels.items())))


def main():
    checks = Checks()
    with Workdir("metrics") as tmp:
        token_file = os.path.join(tmp, "api.token")
        with open(token_file, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(token_file, 0o600)
        broker = Broker(tmp).start()
        port = free_port()
        d = Daemon(tmp, broker.uri, http=f'listen = "127.0.0.1:{port}"\ntoken_file = "{token_file}"')
        try:
            started = time.time()
            d.start()
            d.wait_log(f"http listening on 127.0.0.1:{port}", 10)
            events = shop()
            broker.publish_lines("floor/shop/event", events)
            wait_for(lambda: d.event_count() >= len(events), 20, "the shop's events stored")
            redelivered = events[:3]
            broker.publish_lines("floor/shop/event", redelivered)
            bad = [
                b"not json at all",                                     # decode
                b"\xff\xfe\xfd",                                        # decode (not UTF-8)
                json.dumps({"event_id": "x1", "order_id": "X1", "stage": "confirmed",
                            "ts": "yesterday"}).encode(),               # a field invalid
                b'{"pad": "' + b"x" * 70000 + b'"}',                    # size
            ]
            for payload in bad:
                broker.publish("floor/shop/event", payload)
            wait_for(lambda: d.reject_count() >= len(bad), 20, "the bad messages rejected")

            # 1. The token rule.
            status, _, _ = scrape(port, token=None)
            checks.eq("/metrics without the token: 401", status, 401)
            status, _, _ = scrape(port, token="wrong")
            checks.eq("/metrics with a wrong token: 401", status, 401)

            def duplicates_counted():
                st, _, text = scrape(port)
                return st == 200 and value(samples(text), "floortrack_events_duplicate_total") == 3
            wait_for(duplicates_counted, 20, "3 duplicates counted")
            status, ctype, text = scrape(port)
            checks.eq("/metrics with the token: 200", status, 200)
            checks.true("content type is Prometheus text 0.0.4",
                        ctype.startswith("text/plain") and "version=0.0.4" in ctype, ctype)
            m = samples(text)
            families = {f.name: f for f in text_string_to_metric_families(text)}
            for name in families:
                checks.true(f"{name}: has # HELP text", bool(families[name].documentation))

            # 2. Counters and health.
            checks.eq("stored_total", value(m, "floortrack_events_stored_total"), len(events))
            checks.eq("duplicate_total", value(m, "floortrack_events_duplicate_total"),
                      len(redelivered))
            rejected = {r: value(m, "floortrack_events_rejected_total", reason=r)
                        for r in ("size", "decode", "validation", "unknown_order", "other")}
            checks.eq("rejected_total by reason", rejected,
                      {"size": 1, "decode": 2, "validation": 1, "unknown_order": 0, "other": 0})
            flagged = {r: value(m, "floortrack_events_flagged_total", reason=r)
                       for r in ("future", "before_earliest", "too_old")}
            checks.eq("flagged_total by reason", flagged,
                      {"future": 1, "before_earliest": 0, "too_old": 0})
            checks.eq("broker_connected", value(m, "floortrack_broker_connected"), 1)
            checks.eq("subscribed", value(m, "floortrack_subscribed"), 1)
            checks.eq("storage_ok", value(m, "floortrack_storage_ok"), 1)
            last = value(m, "floortrack_last_event_timestamp_seconds")
            checks.true("last_event_timestamp_seconds is during the run",
                        last is not None and started - 1 <= last <= time.time() + 1, last)

            # 3. KPIs as `floortrack kpi --json`.
            cli = cli_json(d, "kpi")
            checks.near("kpi aov all_time = floortrack kpi --json aov",
                        value(m, "floortrack_kpi", kpi="aov", window="all_time"), cli["aov"])
            for kpi in ("material_yield_pct", "material_loss_pct", "material_cost_pct",
                        "order_accuracy_pct", "first_pass_yield_pct", "personalization_pct",
                        "repeat_customer_pct"):
                got = value(m, "floortrack_kpi", kpi=kpi, window="all_time")
                if cli[kpi] is None:
                    checks.eq(f"kpi {kpi} all_time: null in the CLI, absent here", got, None)
                else:
                    checks.near(f"kpi {kpi} all_time", got, cli[kpi])
            for q, key in (("0.5", "p50"), ("0.9", "p90"), ("0.95", "p95")):
                checks.near(f"turnaround quantile {q} all_time (seconds)",
                            value(m, "floortrack_turnaround_seconds", quantile=q, window="all_time"),
                            cli["turnaround_hours"][key] * 3600)
            checks.eq("orders_open", value(m, "floortrack_orders_open"), cli["orders"]["open"])
            cli_30d = cli_json(d, "kpi", "--since", "30d")
            got_30d = value(m, "floortrack_kpi", kpi="aov", window="30d")
            if cli_30d["aov"] is None:
                checks.eq("kpi aov 30d: absent as in the CLI", got_30d, None)
            else:
                checks.near("kpi aov 30d = floortrack kpi --since 30d", got_30d, cli_30d["aov"])

            # 4. The commit histogram.
            count = value(m, "floortrack_commit_seconds_count")
            checks.eq("commit_seconds_count = stored + duplicates", count,
                      len(events) + len(redelivered))
            buckets = sorted(((float(dict(labels)["le"]), v) for (name, labels), v in m.items()
                              if name == "floortrack_commit_seconds_bucket"))
            checks.eq("commit_seconds: 12 buckets from 0.0005 s to +Inf",
                      (len(buckets), buckets[0][0], buckets[-1][0]), (12, 0.0005, float("inf")))
            checks.true("commit_seconds buckets are cumulative",
                        all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), buckets)
            checks.eq("commit_seconds +Inf bucket = _count", buckets[-1][1], count)
            checks.true("commit_seconds_sum > 0", value(m, "floortrack_commit_seconds_sum") > 0)

            # 5. Monotonic across scrapes.
            more = [ev(f"b{i}-c", f"B{i}", "confirmed", 50 + i, value=10) for i in range(5)]
            broker.publish_lines("floor/shop/event", more)
            wait_for(lambda: d.event_count() >= len(events) + len(more), 20, "5 more events stored")
            _, _, text = scrape(port)
            m2 = samples(text)
            checks.eq("stored_total after 5 more", value(m2, "floortrack_events_stored_total"),
                      len(events) + len(more))
            checks.eq("duplicate_total unchanged", value(m2, "floortrack_events_duplicate_total"),
                      len(redelivered))
            checks.eq("commit_seconds_count after 5 more", value(m2, "floortrack_commit_seconds_count"),
                      len(events) + len(redelivered) + len(more))
        finally:
            d.stop()
            broker.stop()
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
