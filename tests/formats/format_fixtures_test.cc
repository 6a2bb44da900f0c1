// Data-driven tests of the device formats (adapters/formats/): every folder
// tests/fixtures/formats/<format>/<case>/ is one case, run here without any
// code of its own. tests/fixtures/formats/README.md describes the files.
//
// Each message is decoded with the state the previous one left (state =
// output.state when set, as Ingest does), its output compared with the same
// line of expected.jsonl, and then decoded a second time with the state it
// left (a broker redelivery): that must produce no event with a new
// event_id.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "adapters/formats/registry.h"
#include "core/device_format.h"
#include "core/time.h"
#include "core/topic.h"

namespace floortrack {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path FormatsDir() { return fs::path(FLOORTRACK_FIXTURES) / "formats"; }

std::vector<fs::path> SubDirs(const fs::path& dir) {
  std::vector<fs::path> dirs;
  if (!fs::is_directory(dir)) return dirs;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_directory()) dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

std::string ReadText(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Collects a case's problems, each with where it happened.
class Problems {
 public:
  explicit Problems(std::string where) : where_(std::move(where)) {}
  void Add(const std::string& what) { FAIL_CHECK(where_ << ": " << what); }
  Problems At(const std::string& more) const { return Problems(where_ + " " + more); }

 private:
  std::string where_;
};

// One JSON value per non-empty line; nullopt (with the problem added) on a
// line that is not JSON.
std::optional<std::vector<json>> ReadJsonLines(const fs::path& file, Problems& problems) {
  std::vector<json> lines;
  std::istringstream in(ReadText(file));
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json value = json::parse(line, nullptr, false);
    if (value.is_discarded()) {
      problems.Add(file.filename().string() + " line " + std::to_string(number) + " is not JSON");
      return std::nullopt;
    }
    lines.push_back(std::move(value));
  }
  return lines;
}

// A case's source.json.
struct CaseSource {
  Source source;
  std::map<std::string, double> density_g_per_ml;
  std::string initial_state;
};

CaseSource ReadSource(const fs::path& dir, Problems& problems) {
  CaseSource c;
  if (!fs::exists(dir / "source.json")) return c;
  json doc = json::parse(ReadText(dir / "source.json"), nullptr, false);
  if (!doc.is_object()) {
    problems.Add("source.json is not a JSON object");
    return c;
  }
  for (const auto& [key, value] : doc.items()) {
    if (key == "station" && value.is_string())
      c.source.station = value.get<std::string>();
    else if (key == "stage" && value.is_string())
      c.source.stage = value.get<std::string>();
    else if (key == "material" && value.is_string())
      c.source.material = value.get<std::string>();
    else if (key == "filament_diameter_mm" && value.is_number())
      c.source.filament_diameter_mm = value.get<double>();
    else if (key == "debounce_s" && value.is_number())
      c.source.debounce_s = value.get<double>();
    else if (key == "orders_from_job" && value.is_string())
      c.source.orders_from_job = value.get<std::string>();
    else if (key == "batch_from_job" && value.is_string())
      c.source.batch_from_job = value.get<std::string>();
    else if (key == "initial_state" && value.is_string())
      c.initial_state = value.get<std::string>();
    else if (key == "density_g_per_ml" && value.is_object()) {
      for (const auto& [type, density] : value.items())
        if (density.is_number()) c.density_g_per_ml[type] = density.get<double>();
    } else if (key != "comment")
      problems.Add("source.json: unknown key or wrong type: '" + key + "'");
  }
  return c;
}

std::string Show(const RawTime& t) {
  if (const auto* ms = std::get_if<std::int64_t>(&t)) return std::to_string(*ms);
  return '"' + std::get<std::string>(t) + '"';
}

bool Near(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b)); }

