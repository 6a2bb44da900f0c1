// Process-wide logging setup for floortrackd (spdlog to stderr).
//
// Under journald (JOURNAL_STREAM set) lines carry a syslog priority prefix
// ("<4>") and no timestamp of their own, so `journalctl -p warning` works;
// otherwise a timestamped format. Call from main before any other thread.
#pragma once

#include <string>

namespace floortrack {

void ConfigureLogging(const std::string& level);
// Changes the level of the running logger (config reload). Thread-safe.
void SetLogLevel(const std::string& level);

}  // namespace floortrack
