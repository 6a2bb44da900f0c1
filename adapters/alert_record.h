// The alert record: the daemon's alert state as JSON text, kept in the
// database (settings "alerts") so it survives a restart and the CLI and
// the HTTP API can list what is firing without asking the daemon.
//
// {"updated_at": T, "firing": [{"id", "rule", "subject", "message",
//  "since"}], "last_event": {"<watch name>": T}}, times RFC 3339 UTC.
// DecodeAlertState is lenient with what it does not know and never throws.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/alerts.h"
#include "core/result.h"

namespace floortrack {

struct AlertState {
  TimePoint updated_at{};
  std::map<std::string, FiringAlert> firing;
  std::map<std::string, TimePoint> last_event;  // by watch name
};

std::string EncodeAlertState(const AlertState& state);
Result<AlertState> DecodeAlertState(std::string_view text);

// What `floortrack alerts --json` and GET /api/v1/alerts print:
// {"updated_at": T|null, "firing": [{"id", "rule", "subject", "message",
// "since"}]} (oldest first). An absent record: nothing firing.
nlohmann::json AlertsJson(const std::optional<AlertState>& state);

// One message for MQTT (floortrack/alerts/<id>): {"id", "rule", "subject",
// "message", "since"}.
std::string AlertPayload(const FiringAlert& alert);

}  // namespace floortrack
