#include "adapters/alert_record.h"

#include <algorithm>
#include <vector>

namespace floortrack {
namespace {

using json = nlohmann::json;

json FiringJson(const FiringAlert& f) {
  return json{{"id", f.alert.id},
              {"rule", f.alert.rule},
              {"subject", f.alert.subject},
              {"message", f.alert.message},
              {"since", FormatRfc3339(f.fired_at)}};
}

}  // namespace

std::string EncodeAlertState(const AlertState& state) {
  json firing = json::array();
  for (const auto& [id, f] : state.firing) {
    json one = FiringJson(f);
    if (f.clear_since) one["clear_since"] = FormatRfc3339(*f.clear_since);
    firing.push_back(std::move(one));
  }
  json last = json::object();
  for (const auto& [name, t] : state.last_event) last[name] = FormatRfc3339(t);
  return json{{"updated_at", FormatRfc3339(state.updated_at)},
              {"firing", std::move(firing)},
              {"last_event", std::move(last)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<AlertState> DecodeAlertState(std::string_view text) {
  try {
    const json j = json::parse(text);
    AlertState state;
    if (auto t = ParseRfc3339(j.value("updated_at", std::string()))) state.updated_at = *t;
    const json firing = j.value("firing", json::array());
    for (const json& f : firing) {
      FiringAlert a;
      a.alert.id = f.value("id", std::string());
      a.alert.rule = f.value("rule", std::string());
      a.alert.subject = f.value("subject", std::string());
      a.alert.message = f.value("message", std::string());
      if (auto t = ParseRfc3339(f.value("since", std::string()))) a.fired_at = *t;
      if (auto t = ParseRfc3339(f.value("clear_since", std::string()))) a.clear_since = *t;
      if (!a.alert.id.empty()) state.firing[a.alert.id] = std::move(a);
    }
    const json last = j.value("last_event", json::object());
    for (const auto& [name, t] : last.items())
      if (t.is_string())
        if (auto at = ParseRfc3339(t.get<std::string>())) state.last_event[name] = *at;
    return state;
  } catch (const std::exception& e) {
    return MakeError(ErrorKind::kCorrupt, std::string("alert record unreadable: ") + e.what());
  }
}

json AlertsJson(const std::optional<AlertState>& state) {
  json firing = json::array();
  json updated = nullptr;
  if (state) {
    std::vector<const FiringAlert*> all;
    for (const auto& [id, f] : state->firing) all.push_back(&f);
    std::stable_sort(all.begin(), all.end(), [](const FiringAlert* a, const FiringAlert* b) {
      return a->fired_at < b->fired_at;
    });
    for (const FiringAlert* f : all) firing.push_back(FiringJson(*f));
    updated = FormatRfc3339(state->updated_at);
  }
  return json{{"updated_at", updated}, {"firing", std::move(firing)}};
}

std::string AlertPayload(const FiringAlert& alert) {
  return FiringJson(alert).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace floortrack
