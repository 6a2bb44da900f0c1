#include "adapters/formats/octoprint/octoprint_format.h"

#include <cmath>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "core/topic.h"

namespace floortrack {
namespace {

using nlohmann::json;

// OctoPrint fires PrintCancelled and then PrintFailed (reason "cancelled")
// for one cancel; with whole-second timestamps the second may carry a later
// second. A cancel of the same file within this window is that same end.
constexpr std::int64_t kCancelPairWindowMs = 60'000;

// A job number beyond any printer's life; a saved state above it is not ours.
constexpr std::int64_t kMaxJob = 1'000'000'000'000;

// `_timestamp` above this many seconds (year 5138) is not a Unix time.
constexpr double kMaxTimestampS = 1e11;

Error Invalid(std::string message) {
  return MakeError(ErrorKind::kInvalid, "octoprint: " + std::move(message));
}

// What the format remembers about one printer between messages.
struct PrinterState {
  std::int64_t job = 0;                    // the number of the current or last job
  bool printing = false;                   // job `job` has started and not ended
  std::string file;                        // the file job `job` prints
  std::optional<std::int64_t> started_ms;  // the _timestamp of its PrintStarted
  std::optional<std::int64_t> ended_ms;    // the _timestamp of the last job end
  std::string ended_file;                  // the file of the last job end
  bool ended_cancelled = false;            // the last job end was a cancel
};

// A member that is present and not null, else nullptr.
const json* Member(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<PrinterState> ReadState(std::string_view text, const std::string& device) {
  PrinterState s;
  if (text.empty()) return s;
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  bool ok = doc.is_object() && doc.contains("v") && doc["v"] == 1;
  auto integer = [&](const char* key, std::optional<std::int64_t>& out) {
    const json* v = ok ? Member(doc, key) : nullptr;
    if (!v) return;
    if (v->is_number_integer())
      out = v->get<std::int64_t>();
    else
      ok = false;
  };
  auto text_of = [&](const char* key, std::string& out) {
    const json* v = ok ? Member(doc, key) : nullptr;
    if (!v) return;
    if (v->is_string())
      out = v->get<std::string>();
    else
      ok = false;
  };
  auto flag = [&](const char* key, bool& out) {
    const json* v = ok ? Member(doc, key) : nullptr;
    if (!v) return;
    if (v->is_boolean())
      out = v->get<bool>();
    else
      ok = false;
  };
  std::optional<std::int64_t> job;
  integer("job", job);
  s.job = job.value_or(0);
  flag("printing", s.printing);
  text_of("file", s.file);
  integer("started_ms", s.started_ms);
  integer("ended_ms", s.ended_ms);
  text_of("ended_file", s.ended_file);
  flag("ended_cancelled", s.ended_cancelled);
  if (!ok || s.job < 0 || s.job > kMaxJob)
    return Invalid("the saved state of " + device + " is unreadable");
  return s;
}

std::string WriteState(const PrinterState& s) {
  json doc = {{"v", 1}, {"job", s.job}, {"printing", s.printing}, {"file", s.file}};
  if (s.started_ms) doc["started_ms"] = *s.started_ms;
  if (s.ended_ms) doc["ended_ms"] = *s.ended_ms;
  if (!s.ended_file.empty()) doc["ended_file"] = s.ended_file;
  if (s.ended_cancelled) doc["ended_cancelled"] = true;
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

// `_timestamp`, Unix seconds (an integer from the plugin; fractions
// accepted), as epoch milliseconds; nullopt when absent.
Result<std::optional<std::int64_t>> ReadTimestamp(const json& payload) {
  const json* v = Member(payload, "_timestamp");
  if (!v) return std::optional<std::int64_t>{};
  if (!v->is_number()) return Invalid("field '_timestamp' must be a number (Unix seconds)");
  double seconds = v->get<double>();
  if (!std::isfinite(seconds) || seconds < 0 || seconds > kMaxTimestampS)
    return Invalid("field '_timestamp' is not a Unix time in seconds");
  return std::optional<std::int64_t>{std::llround(seconds * 1000)};
}

std::string Basename(std::string path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The printed file: `name`, else the last part of `path`; OctoPrint before
// 1.3.0 sent `filename` and `file` instead.
Result<std::string> ReadFileName(const json& payload) {
  struct Key {
    const char* name;
    bool is_path;
  };
  for (Key key :
       {Key{"name", false}, Key{"path", true}, Key{"filename", false}, Key{"file", true}}) {
    const json* v = Member(payload, key.name);
    if (!v) continue;
    if (!v->is_string()) return Invalid(std::string("field '") + key.name + "' must be a string");
    std::string file = v->get<std::string>();
    if (key.is_path) file = Basename(std::move(file));
    if (!file.empty()) return file;
  }
  return std::string();
}

enum class Kind { kOther, kStarted, kDone, kFailed, kCancelled };

Kind KindOf(std::string_view event) {
  if (event == "PrintStarted") return Kind::kStarted;
  if (event == "PrintDone") return Kind::kDone;
  if (event == "PrintFailed") return Kind::kFailed;
  if (event == "PrintCancelled") return Kind::kCancelled;
  return Kind::kOther;
}

class OctoPrint final : public DeviceFormat {
 public:
  std::string_view name() const override { return "octoprint"; }

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
  static Result<DeviceOutput> DecodeMessage(const DeviceReading& reading) {
    DeviceOutput out;
    out.device = "octoprint:" + reading.station;
    // <base>/event/<Event>; everything else (progress, temperature, the
    // plugin's connection status) says nothing about jobs.
    auto levels = TopicLevels(reading.topic);
    if (levels.size() < 2 || levels[levels.size() - 2] != "event") return out;
    std::string event(levels.back());

    if (reading.payload.find('\0') != std::string_view::npos)
      return Invalid("payload of event " + event + " is not valid JSON");
    json payload = json::parse(reading.payload, nullptr, /*allow_exceptions=*/false);
    if (payload.is_discarded()) return Invalid("payload of event " + event + " is not valid JSON");
    if (!payload.is_object()) return Invalid("payload of event " + event + " is not a JSON object");
    if (const json* e = Member(payload, "_event"); e && e->is_string())
      event = e->get<std::string>();
    Kind kind = KindOf(event);
    if (kind == Kind::kOther) return out;

    auto ts = ReadTimestamp(payload);
    if (!ts) return ts.error();
    auto file = ReadFileName(payload);
    if (!file) return file.error();
    if (file.value().empty()) return Invalid(event + " names no file (name, path)");
    std::string reason;
    if (const json* v = Member(payload, "reason"); v && v->is_string())
      reason = v->get<std::string>();

    auto state = ReadState(reading.state, out.device);
    if (!state) return state.error();
    PrinterState s = std::move(state).value();

    if (kind == Kind::kStarted) {
      if (!Starts(s, ts.value(), file.value())) return out;
      s.job += 1;
      s.printing = true;
      s.file = file.value();
      s.started_ms = ts.value();
      out.events.push_back(
          MakeEvent(reading, out.device, s.job, "print_started", ts.value(), file.value()));
      out.state = WriteState(s);
      return out;
    }

    bool cancelled = kind == Kind::kCancelled || (kind == Kind::kFailed && reason == "cancelled");
    auto job = EndingJob(s, ts.value(), file.value(), cancelled);
    if (!job) return out;
    s.job = *job;
    s.printing = false;
    s.ended_ms = ts.value();
    s.ended_file = file.value();
    s.ended_cancelled = cancelled;
    DeviceEvent printed = MakeEvent(reading, out.device, *job, "printed", ts.value(), file.value());
    if (kind == Kind::kDone) {
      printed.fields.result = "pass";
    } else {
      printed.fields.result = "fail";
      printed.fields.defect = cancelled ? "cancelled" : "error";
    }
    out.events.push_back(std::move(printed));
    out.state = WriteState(s);
    return out;
  }

  // Whether a PrintStarted begins a new job, rather than being a redelivery
  // of one the state has already seen (or older than it).
  static bool Starts(const PrinterState& s, std::optional<std::int64_t> ts,
                     const std::string& file) {
    if (!ts) return !(s.printing && s.file == file);
    if (s.started_ms && *ts <= *s.started_ms) return false;
    if (s.ended_ms && *ts < *s.ended_ms) return false;
    return true;
  }

  // The number of the job a PrintDone/PrintFailed/PrintCancelled ends, or
  // nullopt when it ends none: a redelivery, the second message of a cancel,
  // or an end older than the state. An end the state saw no start for (the
  // start was lost, or floortrack was set up mid-print) ends a job of its own.
  static std::optional<std::int64_t> EndingJob(const PrinterState& s,
                                               std::optional<std::int64_t> ts,
                                               const std::string& file, bool cancelled) {
    if (s.printing) {
      if (ts && s.started_ms && *ts < *s.started_ms) return std::nullopt;  // an earlier job's
      if (file == s.file) return s.job;
      return s.job + 1;  // another file: this job's start, and the last one's end, were missed
    }
    if (!ts) return std::nullopt;  // cannot tell a redelivery from a missed start
    if (s.ended_ms && *ts <= *s.ended_ms) return std::nullopt;
    if (s.started_ms && *ts < *s.started_ms) return std::nullopt;
    if (cancelled && s.ended_cancelled && file == s.ended_file && s.ended_ms &&
        *ts - *s.ended_ms <= kCancelPairWindowMs)
      return std::nullopt;
    return s.job + 1;
  }

  static DeviceEvent MakeEvent(const DeviceReading& reading, const std::string& device,
                               std::int64_t job, const char* stage, std::optional<std::int64_t> ts,
                               const std::string& file) {
    DeviceEvent e;
    e.fields.stage = stage;
    e.fields.event_id = device + ":" + std::to_string(job) + ":" + stage;
    if (ts) e.fields.ts = RawTime{*ts};
    if (!reading.station.empty()) e.fields.station = reading.station;
    e.job = file;
    return e;
  }
};

}  // namespace

const DeviceFormat& OctoPrintFormat() {
  static const OctoPrint format;
  return format;
}

}  // namespace floortrack
