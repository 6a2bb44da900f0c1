// Config: floortrack's configuration file (TOML), see config/floortrack.toml.
//
// LoadConfig() reads and validates the whole file; it returns either a
// complete Config or an error listing every problem, one per line, each
// naming the file, the key and the problem.
// Unknown keys are errors, so a typo never passes silently. Every key has a
// default, so an empty file is a valid config. Pure apart from reading the
// file (and, in LoadConfig, the mqtt.password_file and http.token_file it
// names); thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/alerts.h"
#include "core/result.h"
#include "core/rules.h"

namespace floortrack {

struct MqttConfig {
  std::string uri = "tcp://127.0.0.1:1883";
  std::string client_id = "floortrackd";
  std::vector<std::string> topics = {"floor/#"};
  int qos = 1;
  int keep_alive_s = 30;
  int connect_timeout_s = 10;
  int reconnect_min_ms = 250;  // first retry delay; doubles up to reconnect_max_ms
  int reconnect_max_ms = 30000;
  // Credentials (docs/security.md). The password is read from password_file
  // by LoadConfig (trailing newline stripped); it is never logged.
  std::string username;
  std::string password_file;
  std::string password;  // not a config key: the contents of password_file
  // TLS, used when uri starts with ssl:// or mqtts://. An empty ca_file means
  // the system trust store (/etc/ssl/certs). cert_file and key_file (client
  // certificate) go together.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool verify_hostname = true;

  bool UsesTls() const { return uri.rfind("ssl://", 0) == 0 || uri.rfind("mqtts://", 0) == 0; }
};

struct StorageConfig {
  std::string path = "/var/lib/floortrack/floortrack.db";
  std::string synchronous = "full";  // "full" or "normal"; see docs/reliability.md
  int busy_timeout_ms = 5000;
  int max_rejects = 10000;  // rejects kept; older ones rotate out (the total is still counted)
  // The ingest journal (docs/reliability.md): messages are acknowledged
  // once written to <path>-ingest/ and applied to the database in batches.
  bool journal = true;
  int journal_max_mib = 4;  // received, not yet applied, at most
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
};

// The read-only HTTP API (docs/api.md).
struct HttpConfig {
  std::string listen = "127.0.0.1:8760";  // host:port ([v6]:port); empty: no listener
  // When set, every request except /healthz needs "Authorization: Bearer
  // <token>". The token is read from token_file by LoadConfig (trailing
  // newline stripped), at start and on reload; it is never logged.
  std::string token_file;
  std::string token;  // not a config key: the contents of token_file
  // The dashboard (GET /): the folder holding index.html, dashboard.css and
  // dashboard.js (empty: no dashboard), and Debian's Chart.js
  // (libjs-chart.js) that the page loads from this server.
  std::string dashboard_dir = "/usr/share/floortrack";
  std::string chartjs_file = "/usr/share/javascript/chart.js/chart.min.js";
};

// What floortrackd publishes on MQTT (docs/api.md, "MQTT topics floortrackd
// publishes"). The status topic, floortrack/status/<mqtt.client_id>, is fixed.
struct PublishConfig {
  std::string kpi_topic = "floortrack/kpi";  // a topic, no wildcards
  int interval_s = 60;                       // 1 to 86400
  // Home Assistant MQTT discovery: one retained config message per KPI
  // sensor under <homeassistant_prefix>/sensor/<node>/<object>/config.
  bool homeassistant_discovery = false;
  std::string homeassistant_prefix = "homeassistant";
};

// A listen address split into host and port.
struct ListenAddress {
  std::string host;
  int port = 0;
};

// Parses "host:port" or "[v6]:port" (port 1..65535, host not empty); the
// error says what is wrong.
Result<ListenAddress> ParseListenAddress(std::string_view text);

struct Config {
  MqttConfig mqtt;
  StorageConfig storage;
  HttpConfig http;
  PublishConfig publish;
  AlertRules alerts;  // [alerts] (core/alerts.h)
  LogConfig log;
  Rules rules;
};

// Every topic filter to subscribe: [mqtt] topics, then each [[source]]'s
// filters not already listed.
std::vector<std::string> SubscribedFilters(const Config& config);

// Parses and validates text; reads no other file (mqtt.password stays empty).
Result<Config> ParseConfig(std::string_view text, const std::string& source_name);
// Reads the file, ParseConfig()s it, then reads mqtt.password_file into
// mqtt.password and checks that the TLS files it names are readable; errors
// name the key.
Result<Config> LoadConfig(const std::string& path);

// Keys whose new value in `next` differs from `running` but that a running
// daemon cannot apply (database, broker identity and timing): they take
// effect at the next restart. Names as in the file, e.g. "storage.path".
std::vector<std::string> RestartOnlyChanges(const Config& running, const Config& next);

// Warnings about secrets readable by others: the password file and the TLS
// private key when group or others may read them (mode & 044); the config
// file when others may read it, or a group other than the daemon's own (the
// packaged root:floortrack 0640 is fine); a password sent without TLS. Each
// says "... is readable by others; chmod 600 PATH". Empty when all is well.
// Only stats files; never includes the password.
std::vector<std::string> SecurityWarnings(const Config& config, const std::string& config_path);

}  // namespace floortrack
