#include "adapters/formats/sdcp/sdcp_format.h"

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/topic.h"

namespace floortrack {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxString = 256;  // the canonical event's string limit
constexpr std::size_t kMaxId = 64;
// Status messages remembered to recognise a replay: more than the broker redelivers
// after a crash (its max_inflight_messages; docs/broker.md sets 100).
constexpr std::size_t kRecent = 128;

// TimeStamp: SDCP v3 sends Unix seconds; the v1 samples published show small
// numbers (8629636) that look like time since boot. Only a value that can be
// a wall clock becomes the event's ts.
constexpr std::int64_t kEpochSecondsMin = 946684800;      // 2000-01-01 in seconds
constexpr std::int64_t kEpochSecondsMax = 99999999999;    // beyond: not seconds
constexpr std::int64_t kEpochMillisMin = 946684800000;    // 2000-01-01 in milliseconds
constexpr std::int64_t kEpochMillisMax = 32503680000000;  // 3000-01-01 in milliseconds

// PrintInfo.Status. v1 (Saturn 3 Ultra) reports 16 for complete; the other
// values are SDCP v3's list, the best public guess for v1.
bool IsActive(std::int64_t s) { return (s >= 1 && s <= 7) || s == 10; }
bool IsComplete(std::int64_t s) { return s == 16 || s == 9; }
constexpr std::int64_t kIdle = 0;
constexpr std::int64_t kHoming = 1;
constexpr std::int64_t kFileChecking = 10;
constexpr std::int64_t kStopped = 8;
bool IsAtRest(std::int64_t s) { return s == kIdle || s == kStopped || IsComplete(s); }

Error Invalid(std::string message) {
  return MakeError(ErrorKind::kInvalid, "sdcp: " + std::move(message));
}

// Text as shown in an error: at most 64 bytes, control characters escaped.
std::string Shown(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < 64; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > 64) out += "...";
  return out;
}

// FNV-1a over the topic and the payload, as 16 hex digits.
std::string Fingerprint(std::string_view topic, std::string_view payload) {
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](std::string_view bytes) {
    for (unsigned char c : bytes) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  mix(topic);
  mix(std::string_view("\0", 1));
  mix(payload);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, h);
  return buf;
}

struct Topic {
  std::string kind;  // status, attributes, response, ...
  std::string mainboard_id;
};

// `/sdcp/<kind>/<MainboardID>` (v1; v3 drops the leading slash; a bridge
// may add a prefix).
std::optional<Topic> ParseTopic(std::string_view topic) {
  auto levels = TopicLevels(topic);
  std::size_t n = levels.size();
  if (n < 3 || levels[n - 3] != "sdcp") return std::nullopt;
  std::string_view kind = levels[n - 2], id = levels[n - 1];
  if (kind != "status" && kind != "attributes" && kind != "response" && kind != "request" &&
      kind != "notice" && kind != "error")
    return std::nullopt;
  if (id.empty() || id.size() > kMaxId) return std::nullopt;
  return Topic{std::string(kind), std::string(id)};
}

// Type-checked members of one object; the first problem wins.
class Reader {
 public:
  Reader(const json& object, std::string prefix, std::string& error)
      : object_(object), prefix_(std::move(prefix)), error_(error) {}

  const json* Find(const char* name) const {
    auto it = object_.find(name);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  std::optional<std::int64_t> Integer(const char* name) {
    const json* v = Find(name);
    if (!v) return std::nullopt;
    if (!IsInt(*v)) return Fail(name, "must be an integer");
    return v->get<std::int64_t>();
  }
  std::optional<std::string> String(const char* name) {
    const json* v = Find(name);
    if (!v) return std::nullopt;
    if (!v->is_string()) return Fail(name, "must be a string");
    if (v->get_ref<const std::string&>().size() > kMaxString)
      return Fail(name, "is longer than " + std::to_string(kMaxString) + " bytes");
    return v->get<std::string>();
  }
  // CurrentStatus: an integer in v1, an array of integers in v3. Whether
  // it says "printing" (1).
  std::optional<bool> Printing(const char* name) {
    const json* v = Find(name);
    if (!v) return std::nullopt;
    if (IsInt(*v)) return v->get<std::int64_t>() == 1;
    if (v->is_array()) {
      bool printing = false;
      for (const json& e : *v) {
        if (!IsInt(e)) return Fail(name, "must be an integer or an array of integers");
        if (e.get<std::int64_t>() == 1) printing = true;
      }
      return printing;
    }
    return Fail(name, "must be an integer or an array of integers");
  }
  const json* Object(const char* name) {
    const json* v = Find(name);
    if (v && !v->is_object()) {
      Fail(name, "must be an object");
      return nullptr;
    }
    return v;
  }
  std::nullopt_t Fail(const char* name, const std::string& problem) {
    if (error_.empty()) error_ = "field '" + prefix_ + name + "' " + problem;
    return std::nullopt;
  }

 private:
  static bool IsInt(const json& v) {
    return v.is_number_integer() &&
           !(v.is_number_unsigned() &&
             v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX));
  }

