#include "adapters/formats/moonraker/moonraker_format.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <exception>
#include <nlohmann/json.hpp>
#include <numbers>
#include <optional>
#include <string>
#include <utility>

#include "core/topic.h"

namespace floortrack {
namespace {

using nlohmann::json;

// How many saved statuses are remembered to recognise a redelivery: more
// than the broker has in flight to floortrackd at once (max_inflight_messages
// 100 in docs/broker.md).
constexpr std::size_t kRecent = 128;

// filament_used changes with every status while printing; the state is
// saved again only once it has moved this far (0.026 g of 1.75 mm filament
// at 1.1 g/ml), so a job's grams may miss at most this much.
constexpr double kFilamentStepMm = 10;

// A job number beyond any printer's life; a saved state above it is not ours.
constexpr std::int64_t kMaxJob = 1'000'000'000'000;

// The canonical event's limit for any string (docs/events.md).
constexpr std::size_t kMaxStringBytes = 256;

Error Invalid(std::string message) {
  return MakeError(ErrorKind::kInvalid, "moonraker: " + std::move(message));
}

// The print_stats fields the format reads; absent = not known yet.
struct PrintStats {
  std::optional<std::string> filename;
  std::optional<std::string> state;
  std::optional<double> filament_used;  // mm of filament extruded by the current job
  std::optional<std::string> message;
};

// What the format remembers about one printer between messages.
struct PrinterState {
  std::int64_t job = 0;       // the number of the current or last job
  std::deque<double> recent;  // the eventtimes of the last kRecent statuses saved
  PrintStats stats;           // the last print_stats, merged from the deltas
};

const json* Member(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

// Reads `object`'s print_stats fields into `stats`, replacing those present.
// On a type mismatch returns the field's name (prefixed) and what it must be.
std::optional<std::string> ReadStats(const json& object, const std::string& prefix,
                                     PrintStats& stats) {
  for (auto [key, out] : {std::pair{"filename", &stats.filename}, std::pair{"state", &stats.state},
                          std::pair{"message", &stats.message}}) {
    const json* v = Member(object, key);
    if (!v) continue;
    if (!v->is_string()) return "field '" + prefix + key + "' must be a string";
    *out = v->get<std::string>();
  }
  if (const json* v = Member(object, "filament_used")) {
    if (!v->is_number()) return "field '" + prefix + "filament_used' must be a number";
    stats.filament_used = v->get<double>();
  }
  return std::nullopt;
}

Result<PrinterState> ReadState(std::string_view text, const std::string& device) {
  PrinterState s;
  if (text.empty()) return s;
  Error unreadable = Invalid("the saved state of " + device + " is unreadable");
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("v") || doc["v"] != 1) return unreadable;
  if (const json* v = Member(doc, "job")) {
    if (!v->is_number_integer() || v->get<std::int64_t>() < 0 || v->get<std::int64_t>() > kMaxJob)
      return unreadable;
    s.job = v->get<std::int64_t>();
  }
  if (const json* v = Member(doc, "recent")) {
    if (!v->is_array() || v->size() > kRecent) return unreadable;
    for (const json& t : *v) {
      if (!t.is_number()) return unreadable;
      s.recent.push_back(t.get<double>());
    }
  }
  if (const json* v = Member(doc, "print_stats")) {
    if (!v->is_object() || ReadStats(*v, "", s.stats)) return unreadable;
  }
  return s;
}

std::string WriteState(const PrinterState& s) {
  json stats = json::object();
  if (s.stats.filename) stats["filename"] = *s.stats.filename;
  if (s.stats.state) stats["state"] = *s.stats.state;
  if (s.stats.filament_used) stats["filament_used"] = *s.stats.filament_used;
  if (s.stats.message) stats["message"] = *s.stats.message;
  json doc = {{"v", 1}, {"job", s.job}, {"print_stats", std::move(stats)}};
  if (!s.recent.empty()) doc["recent"] = s.recent;
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

// `text` cut to at most `max` bytes, not inside a UTF-8 sequence.
std::string Truncate(std::string text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text;
}

bool InJob(const std::string& state) { return state == "printing" || state == "paused"; }
bool Ended(const std::string& state) {
  return state == "complete" || state == "error" || state == "cancelled";
}
bool Idle(const std::string& state) { return state == "standby" || Ended(state); }

// The source material's grams for `length_mm` of filament, or nullopt when
// the material, its density or the length is unknown.
std::optional<MaterialFields> Material(const DeviceReading& reading,
                                       std::optional<double> length_mm, bool scrap) {
  if (!reading.source || reading.source->material.empty() || !reading.density_g_per_ml)
    return std::nullopt;
  auto density = reading.density_g_per_ml->find(reading.source->material);
  if (density == reading.density_g_per_ml->end() || !(density->second > 0)) return std::nullopt;
  double diameter = reading.source->filament_diameter_mm;
  if (!length_mm || !(*length_mm > 0) || !(diameter > 0)) return std::nullopt;
  // mm of filament x cross-section in mm² = mm³; / 1000 = ml.
  double ml = *length_mm * std::numbers::pi * (diameter / 2) * (diameter / 2) / 1000;
  double grams = std::round(ml * density->second * 1000) / 1000;
  if (!std::isfinite(grams)) return std::nullopt;
  MaterialFields m;
  m.type = reading.source->material;
  m.used_g = grams;
  m.scrap_g = scrap ? grams : 0.0;
  return m;
}

class Moonraker final : public DeviceFormat {
 public:
  std::string_view name() const override { return "moonraker"; }

  Result<DeviceOutput> Decode(const DeviceReading& reading) const noexcept override {
    try {
      return DecodeMessage(reading);
    } catch (const std::exception& e) {
      return Invalid(std::string("message could not be decoded: ") + e.what());
    } catch (...) {
      return Invalid("message could not be decoded");
    }
  }

 private:
  static Result<json> ParseObject(std::string_view payload, const char* what) {
    json doc;
    if (payload.find('\0') == std::string_view::npos)
      doc = json::parse(payload, nullptr, /*allow_exceptions=*/false);
    else
      doc = json(json::value_t::discarded);
    if (doc.is_discarded()) return Invalid(std::string(what) + " is not valid JSON");
    if (!doc.is_object()) return Invalid(std::string(what) + " is not a JSON object");
    return doc;
  }

  static Result<DeviceOutput> DecodeMessage(const DeviceReading& reading) {
    DeviceOutput out;
    out.device = "moonraker:" + reading.station;
    auto levels = TopicLevels(reading.topic);
    std::size_t n = levels.size();
    auto ends_with = [&](std::string_view a, std::string_view b) {
      return n >= 2 && levels[n - 2] == a && levels[n - 1] == b;
    };
    if (ends_with("moonraker", "status")) {  // {"server": "online"}: the last will
      auto doc = ParseObject(reading.payload, "server status");
      if (!doc) return doc.error();
      return out;
    }
    if (n >= 4 && levels[n - 4] == "klipper" && levels[n - 3] == "state")
      return Invalid(
          "split status topics (publish_split_status) are not supported; set "
          "publish_split_status: False and read <instance>/klipper/status");
    if (!ends_with("klipper", "status")) return out;  // API responses, other publishers

    auto parsed = ParseObject(reading.payload, "status");
    if (!parsed) return parsed.error();
    const json& doc = parsed.value();
    std::optional<double> eventtime;
    if (const json* v = Member(doc, "eventtime")) {
      if (!v->is_number()) return Invalid("field 'eventtime' must be a number");
      eventtime = v->get<double>();
    }
    const json* status = Member(doc, "status");
    if (!status) return Invalid("field 'status' is missing");
    if (!status->is_object()) return Invalid("field 'status' must be an object");
    const json* print_stats = Member(*status, "print_stats");
    if (!print_stats) return out;  // other printer objects only
    if (!print_stats->is_object()) return Invalid("field 'status.print_stats' must be an object");
    PrintStats delta;
    if (auto problem = ReadStats(*print_stats, "status.print_stats.", delta))
      return Invalid(*problem);

    auto state = ReadState(reading.state, out.device);
    if (!state) return state.error();
    const PrinterState prev = std::move(state).value();
    // Klipper stamps each status with its own clock: a status whose time
    // was saved already is a redelivery (a restarted host's clock begins
    // again, but does not hit those exact times).
    if (eventtime &&
        std::find(prev.recent.begin(), prev.recent.end(), *eventtime) != prev.recent.end())
      return out;

    PrinterState next = prev;
    for (auto [from, to] : {std::pair{&delta.filename, &next.stats.filename},
                            std::pair{&delta.state, &next.stats.state},
                            std::pair{&delta.message, &next.stats.message}})
      if (*from) *to = *from;
    if (delta.filament_used) next.stats.filament_used = delta.filament_used;

    Transition(reading, out.device, prev, delta, next, out.events);
    // A status that names the state, file or message is always saved (so its
    // redelivery is recognised); others only when the filament moved enough.
    // An unsaved status changes nothing a redelivery could repeat.
    if (!out.events.empty() || delta.state || delta.filename || delta.message ||
        Moved(prev, next)) {
      if (eventtime) {
        next.recent.push_back(*eventtime);
        if (next.recent.size() > kRecent) next.recent.pop_front();
      }
      out.state = WriteState(next);
    }
    return out;
  }

  // Whether `next` differs enough from `prev` to be saved. Durations and
  // small filament steps are not: they change every status while printing.
  static bool Moved(const PrinterState& prev, const PrinterState& next) {
    const PrintStats& a = prev.stats;
    const PrintStats& b = next.stats;
    if (a.filename != b.filename || a.state != b.state || a.message != b.message ||
        prev.job != next.job)
      return true;
    if (a.filament_used.has_value() != b.filament_used.has_value()) return true;
    return a.filament_used && std::fabs(*b.filament_used - *a.filament_used) >= kFilamentStepMm;
  }

  // Appends the events of going from `prev` to `next` (`delta` = what the
  // message said) and numbers the jobs in `next`.
  static void Transition(const DeviceReading& reading, const std::string& device,
                         const PrinterState& prev, const PrintStats& delta, PrinterState& next,
                         std::vector<DeviceEvent>& events) {
    const std::string from = prev.stats.state.value_or("");
    const std::string to = next.stats.state.value_or("");
    const std::string& old_file = prev.stats.filename.value_or("");
    bool other_file = delta.filename && !delta.filename->empty() && !old_file.empty() &&
                      *delta.filename != old_file;
    std::string file = next.stats.filename.value_or("");

    if (InJob(to)) {
      if (Idle(from) || (InJob(from) && other_file)) {
        // A new job. From a job with another file: that job's end was missed.
        next.job += 1;
        events.push_back(MakeEvent(reading, device, next.job, "print_started", file));
      } else if (!Idle(from) && !InJob(from)) {
        next.job += 1;  // first seen mid-job: its start is unknown, its end will be job `job`
      }
      return;
    }
    if (Ended(to) && from != to) {
      std::int64_t job;
      if (InJob(from) && !other_file)
        job = prev.job;
      else if (from == "standby" || InJob(from))
        job = prev.job + 1;  // its start (or this file's start) was missed
      else
        return;  // first seen after the job, or one end after another
      next.job = job;
      bool pass = to == "complete";
      DeviceEvent e = MakeEvent(reading, device, job, "printed", file);
      e.fields.result = pass ? "pass" : "fail";
      if (!pass) {
        std::string message = next.stats.message.value_or("");
        e.fields.defect = Truncate(message.empty() ? to : to + ": " + message, kMaxStringBytes);
      }
      e.fields.material = Material(reading, next.stats.filament_used, !pass);
      events.push_back(std::move(e));
      return;
    }
    if (to == "standby" && InJob(from) && file.empty()) {
      // Klipper restarted or the file was reset mid-job; print_stats was reset
      // with it, so the job's file and filament are the previous ones. (With
      // a file loaded instead, the job's end was missed, e.g. while Moonraker
      // was disconnected from the broker: its result is unknown.)
      DeviceEvent e = MakeEvent(reading, device, prev.job, "printed", old_file);
      e.fields.result = "fail";
      e.fields.defect = "interrupted";
      e.fields.material = Material(reading, prev.stats.filament_used, true);
      events.push_back(std::move(e));
    }
  }

  static DeviceEvent MakeEvent(const DeviceReading& reading, const std::string& device,
                               std::int64_t job, const char* stage, const std::string& file) {
    DeviceEvent e;
    e.fields.stage = stage;
    e.fields.event_id = device + ":" + std::to_string(job) + ":" + stage;
    if (!reading.station.empty()) e.fields.station = reading.station;
    e.job = file;
    return e;
  }
};

}  // namespace

const DeviceFormat& MoonrakerFormat() {
  static const Moonraker format;
  return format;
}

}  // namespace floortrack