// Compares the keys present in `want` with `got`; a key set to null must be
// absent (empty for job and code).
void CompareEvent(const json& want, const DeviceEvent& got, Problems problems) {
  if (!want.is_object()) {
    problems.Add("an expected event is not a JSON object");
    return;
  }
  const EventFields& f = got.fields;
  const std::map<std::string, const std::optional<std::string>*> strings = {
      {"event_id", &f.event_id}, {"order_id", &f.order_id},      {"stage", &f.stage},
      {"station", &f.station},   {"operator", &f.operator_name}, {"result", &f.result},
      {"defect", &f.defect},     {"reason", &f.reason},          {"batch_id", &f.batch_id}};
  for (const auto& [key, value] : want.items()) {
    if (auto it = strings.find(key); it != strings.end()) {
      const std::optional<std::string>& have = *it->second;
      if (value.is_null()) {
        if (have) problems.Add(key + ": want absent, got \"" + *have + '"');
      } else if (!have || !value.is_string() || *have != value.get<std::string>()) {
        problems.Add(key + ": want " + value.dump() + ", got " +
                     (have ? '"' + *have + '"' : std::string("absent")));
      }
    } else if (key == "job" || key == "code") {
      const std::string& have = key == "job" ? got.job : got.code;
      std::string expect = value.is_string() ? value.get<std::string>() : "";
      if (!(value.is_null() || value.is_string()) || have != expect)
        problems.Add(key + ": want " + value.dump() + ", got \"" + have + '"');
    } else if (key == "ts") {
      std::optional<RawTime> expect;
      if (value.is_number_integer())
        expect = RawTime{value.get<std::int64_t>()};
      else if (value.is_string())
        expect = RawTime{value.get<std::string>()};
      else if (!value.is_null())
        problems.Add("ts: an expected ts is an integer, a string or null");
      if (expect != f.ts)
        problems.Add("ts: want " + value.dump() + ", got " + (f.ts ? Show(*f.ts) : "absent"));
    } else if (key == "material") {
      if (value.is_null()) {
        if (f.material) problems.Add("material: want absent, got one");
        continue;
      }
      if (!f.material) {
        problems.Add("material: want " + value.dump() + ", got absent");
        continue;
      }
      const MaterialFields& m = *f.material;
      for (const auto& [mkey, mvalue] : value.items()) {
        if (mkey == "type") {
          if (!m.type || !mvalue.is_string() || *m.type != mvalue.get<std::string>())
            problems.Add("material.type: want " + mvalue.dump() + ", got " +
                         (m.type ? *m.type : "absent"));
          continue;
        }
        const std::optional<double>* have = mkey == "used_g"        ? &m.used_g
                                            : mkey == "scrap_g"     ? &m.scrap_g
                                            : mkey == "recovered_g" ? &m.recovered_g
                                                                    : nullptr;
        if (!have) {
          problems.Add("material: unknown expected key '" + mkey + "'");
        } else if (!mvalue.is_number() || !*have || !Near(**have, mvalue.get<double>())) {
          problems.Add("material." + mkey + ": want " + mvalue.dump() + ", got " +
                       (*have ? std::to_string(**have) : std::string("absent")));
        }
      }
    } else {
      problems.Add("unknown expected key '" + key + "'");
    }
  }
}

std::string PayloadBytes(const json& payload) {
  return payload.is_string() ? payload.get<std::string>() : payload.dump();
}

