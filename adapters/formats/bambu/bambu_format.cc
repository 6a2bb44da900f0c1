#include "adapters/formats/bambu/bambu_format.h"

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
constexpr std::size_t kMaxSerial = 64;
// Reports remembered to recognise a replay: more than the broker redelivers
// after a crash (its max_inflight_messages; docs/broker.md sets 100).
constexpr std::size_t kRecent = 128;
constexpr std::int64_t kCancelledPrintError = 50348044;  // 0x0300400C: the user stopped the print

Error Invalid(std::string message) {
  return MakeError(ErrorKind::kInvalid, "bambu: " + std::move(message));
}

// A topic level or value as shown in an error: at most 64 bytes, control
// characters escaped.
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

// The serial of `.../device/<serial>/report` (a bridge may add a prefix).
std::optional<std::string> SerialOf(std::string_view topic) {
  auto levels = TopicLevels(topic);
  std::size_t n = levels.size();
  if (n < 3 || levels[n - 1] != "report" || levels[n - 3] != "device") return std::nullopt;
  if (levels[n - 2].empty() || levels[n - 2].size() > kMaxSerial) return std::nullopt;
  return std::string(levels[n - 2]);
}

// Reads the members of the `print` object, type-checked; the first problem wins.
class PrintReader {
 public:
  explicit PrintReader(const json& print) : print_(print) {}
  const std::string& error() const { return error_; }

  // A string member.
  std::optional<std::string> String(const char* name) {
    const json* v = Find(name);
    if (!v) return std::nullopt;
    if (!v->is_string()) return Fail(name, "must be a string");
    return Checked(name, v->get<std::string>());
  }
  // An id: a string, or an integer written as one.
  std::optional<std::string> Id(const char* name) {
    const json* v = Find(name);
    if (!v) return std::nullopt;
    if (v->is_string()) return Checked(name, v->get<std::string>());
    if (v->is_number_integer()) return v->dump();
    return Fail(name, "must be a string or an integer");
  }
  // An integer, or a string of decimal digits.
  std::optional<std::int64_t> Integer(const char* name) {
    const json* v = Find(name);
    if (!v) return std::nullopt;
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
      return Fail(name, "is out of range");
    if (v->is_number_integer()) return v->get<std::int64_t>();
    if (v->is_string()) {
      const std::string& s = v->get_ref<const std::string&>();
      std::int64_t value = 0;
      bool ok = !s.empty() && s.size() <= 18;
      for (char c : s) {
        if (c < '0' || c > '9') ok = false;
        if (ok) value = value * 10 + (c - '0');
      }
      if (ok) return value;
    }
    return Fail(name, "must be an integer");
  }

