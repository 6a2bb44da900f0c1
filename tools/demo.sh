#!/usr/bin/env bash
# The demo: a short shop day through a private broker into a fresh database.
# Installs what is missing, builds, starts mosquitto on a free loopback port
# and floortrackd with a temporary database, runs the simulator's device day
# (printers in their own formats, bench scans; docs/events.md), then prints
# `floortrack kpi`, `floortrack batch` for a build plate and a casting tree,
# one order's `floortrack status`, the rejects, `floortrack flow`, and the dashboard's URL.
# On a terminal it keeps floortrackd (and the dashboard) running until Enter
# or Ctrl-C; otherwise (or with DEMO_HOLD=0) it stops at once. Leaves
# nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/deps.sh
build=${FLOORTRACK_BUILD_DIR:-build/demo}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DFLOORTRACK_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target floortrackd floortrack floortrack-sim >/dev/null
bin=$(cd "$build/bin" && pwd)

work=$(mktemp -d /tmp/floortrack-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
http_port=$(free_port)
cat >"$work/mosquitto.conf" <<CONF
user root
listener $port 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
CONF
/usr/sbin/mosquitto -c "$work/mosquitto.conf" 2>"$work/mosquitto.log" &
pids+=($!)

cat >"$work/floortrack.toml" <<CONF
[mqtt]
uri = "tcp://127.0.0.1:$port"
client_id = "floortrackd-demo"
reconnect_min_ms = 100
[storage]
path = "$work/floortrack.db"
synchronous = "normal"
[http]
listen = "127.0.0.1:$http_port"
dashboard_dir = "$PWD/web"
[material_cost_per_g]
"castable-resin" = 0.30
"silver-925" = 0.90
"gold-14k" = 38.0
"gold-18k" = 48.0
"platinum-950" = 33.0
[log]
level = "warn"

CONF
# The [[source]]s of the device day: which topics are printers and benches.
"$bin/floortrack-sim" --devices --print-config >>"$work/floortrack.toml"
"$bin/floortrackd" --config "$work/floortrack.toml" --log-level info 2>"$work/floortrackd.log" &
pids+=($!)
for _ in $(seq 100); do grep -q "subscribed to" "$work/floortrackd.log" && break; sleep 0.1; done
grep -q "subscribed to" "$work/floortrackd.log" || { cat "$work/floortrackd.log"; exit 1; }

echo "== simulating a shop day: 120 orders, printers and benches speaking their own formats =="
"$bin/floortrack-sim" --uri "tcp://127.0.0.1:$port" --devices --orders 120 --days 3 --seed 42 \
  --summary-json "$work/sim.json"
# What the day must leave: events per stage (a batch event once per order on
# it), and its misreads and garbage as rejects.
summary() { python3 - "$work/sim.json" "$@" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
what = sys.argv[2]
if what == "events":
    n = sum(v for k, v in s["stages"].items() if k != "cast")
    n += sum(len(t["orders"]) for t in s["trees"])
    n += sum((p["prints"] + p["failed"] + p["printed"]) * len(p["orders"])
             for p in s["plates"])
    print(n + s["scans"]["total"])
elif what == "rejects":
    print(len(s["misreads"]) + s["garbage"]["total"])
elif what == "plate":  # one that failed and was printed again, if any
    plates = sorted(s["plates"], key=lambda p: (-p["failed"], p["batch_id"] != "PLATE-1"))
    print(plates[0]["batch_id"])
elif what == "tree":
    print(s["trees"][0]["batch_id"])
elif what == "order":
    print(s["trees"][0]["orders"][0]["order_id"])
PY
}
want=$(summary events)
want_rejects=$(summary rejects)
for _ in $(seq 300); do
  have=$(sqlite3 "file:$work/floortrack.db?mode=ro" "SELECT count(*) FROM events" 2>/dev/null || echo 0)
  rejects=$(sqlite3 "file:$work/floortrack.db?mode=ro" "SELECT count(*) FROM rejects" 2>/dev/null || echo 0)
  [ "$have" -ge "$want" ] && [ "$rejects" -ge "$want_rejects" ] && break
  sleep 0.1
done
echo "stored $have of $want events, $rejects of $want_rejects rejects"

ft() { "$bin/floortrack" --db "$work/floortrack.db" --config "$work/floortrack.toml" "$@"; }
echo; echo "== floortrack kpi =="
ft kpi
plate=$(summary plate)
echo; echo "== floortrack batch $plate (a build plate) =="
ft batch "$plate"
tree=$(summary tree)
echo; echo "== floortrack batch $tree (a casting tree) =="
ft batch "$tree"
order=$(summary order)
echo; echo "== floortrack status $order =="
echo "(bench scans carry no time: they are timed when floortrackd received them, after the simulated day)"
ft status "$order"
echo; echo "== floortrack late =="
ft late
echo; echo "== floortrack rejects --limit 5 =="
ft rejects --limit 5
echo; echo "== floortrack flow (stage dwell, work in progress, bottleneck) =="
ft flow
echo; echo "== floortrack alerts =="
# The alert monitor looks a few seconds after the last event (docs/alerts.md).
sleep 6
ft alerts

echo
echo "== dashboard =="
echo "http://127.0.0.1:$http_port/  (API: http://127.0.0.1:$http_port/api/v1/kpi, metrics: /metrics)"
if [ -t 0 ] && [ "${DEMO_HOLD:-1}" != 0 ]; then
  read -r -p "floortrackd is serving it; press Enter to stop the demo. " _ || true
fi