void RunCase(const DeviceFormat& format, const fs::path& dir) {
  Problems problems(std::string(format.name()) + "/" + dir.filename().string());
  CaseSource c = ReadSource(dir, problems);
  auto messages = ReadJsonLines(dir / "messages.jsonl", problems);
  auto expected = ReadJsonLines(dir / "expected.jsonl", problems);
  if (!messages || !expected) return;
  if (messages->empty()) problems.Add("messages.jsonl has no messages");
  if (messages->size() != expected->size()) {
    problems.Add("messages.jsonl has " + std::to_string(messages->size()) +
                 " lines, expected.jsonl " + std::to_string(expected->size()));
    return;
  }

  std::string state = c.initial_state;
  for (std::size_t i = 0; i < messages->size(); ++i) {
    Problems at = problems.At("message " + std::to_string(i + 1));
    const json& message = (*messages)[i];
    const json& want = (*expected)[i];
    if (!message.is_object() || !message.contains("topic") || !message["topic"].is_string() ||
        !message.contains("payload")) {
      at.Add("a message needs a string 'topic' and a 'payload'");
      continue;
    }
    std::string topic = message["topic"].get<std::string>();
    std::string payload = PayloadBytes(message["payload"]);
    TimePoint received = FromEpochMs(1793607300000);  // 2026-11-02T08:15:00Z
    if (message.contains("received_at")) {
      auto t = message["received_at"].is_string()
                   ? ParseRfc3339(message["received_at"].get<std::string>())
                   : std::nullopt;
      if (!t) at.Add("received_at is not RFC 3339");
      if (t) received = *t;
    }

    DeviceReading reading;
    reading.topic = topic;
    reading.payload = payload;
    reading.received_at = received;
    reading.station = ResolveStation(c.source.station, topic);
    reading.source = &c.source;
    reading.density_g_per_ml = &c.density_g_per_ml;
    reading.state = state;
    auto out = format.Decode(reading);

    if (want.contains("error")) {
      if (out) {
        at.Add("want an error containing " + want["error"].dump() + ", got " +
               std::to_string(out.value().events.size()) + " event(s)");
      } else if (!want["error"].is_string() ||
                 out.error().message.find(want["error"].get<std::string>()) == std::string::npos) {
        at.Add("want an error containing " + want["error"].dump() + ", got \"" +
               out.error().message + '"');
      }
    }
    if (!out) {
      if (!want.contains("error")) at.Add("unexpected error: " + out.error().message);
      if (out.error().kind != ErrorKind::kInvalid) at.Add("an error must be kInvalid");
      if (out.error().message.find(format.name()) == std::string::npos)
        at.Add("the error does not name the format: " + out.error().message);
      continue;
    }
    const DeviceOutput& output = out.value();
    if (output.state && output.device.empty()) at.Add("a state without a device key");
    if (want.contains("saves_state") && want["saves_state"] != output.state.has_value())
      at.Add(std::string("want saves_state ") + want["saves_state"].dump() + ", got " +
             (output.state ? "true" : "false"));
    const json want_events = want.value("events", json::array());
    if (!want_events.is_array()) {
      at.Add("'events' must be an array");
    } else if (want_events.size() != output.events.size()) {
      std::string ids;
      for (const auto& e : output.events) ids += " " + e.fields.event_id.value_or("(no id)");
      at.Add("want " + std::to_string(want_events.size()) + " event(s), got " +
             std::to_string(output.events.size()) + ":" + ids);
    } else {
      for (std::size_t k = 0; k < output.events.size(); ++k)
        CompareEvent(want_events[k], output.events[k], at.At("event " + std::to_string(k + 1)));
    }
    if (output.state) state = *output.state;

    // A redelivery of the same message, after this one was applied.
    reading.state = state;
    auto again = format.Decode(reading);
    if (!again) {
      at.Add("its redelivery is an error: " + again.error().message);
      continue;
    }
    std::set<std::string> ids;
    for (const auto& e : output.events)
      if (e.fields.event_id) ids.insert(*e.fields.event_id);
    for (const auto& e : again.value().events) {
      if (!e.fields.event_id || !ids.count(*e.fields.event_id))
        at.Add("its redelivery gives a new event: " + e.fields.event_id.value_or("(no id)"));
    }
  }
}

TEST_CASE("device formats: every fixture case under tests/fixtures/formats") {
  std::vector<fs::path> format_dirs = SubDirs(FormatsDir());
  REQUIRE_FALSE(format_dirs.empty());
  std::set<std::string> with_cases;
  for (const fs::path& format_dir : format_dirs) {
    std::string name = format_dir.filename().string();
    const DeviceFormat* format = FindDeviceFormat(name);
    CHECK_MESSAGE(format != nullptr, "fixtures for an unknown format: " << name);
    if (!format) continue;
    CHECK(format->name() == name);
    for (const fs::path& dir : SubDirs(format_dir)) {
      with_cases.insert(name);
      RunCase(*format, dir);
    }
  }
  for (std::string_view name : DeviceFormatNames())
    CHECK_MESSAGE(with_cases.count(std::string(name)),
                  "format " << name << " has no case in tests/fixtures/formats/" << name);
}

TEST_CASE("device formats: the registry") {
  for (std::string_view name : DeviceFormatNames()) {
    const DeviceFormat* format = FindDeviceFormat(name);
    REQUIRE(format != nullptr);
    CHECK(format->name() == name);
  }
  CHECK(FindDeviceFormat("octoprint") != nullptr);
  CHECK(FindDeviceFormat("moonraker") != nullptr);
  CHECK(FindDeviceFormat("canonical") == nullptr);
  CHECK(FindDeviceFormat("") == nullptr);
  CHECK(FindDeviceFormat("OctoPrint") == nullptr);
}

}  // namespace
}  // namespace floortrack