 private:
  const json* Find(const char* name) const {
    auto it = print_.find(name);
    if (it == print_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  std::optional<std::string> Checked(const char* name, std::string value) {
    if (value.size() > kMaxString) {
      Fail(name, "is longer than " + std::to_string(kMaxString) + " bytes");
      return std::nullopt;
    }
    return value;
  }
  std::nullopt_t Fail(const char* name, const std::string& problem) {
    if (error_.empty()) error_ = std::string("field 'print.") + name + "' " + problem;
    return std::nullopt;
  }

  const json& print_;
  std::string error_;
};

// What one report says (each field nullopt when the report does not carry it).
struct Report {
  std::optional<std::string> gcode_state;
  std::optional<std::string> subtask_name;
  std::optional<std::string> gcode_file;
  std::optional<std::string> task_id;
  std::optional<std::int64_t> print_error;
  std::optional<std::string> mc_print_error_code;
};

// The printer's state, kept between messages (DeviceOutput::state).
struct PrinterState {
  // Merged report fields.
  std::string gcode_state;
  std::string subtask_name;
  std::string gcode_file;
  std::string task_id;
  // The job: its counter, whether it is under way, whether its print_started
  // is still to be sent (the name was not known yet), its name and task, and
  // the last failure reason the printer gave during it.
  std::int64_t job = 0;
  bool printing = false;
  bool start_pending = false;
  std::string job_name;
  std::string job_task;
  std::string fault;
  // Fingerprints of the last kRecent reports, oldest first.
  std::vector<std::string> recent;
};

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

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A state that does not parse (never written by this format) counts as none:
// the printer is then seen for the first time rather than rejected forever.
PrinterState LoadState(std::string_view text) {
  PrinterState s;
  if (text.empty()) return s;
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return s;
  s.gcode_state = Str(j, "gcode_state");
  s.subtask_name = Str(j, "subtask_name");
  s.gcode_file = Str(j, "gcode_file");
  s.task_id = Str(j, "task_id");
  if (auto it = j.find("job"); it != j.end() && it->is_number_integer())
    s.job = it->get<std::int64_t>();
  if (auto it = j.find("printing"); it != j.end() && it->is_boolean()) s.printing = it->get<bool>();
  if (auto it = j.find("start_pending"); it != j.end() && it->is_boolean())
    s.start_pending = it->get<bool>();
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
  j["gcode_state"] = s.gcode_state;
  j["subtask_name"] = s.subtask_name;
  j["gcode_file"] = s.gcode_file;
  j["task_id"] = s.task_id;
  j["job"] = s.job;
  j["printing"] = s.printing;
  j["start_pending"] = s.start_pending;
  j["job_name"] = s.job_name;
  j["job_task"] = s.job_task;
  j["fault"] = s.fault;
  j["recent"] = s.recent;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool IsActive(const std::string& gcode_state) {
  return gcode_state == "PREPARE" || gcode_state == "RUNNING" || gcode_state == "PAUSE";
}

// A task id that names a cloud job ("0" or "" for a print sent over the LAN).
bool IsTask(const std::string& task_id) { return !task_id.empty() && task_id != "0"; }

// An error code other than none ("0" or "").
bool IsCode(const std::string& code) { return !code.empty() && code != "0"; }

std::string JobName(const PrinterState& s) {
  return !s.subtask_name.empty() ? s.subtask_name : s.gcode_file;
}

// print_error is a 32-bit code Bambu shows as "0300-400C".
std::string PrintErrorText(std::int64_t code) {
  if (code == kCancelledPrintError) return "cancelled";
  char buf[32];
  auto u = static_cast<std::uint32_t>(code);
  std::snprintf(buf, sizeof buf, "print_error %04X-%04X", u >> 16, u & 0xffffu);
  return buf;
}

class Decoder {
 public:
  Decoder(const DeviceReading& reading, std::string serial, PrinterState state)
      : reading_(reading), serial_(std::move(serial)), s_(std::move(state)) {}

  void Apply(const Report& r) {
    const std::string before = s_.gcode_state;  // "" until the printer's state is known
    if (r.gcode_state) s_.gcode_state = *r.gcode_state;
    if (r.subtask_name) s_.subtask_name = *r.subtask_name;
    if (r.gcode_file) s_.gcode_file = *r.gcode_file;
    if (r.task_id) s_.task_id = *r.task_id;
    const bool names_job = (r.subtask_name || r.gcode_file) && !JobName(s_).empty();

    if (s_.printing && !s_.start_pending && StartsAnotherJob(r, before)) BeginJob(r);
    if (!s_.printing && r.gcode_state && IsActive(s_.gcode_state)) {
      BeginJob(r);
      // A printer first heard of mid-print: its start time is unknown, so
      // it gets no print_started; its end is recorded.
      if (before.empty() && s_.gcode_state != "PREPARE") s_.start_pending = false;
    }
    if (!s_.printing) return;

    // The job's task id, when it comes after the job's first report.
    if (r.task_id && IsTask(*r.task_id) && !IsTask(s_.job_task)) s_.job_task = *r.task_id;

    if (r.print_error && *r.print_error != 0)
      s_.fault = PrintErrorText(*r.print_error);
    else if (r.mc_print_error_code && IsCode(*r.mc_print_error_code) && s_.fault.empty())
      s_.fault = "mc_print_error_code " + *r.mc_print_error_code;
    if (s_.job_name.empty()) s_.job_name = JobName(s_);
    // The start is announced once the job's name is known: it came with this
    // report, or the printer is past preparing (a reprint of the same file
    // does not send the unchanged name again).
    if (s_.start_pending && (names_job || s_.gcode_state == "RUNNING" || s_.gcode_state == "PAUSE"))
      AnnounceStart();
    if (s_.gcode_state == "FINISH")
      End("pass", "");
    else if (s_.gcode_state == "FAILED")
      End("fail", s_.fault.empty() ? "failed" : s_.fault);
    else if (s_.gcode_state == "IDLE")  // neither FINISH nor FAILED: the printer restarted mid-job
      End("fail", "interrupted");
  }

  DeviceOutput Output() && {
    DeviceOutput out;
    out.device = "bambu:" + serial_;
    std::string state = SaveState(s_);
    if (state != reading_.state) out.state = std::move(state);
    out.events = std::move(events_);
    return out;
  }

 private:
  // While a job is under way, a report that can only belong to the next one:
  // the end of this one was lost (the bridge forwards at QoS 0). This job
  // stays open; the next starts.
  bool StartsAnotherJob(const Report& r, const std::string& before) const {
    if (r.gcode_state && *r.gcode_state == "PREPARE" && (before == "RUNNING" || before == "PAUSE"))
      return true;
    return r.task_id && IsTask(*r.task_id) && IsTask(s_.job_task) && *r.task_id != s_.job_task;
  }

  // The job's task id is taken only from a report that carries one: the
  // merged one may still be the last job's.
  void BeginJob(const Report& r) {
    ++s_.job;
    s_.printing = true;
    s_.start_pending = true;
    s_.job_name = JobName(s_);
    s_.job_task = r.task_id.value_or("");
    s_.fault.clear();
  }

  void AnnounceStart() {
    s_.start_pending = false;
    s_.job_name = JobName(s_);
    Emit("print_started", "", "");
  }

  void End(const char* result, const std::string& defect) {
    if (s_.start_pending) AnnounceStart();
    Emit("printed", result, defect);
    s_.printing = false;
    s_.fault.clear();
  }

  void Emit(const char* stage, const char* result, const std::string& defect) {
    DeviceEvent e;
    e.fields.stage = stage;
    e.fields.event_id = "bambu:" + serial_ + ":job-" + std::to_string(s_.job) + ":" + stage;
    if (!reading_.station.empty()) e.fields.station = reading_.station;
    if (*result) e.fields.result = result;
    if (!defect.empty()) e.fields.defect = defect;
    e.job = s_.job_name;
    events_.push_back(std::move(e));
  }

  const DeviceReading& reading_;
  std::string serial_;
  PrinterState s_;
  std::vector<DeviceEvent> events_;
};

Result<DeviceOutput> DecodeReport(const DeviceReading& reading) {
  auto serial = SerialOf(reading.topic);
  if (!serial) return Invalid("topic '" + Shown(reading.topic) + "' is not device/<serial>/report");
  // nlohmann's lexer takes a NUL byte for the end of input.
  if (auto nul = reading.payload.find('\0'); nul != std::string_view::npos)
    return Invalid("not valid JSON (NUL byte at " + std::to_string(nul) + ")");
  json doc = json::parse(reading.payload, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Invalid("not valid JSON");
  if (!doc.is_object()) return Invalid("payload is not a JSON object");

  DeviceOutput unchanged;
  unchanged.device = "bambu:" + *serial;
  auto it = doc.find("print");
  // {"info": ...}, {"system": ...}, {"mc_print": ...}: nothing about the job.
  if (it == doc.end() || it->is_null()) return unchanged;
  if (!it->is_object()) return Invalid("field 'print' must be an object");
  const json& print = *it;

  PrintReader r(print);
  auto command = r.String("command");
  Report report;
  report.gcode_state = r.String("gcode_state");
  report.subtask_name = r.String("subtask_name");
  report.gcode_file = r.String("gcode_file");
  report.task_id = r.Id("task_id");
  report.print_error = r.Integer("print_error");
  report.mc_print_error_code = r.Id("mc_print_error_code");
  if (!r.error().empty()) return Invalid(r.error());
  // Answers to commands ({"command": "project_file", "result": "success", ...})
  // echo their request: only push_status describes the printer.
  if (command && *command != "push_status") return unchanged;

  // A report this printer sent among its last kRecent is a redelivery (the
  // broker replays what was not acknowledged before a crash, and the state
  // has moved on since): applying it again could start a finished job anew.
  PrinterState state = LoadState(reading.state);
  std::string fingerprint = Fingerprint(reading.topic, reading.payload);
  for (const std::string& fp : state.recent)
    if (fp == fingerprint) return unchanged;
  state.recent.push_back(std::move(fingerprint));
  if (state.recent.size() > kRecent) state.recent.erase(state.recent.begin());

  Decoder decoder(reading, *serial, std::move(state));
  decoder.Apply(report);
  return std::move(decoder).Output();
}

class Format final : public DeviceFormat {
 public:
  std::string_view name() const override { return "bambu"; }
  Result<DeviceOutput> Decode(const DeviceReading& reading) const noexcept override {
    try {
      return DecodeReport(reading);
    } catch (const std::exception& e) {
      return Invalid(std::string("report could not be decoded: ") + e.what());
    } catch (...) {
      return Invalid("report could not be decoded");
    }
  }
};

}  // namespace

const DeviceFormat& BambuFormat() {
  static const Format format;
  return format;
}

}  // namespace floortrack
