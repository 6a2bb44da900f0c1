"""Reliability: a database written by the previous release is migrated.

tests/fixtures/schema1/ holds a schema-1 database written by floortrack 0.1.0
and what that release's CLI printed for it. floortrackd of this release must
migrate a copy on its first start (logging progress) and keep every event,
reject and order summary: the CLI must print the same KPIs, orders, rejects
and timelines (new keys may appear; no value may change). A second start
must not migrate or rebuild again; a start with a new stage order must
rebuild the summaries. Before the migration the CLI refuses the file with a
message saying how to migrate it, and leaves it untouched.
"""
import json
import math
import os
import shutil
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import Broker, Checks, Daemon, Workdir, run_cli, sha256_file  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "schema1")
PRICES = {"castable-resin": 0.30, "silver-925": 0.90, "gold-14k": 38.0}
ORDERS = ["ord-7-1", "ord-7-31", "ord-7-50"]
SCHEMA = 8  # adapters/sqlite/schema.h kStoreSchemaVersion
NOW_DEPENDENT = {"age_hours"}  # hours since an open order's last activity, up to now
# Money sums: 0.1.0 added floating-point values in arrival order; since
# schema 7 they are summed exactly in millionths (docs/kpi.md, "Exact
# arithmetic"), so these differ from 0.1.0's in the last binary digits
# (297.22149999999993 is now 297.2215): equal to 12 significant digits.
EXACT_SUMS = {"aov", "material_cost_pct"}


# The schema-1 columns of the orders table (later schemas add columns,
# which the rebuild fills; store_tests checks them).
ORDERS_SQL = ("SELECT order_id, confirmed_ms, shipped_ms, current_stage, current_stage_ms, "
              "last_received_ms, event_count, value, currency, customer_id, product, personalized, "
              "used_g, scrap_g, material_cost, failed_before_ship, return_reasons "
              "FROM orders ORDER BY order_id")


def load(name):
    with open(os.path.join(FIXTURE, name)) as f:
        return json.load(f)


def differences(before, after, where="$"):
    """Where `after` lost or changed something `before` had (new keys are fine)."""
    if isinstance(before, dict):
        if not isinstance(after, dict):
            return [f"{where}: was an object"]
        out = []
        for key, value in before.items():
            if key in NOW_DEPENDENT:
                continue
            if key not in after:
                out.append(f"{where}.{key}: missing")
            elif key in EXACT_SUMS and isinstance(value, float) and isinstance(after[key], float):
                if not math.isclose(value, after[key], rel_tol=1e-12):
                    out.append(f"{where}.{key}: {value!r} became {after[key]!r}")
            else:
                out += differences(value, after[key], f"{where}.{key}")
        return out
    if isinstance(before, list):
        if not isinstance(after, list) or len(after) != len(before):
            return [f"{where}: list changed length"]
        out = []
        for i, (b, a) in enumerate(zip(before, after)):
            out += differences(b, a, f"{where}[{i}]")
        return out
    return [] if before == after else [f"{where}: {before!r} became {after!r}"]


def cli_json(db, *args):
    proc = run_cli(["--db", db, *args, "--json"])
    return json.loads(proc.stdout)


def table(db, sql):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def main():
    checks = Checks()
    with Workdir("migration") as tmp:
        db = os.path.join(tmp, "floortrack.db")
        shutil.copyfile(os.path.join(FIXTURE, "floortrack.db"), db)
        orders_before = table(db, ORDERS_SQL)
        counters_before = table(db, "SELECT * FROM counters ORDER BY name")
        checks.eq("fixture is schema 1", table(db, "PRAGMA user_version")[0][0], 1)

        digest = sha256_file(db)
        refused = run_cli(["--db", db, "kpi"], check=False)
        checks.eq("CLI refuses an unmigrated file", refused.returncode, 1)
        checks.true("and says how to migrate it", "start floortrackd once" in refused.stderr,
                    refused.stderr)
        checks.eq("the refused file is unchanged", sha256_file(db), digest)

        broker = Broker(tmp).start()
        try:
            daemon = Daemon(tmp, broker.uri, db=db, prices=PRICES)
            daemon.start()
            daemon.stop()
            log = daemon.log_text()
            checks.true("first start logs each migration step",
                        all(f"from schema {v} to {v + 1}" in log for v in range(1, SCHEMA)), log[-2000:])
            checks.true("first start rebuilds the summaries", "rebuilding order summaries" in log)
            checks.eq("schema is current", table(db, "PRAGMA user_version")[0][0], SCHEMA)
            checks.eq("every event kept", table(db, "SELECT COUNT(*) FROM events")[0][0], 661)
            checks.eq("every reject kept", table(db, "SELECT COUNT(*) FROM rejects")[0][0], 20)
            checks.eq("counters kept", table(db, "SELECT * FROM counters ORDER BY name"),
                      counters_before)
            checks.eq("order summaries identical after the rebuild",
                      table(db, ORDERS_SQL), orders_before)

            since, until = "2026-10-03T00:00:00Z", "2026-10-07T12:00:00Z"
            for name, got in [
                ("kpi_all.json", cli_json(db, "kpi")),
                ("kpi_window.json", cli_json(db, "kpi", "--since", since, "--until", until)),
                ("orders.json", cli_json(db, "orders")),
                ("rejects.json", cli_json(db, "rejects")),
            ] + [(f"status_{o}.json", cli_json(db, "status", o)) for o in ORDERS]:
                diff = differences(load(name), got)
                checks.true(f"{name} as 0.1.0 printed it", not diff, "; ".join(diff[:5]))

            # A second start finds nothing to do.
            mark = len(daemon.log_text())
            daemon.start(wait_subscribed=False)
            daemon.wait_log("subscribed to", 20, count=2)
            daemon.stop()
            again = daemon.log_text()[mark:]
            checks.true("second start does not migrate", "schema 1 to 2" not in again, again)
            checks.true("second start does not rebuild", "rebuilding" not in again, again)

            # A new stage order rebuilds the summaries once.
            with open(daemon.config) as f:
                config = f.read()
            reordered = ('stages = ["confirmed", "print_started", "printed", "cast", "stone_set", '
                         '"polished", "qc", "packed", "shipped", "returned"]\n')
            with open(daemon.config, "w") as f:
                f.write(reordered + config)
            mark = len(daemon.log_text())
            daemon.start(wait_subscribed=False)
            daemon.wait_log("subscribed to", 20, count=3)
            daemon.stop()
            third = daemon.log_text()[mark:]
            checks.true("a new stage order rebuilds the summaries", "rebuilding" in third, third)
            rules = json.loads(table(db, "SELECT value FROM settings WHERE name = 'rules'")[0][0])
            checks.eq("the new stage order is recorded for the CLI", rules["stages"][4], "stone_set")
            checks.eq("summaries still identical (no same-time events in this history)",
                      table(db, ORDERS_SQL), orders_before)
        finally:
            broker.stop()
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
