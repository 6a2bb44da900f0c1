#!/usr/bin/env bash
# Installs the Debian 12 packages floortrack builds, tests and demos with,
# skipping those already installed; with --test (tools/test.sh) also those
# only the test suite needs. Needs root (or sudo) only when something
# is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config python3
  libasio-dev libpaho-mqttpp-dev libpaho-mqtt-dev libssl-dev libsqlite3-dev
  zlib1g-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libtomlplusplus-dev libcli11-dev doctest-dev
  libsystemd-dev mosquitto mosquitto-clients sqlite3 openssl
  systemd dpkg-dev adduser file util-linux libcpp-httplib-dev
  prometheus-cpp-dev python3-prometheus-client libhowardhinnant-date-dev tzdata
  libjs-chart.js
  ${FLOORTRACK_EXTRA_PACKAGES:-}
)
# The dashboard's browser test (tests/browser): headless Chromium driven
# over the DevTools protocol.
if [[ "${1:-}" == "--test" ]]; then
  packages+=(chromium python3-websocket)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo_cmd=()
((EUID == 0)) || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