  const json& object_;
  std::string prefix_;
  std::string& error_;
};

// What one status message says.
struct StatusReport {
  std::optional<bool> printing;              // CurrentStatus says 1 (printing)
  std::optional<std::int64_t> print_status;  // PrintInfo.Status
  std::int64_t error_number = 0;             // PrintInfo.ErrorNumber
  std::string filename;                      // PrintInfo.Filename
  std::string task_id;                       // PrintInfo.TaskId (v3)
  std::optional<std::int64_t> ts_ms;         // TimeStamp, when it is a wall clock
};

Result<StatusReport> ReadStatus(const json& doc) {
  std::string error;
  Reader top(doc, "", error);
  const json* data = top.Object("Data");
  if (!error.empty()) return Invalid(error);
  // v1 nests the status in Data (vvuk/cassini); v3 puts it at the top level.
  const json* holder = &doc;
  std::string prefix;
  if (data && data->contains("Status")) {
    holder = data;
    prefix = "Data.";
  }
  Reader outer(*holder, prefix, error);
  const json* status = outer.Object("Status");
  if (!error.empty()) return Invalid(error);
  if (!status) return Invalid("status message without Status (neither Data.Status nor Status)");

  StatusReport s;
  auto stamp = outer.Integer("TimeStamp");
  if (!stamp && data && holder != data) stamp = Reader(*data, "Data.", error).Integer("TimeStamp");
  if (!error.empty()) return Invalid(error);
  if (stamp) {
    if (*stamp >= kEpochSecondsMin && *stamp <= kEpochSecondsMax)
      s.ts_ms = *stamp * 1000;
    else if (*stamp >= kEpochMillisMin && *stamp <= kEpochMillisMax)
      s.ts_ms = *stamp;
  }

  Reader st(*status, prefix + "Status.", error);
  s.printing = st.Printing("CurrentStatus");
  const json* info = st.Object("PrintInfo");
  if (!error.empty()) return Invalid(error);
  if (info) {
    Reader pi(*info, prefix + "Status.PrintInfo.", error);
    s.print_status = pi.Integer("Status");
    s.error_number = pi.Integer("ErrorNumber").value_or(0);
    s.filename = pi.String("Filename").value_or("");
    if (const json* task = pi.Find("TaskId"); task && task->is_number_integer())
      s.task_id = task->dump();
    else
      s.task_id = pi.String("TaskId").value_or("");
    if (!error.empty()) return Invalid(error);
  }
  return s;
}

// The printer's state, kept between messages (DeviceOutput::state).
struct PrinterState {
  bool seen = false;  // a status with PrintInfo was applied
  std::int64_t job = 0;
  bool printing = false;
  std::string job_name;
  std::string job_task;
  std::string fault;                // the last error reported during the job
  std::vector<std::string> recent;  // fingerprints of the last kRecent status messages
};

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A state that does not parse (never written by this format) counts as none.
PrinterState LoadState(std::string_view text) {
  PrinterState s;
  if (text.empty()) return s;
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return s;
  if (auto it = j.find("job"); it != j.end() && it->is_number_integer())
    s.job = it->get<std::int64_t>();
  if (auto it = j.find("printing"); it != j.end() && it->is_boolean()) s.printing = it->get<bool>();
  if (auto it = j.find("seen"); it != j.end() && it->is_boolean())
    s.seen = it->get<bool>();
  else
    s.seen = s.job > 0 || s.printing;
  s.job_name = Str(j, "job_name");
  s.job_task = Str(j, "job_task");
  s.fault = Str(j, "fault");
  if (auto it = j.find("recent"); it != j.end() && it->is_array())
    for (const json& fp : *it)
      if (fp.is_string()) s.recent.push_back(fp.get<std::string>());
  return s;
}

