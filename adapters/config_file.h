// Config: floortrack's configuration file (TOML), see config/floortrack.toml.
//
// LoadConfig() reads and validates the whole file; it returns either a
// complete Config or an error naming the file, the key and the problem.
// Unknown keys are errors, so a typo never passes silently. Every key has a
// default, so an empty file is a valid config. Pure apart from reading the
// file; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

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
  int reconnect_min_ms = 250;    // first retry delay; doubles up to reconnect_max_ms
  int reconnect_max_ms = 30000;
};

struct StorageConfig {
  std::string path = "/var/lib/floortrack/floortrack.db";
  std::string synchronous = "full";  // "full" or "normal"; see docs/reliability.md
  int busy_timeout_ms = 5000;
  int max_rejects = 10000;  // rejects kept; older ones rotate out (the total is still counted)
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
};

struct Config {
  MqttConfig mqtt;
  StorageConfig storage;
  LogConfig log;
  Rules rules;
};

Result<Config> ParseConfig(std::string_view text, const std::string& source_name);
Result<Config> LoadConfig(const std::string& path);

}  // namespace floortrack
