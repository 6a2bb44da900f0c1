#!/usr/bin/env bash
# The demo: a short shop day through a private broker into a fresh database.
# Installs what is missing, builds, starts mosquitto on a free loopback port
# and floortrackd with a temporary database, runs the simulator, then prints
# `floortrack kpi` and one order's `floortrack status`. Leaves nothing running.
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

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
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
listen = ""
[material_cost_per_g]
"castable-resin" = 0.30
"silver-925" = 0.90
"gold-14k" = 38.0
"gold-18k" = 48.0
"platinum-950" = 33.0
[log]
level = "warn"
CONF
"$bin/floortrackd" --config "$work/floortrack.toml" --log-level info 2>"$work/floortrackd.log" &
pids+=($!)
for _ in $(seq 100); do grep -q "subscribed to" "$work/floortrackd.log" && break; sleep 0.1; done
grep -q "subscribed to" "$work/floortrackd.log" || { cat "$work/floortrackd.log"; exit 1; }

echo "== simulating a shop day: 120 orders =="
"$bin/floortrack-sim" --uri "tcp://127.0.0.1:$port" --orders 120 --days 3 --seed 42 \
  --summary-json "$work/sim.json"
want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["valid_events"])' "$work/sim.json")
for _ in $(seq 300); do
  have=$(sqlite3 "file:$work/floortrack.db?mode=ro" "SELECT count(*) FROM events" 2>/dev/null || echo 0)
  [ "$have" -ge "$want" ] && break
  sleep 0.1
done
echo "stored $have of $want distinct events"

echo; echo "== floortrack kpi =="
"$bin/floortrack" --db "$work/floortrack.db" --config "$work/floortrack.toml" kpi
order=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["order_ids"][0])' "$work/sim.json")
echo; echo "== floortrack status $order =="
"$bin/floortrack" --db "$work/floortrack.db" status "$order"
echo; echo "== floortrack rejects --limit 5 =="
"$bin/floortrack" --db "$work/floortrack.db" rejects --limit 5