std::string SaveState(const PrinterState& s) {
  json j = json::object();
  j["seen"] = s.seen;
  j["job"] = s.job;
  j["printing"] = s.printing;
  j["job_name"] = s.job_name;
  j["job_task"] = s.job_task;
  j["fault"] = s.fault;
  j["recent"] = s.recent;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string ErrorText(std::int64_t n) { return "error " + std::to_string(n); }

class Decoder {
 public:
  Decoder(const DeviceReading& reading, std::string id, PrinterState state)
      : reading_(reading), id_(std::move(id)), s_(std::move(state)) {}

  void Apply(const StatusReport& st) {
    ts_ms_ = st.ts_ms;
    if (!st.print_status) return;  // no PrintInfo: nothing about a job
    const std::int64_t ps = *st.print_status;
    const bool printing_flag = st.printing.value_or(false);

    const bool first_sight = !s_.seen;
    s_.seen = true;
    if (s_.printing && AnotherJob(st)) Begin(st, true);
    if (!s_.printing) {
      // A start: the job's sub-status is active, or the machine says it is
      // printing while the sub-status is one this format does not know. A
      // printer first heard of mid-print (past homing or file checking):
      // its start time is unknown, so it gets no print_started; its end is
      // recorded.
      if (IsActive(ps) || (printing_flag && !IsAtRest(ps)))
        Begin(st, !first_sight || ps == kHoming || ps == kFileChecking);
      return;
    }
    if (st.error_number != 0) s_.fault = ErrorText(st.error_number);
    if (s_.job_name.empty()) s_.job_name = st.filename;
    if (IsComplete(ps)) {
      if (st.error_number != 0)
        End("fail", ErrorText(st.error_number));
      else
        End("pass", "");
    } else if (ps == kStopped) {
      End("fail", s_.fault.empty() ? "stopped" : s_.fault);
    } else if (ps == kIdle && !printing_flag) {
      // Idle without complete or stopped (e.g. the printer was restarted).
      End("fail", s_.fault.empty() ? "interrupted" : s_.fault);
    }
  }

  DeviceOutput Output() && {
    DeviceOutput out;
    out.device = "sdcp:" + id_;
    std::string state = SaveState(s_);
    if (state != reading_.state) out.state = std::move(state);
    out.events = std::move(events_);
    return out;
  }

 private:
  // While a job is under way, a status that belongs to another: the end of
  // this one was never seen. It stays open; the other starts.
  bool AnotherJob(const StatusReport& st) const {
    if (!st.task_id.empty() && !s_.job_task.empty() && st.task_id != s_.job_task) return true;
    return IsActive(*st.print_status) && !st.filename.empty() && !s_.job_name.empty() &&
           st.filename != s_.job_name;
  }

  void Begin(const StatusReport& st, bool announce) {
    ++s_.job;
    s_.printing = true;
    s_.job_name = st.filename;
    s_.job_task = st.task_id;
    s_.fault = st.error_number != 0 ? ErrorText(st.error_number) : "";
    if (announce) Emit("print_started", "", "");
  }

  void End(const char* result, const std::string& defect) {
    Emit("printed", result, defect);
    s_.printing = false;
    s_.fault.clear();
  }

  void Emit(const char* stage, const char* result, const std::string& defect) {
    DeviceEvent e;
    e.fields.stage = stage;
    e.fields.event_id = "sdcp:" + id_ + ":job-" + std::to_string(s_.job) + ":" + stage;
    if (ts_ms_) e.fields.ts = *ts_ms_;
    if (!reading_.station.empty()) e.fields.station = reading_.station;
    if (*result) e.fields.result = result;
    if (!defect.empty()) e.fields.defect = defect;
    e.job = s_.job_name;
    events_.push_back(std::move(e));
  }

  const DeviceReading& reading_;
  std::string id_;
  PrinterState s_;
  std::optional<std::int64_t> ts_ms_;
  std::vector<DeviceEvent> events_;
};

Result<DeviceOutput> DecodeMessage(const DeviceReading& reading) {
  auto topic = ParseTopic(reading.topic);
  if (!topic)
    return Invalid("topic '" + Shown(reading.topic) +
                   "' is not /sdcp/<status|attributes|response>/<MainboardID>");
  // nlohmann's lexer takes a NUL byte for the end of input.
  if (auto nul = reading.payload.find('\0'); nul != std::string_view::npos)
    return Invalid("not valid JSON (NUL byte at " + std::to_string(nul) + ")");
  json doc = json::parse(reading.payload, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Invalid("not valid JSON");
  if (!doc.is_object()) return Invalid("payload is not a JSON object");

  DeviceOutput unchanged;
  unchanged.device = "sdcp:" + topic->mainboard_id;
  if (topic->kind != "status") return unchanged;  // attributes, responses: nothing about the job

  auto status = ReadStatus(doc);
  if (!status) return status.error();

  // A status this printer sent among its last kRecent is a redelivery (the
  // broker replays what was not acknowledged before a crash, and the state
  // has moved on since): applying it again could start a finished job anew.
  PrinterState state = LoadState(reading.state);
  std::string fingerprint = Fingerprint(reading.topic, reading.payload);
  for (const std::string& fp : state.recent)
    if (fp == fingerprint) return unchanged;
  state.recent.push_back(std::move(fingerprint));
  if (state.recent.size() > kRecent) state.recent.erase(state.recent.begin());

  Decoder decoder(reading, topic->mainboard_id, std::move(state));
  decoder.Apply(status.value());
  return std::move(decoder).Output();
}

class Format final : public DeviceFormat {
 public:
  std::string_view name() const override { return "sdcp"; }
  Result<DeviceOutput> Decode(const DeviceReading& reading) const noexcept override {
    try {
      return DecodeMessage(reading);
    } catch (const std::exception& e) {
      return Invalid(std::string("message could not be decoded: ") + e.what());
    } catch (...) {
      return Invalid("message could not be decoded");
    }
  }
};

}  // namespace

const DeviceFormat& SdcpFormat() {
  static const Format format;
  return format;
}

}  // namespace floortrack
