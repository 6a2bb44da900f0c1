#include "adapters/config_file.h"

#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "adapters/iana_time_zone.h"
#include "core/corrections.h"
#include "core/time.h"
#include "core/topic.h"

namespace floortrack {
namespace {

// Collects every problem found, each naming the file and the key.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}
  bool failed() const { return !error_.empty(); }
  // Every problem found, one per line.
  Error error() const { return MakeError(ErrorKind::kInvalid, error_); }

  void Fail(const std::string& key, const std::string& problem) {
    if (!error_.empty()) error_ += "\n";
    error_ += source_ + ": key '" + key + "': " + problem;
  }

  void String(const toml::table& t, const std::string& path, const char* key, std::string& out) {
    const toml::node* n = t.get(key);
    if (!n) return;
    if (auto v = n->value<std::string>(); v && n->is_string())
      out = *v;
    else
      Fail(Join(path, key), "must be a string");
  }

  void Int(const toml::table& t, const std::string& path, const char* key, int& out, int min,
           int max) {
    const toml::node* n = t.get(key);
    if (!n) return;
    auto v = n->is_integer() ? n->value<std::int64_t>() : std::nullopt;
    if (!v || *v < min || *v > max)
      Fail(Join(path, key),
           "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    else
      out = static_cast<int>(*v);
  }

  void Bool(const toml::table& t, const std::string& path, const char* key, bool& out) {
    const toml::node* n = t.get(key);
    if (!n) return;
    if (n->is_boolean())
      out = *n->value<bool>();
    else
      Fail(Join(path, key), "must be true or false");
  }

  void StringList(const toml::table& t, const std::string& path, const char* key,
                  std::vector<std::string>& out) {
    const toml::node* n = t.get(key);
    if (!n) return;
    const toml::array* a = n->as_array();
    std::vector<std::string> values;
    if (a) {
      for (const toml::node& e : *a) {
        if (!e.is_string()) {
          a = nullptr;
          break;
        }
        values.push_back(*e.value<std::string>());
      }
    }
    if (!a) return Fail(Join(path, key), "must be an array of strings");
    out = std::move(values);
  }

  void KnownKeys(const toml::table& t, const std::string& path, std::set<std::string> allowed) {
    for (const auto& [k, v] : t) {
      if (!allowed.count(std::string(k.str())))
        Fail(Join(path, std::string(k.str())), "unknown key");
    }
  }

  const toml::table* Table(const toml::table& t, const char* key) {
    const toml::node* n = t.get(key);
    if (!n) return &empty_;
    if (!n->is_table()) {
      Fail(key, "must be a table");
      return &empty_;
    }
    return n->as_table();
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

 private:
  std::string source_;
  std::string error_;
  toml::table empty_;
};

void ReadMqtt(Reader& r, const toml::table& t, MqttConfig& m) {
  r.KnownKeys(t, "mqtt",
              {"uri", "client_id", "topics", "qos", "keep_alive_s", "connect_timeout_s",
               "reconnect_min_ms", "reconnect_max_ms", "username", "password_file", "ca_file",
               "cert_file", "key_file", "verify_hostname"});
  r.String(t, "mqtt", "uri", m.uri);
  r.String(t, "mqtt", "client_id", m.client_id);
  r.StringList(t, "mqtt", "topics", m.topics);
  r.Int(t, "mqtt", "qos", m.qos, 0, 2);
  if (m.qos != 1)
    r.Fail("mqtt.qos",
           "only 1 is supported: QoS 1 plus deduplication stores each event once "
           "(docs/reliability.md)");
  r.Int(t, "mqtt", "keep_alive_s", m.keep_alive_s, 1, 3600);
  r.Int(t, "mqtt", "connect_timeout_s", m.connect_timeout_s, 1, 300);
  r.Int(t, "mqtt", "reconnect_min_ms", m.reconnect_min_ms, 10, 60000);
  r.Int(t, "mqtt", "reconnect_max_ms", m.reconnect_max_ms, 10, 600000);
  r.String(t, "mqtt", "username", m.username);
  r.String(t, "mqtt", "password_file", m.password_file);
  r.String(t, "mqtt", "ca_file", m.ca_file);
  r.String(t, "mqtt", "cert_file", m.cert_file);
  r.String(t, "mqtt", "key_file", m.key_file);
  r.Bool(t, "mqtt", "verify_hostname", m.verify_hostname);
  if (m.uri.rfind("tcp://", 0) != 0 && m.uri.rfind("ssl://", 0) != 0 &&
      m.uri.rfind("mqtt://", 0) != 0 && m.uri.rfind("mqtts://", 0) != 0)
    r.Fail("mqtt.uri", "must start with tcp://, ssl://, mqtt:// or mqtts://");
  if (m.client_id.empty() || m.client_id.size() > 256)
    r.Fail("mqtt.client_id", "must be 1 to 256 characters");
  if (m.topics.empty()) r.Fail("mqtt.topics", "must list at least one topic filter");
  if (m.reconnect_min_ms > m.reconnect_max_ms)
    r.Fail("mqtt.reconnect_min_ms", "must not exceed mqtt.reconnect_max_ms");
  if (!m.password_file.empty() && m.username.empty())
    r.Fail("mqtt.password_file",
           "needs mqtt.username (MQTT sends a password only with a user name)");
  if (!m.UsesTls()) {
    for (const auto& [key, value] : {std::pair{"mqtt.ca_file", &m.ca_file},
                                     {"mqtt.cert_file", &m.cert_file},
                                     {"mqtt.key_file", &m.key_file}})
      if (!value->empty()) r.Fail(key, "is set but mqtt.uri does not use TLS (ssl:// or mqtts://)");
  }
  if (m.cert_file.empty() != m.key_file.empty())
    r.Fail(m.cert_file.empty() ? "mqtt.cert_file" : "mqtt.key_file",
           "mqtt.cert_file and mqtt.key_file go together: set both or neither");
}

// Reads a secret file; strips trailing newlines (CR or LF).
Result<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return MakeError(ErrorKind::kNotFound, "cannot read '" + path + "': " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return MakeError(ErrorKind::kIo, "cannot read '" + path + "'");
  std::string secret = text.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) return MakeError(ErrorKind::kInvalid, "'" + path + "' is empty");
  return secret;
}

// Reads what the parsed config points at: the password, and the TLS files
// (only checked for readability; Paho reads them on every connect).
Result<Config> LoadReferencedFiles(Config config, const std::string& source) {
  auto fail = [&](const std::string& key, const Error& e) {
    return MakeError(e.kind, source + ": key '" + key + "': " + e.message);
  };
  MqttConfig& m = config.mqtt;
  if (!m.password_file.empty()) {
    auto secret = ReadSecretFile(m.password_file);
    if (!secret) return fail("mqtt.password_file", secret.error());
    m.password = std::move(secret).value();
  }
  for (const auto& [key, path] : {std::pair{"mqtt.ca_file", &m.ca_file},
                                  {"mqtt.cert_file", &m.cert_file},
                                  {"mqtt.key_file", &m.key_file}}) {
    if (path->empty()) continue;
    std::ifstream in(*path, std::ios::binary);
    if (!in)
      return fail(key, MakeError(ErrorKind::kNotFound,
                                 "cannot read '" + *path + "': " + std::strerror(errno)));
  }
  if (!config.http.token_file.empty()) {
    auto token = ReadSecretFile(config.http.token_file);
    if (!token) return fail("http.token_file", token.error());
    config.http.token = std::move(token).value();
  }
  return config;
}

void ReadHttp(Reader& r, const toml::table& t, HttpConfig& h) {
  r.KnownKeys(t, "http", {"listen", "token_file", "dashboard_dir", "chartjs_file"});
  r.String(t, "http", "listen", h.listen);
  r.String(t, "http", "token_file", h.token_file);
  r.String(t, "http", "dashboard_dir", h.dashboard_dir);
  r.String(t, "http", "chartjs_file", h.chartjs_file);
  if (!h.listen.empty()) {
    auto address = ParseListenAddress(h.listen);
    if (!address) r.Fail("http.listen", address.error().message);
  }
}

// A topic to publish to: not empty, no wildcard, no NUL, at most 65535 bytes.
bool IsPublishTopic(std::string_view topic) {
  return !topic.empty() && topic.size() <= 65535 &&
         topic.find_first_of(std::string_view("+#\0", 3)) == std::string_view::npos;
}

void ReadPublish(Reader& r, const toml::table& t, PublishConfig& p, const MqttConfig& m) {
  r.KnownKeys(t, "publish",
              {"kpi_topic", "interval_s", "homeassistant_discovery", "homeassistant_prefix"});
  r.String(t, "publish", "kpi_topic", p.kpi_topic);
  r.Int(t, "publish", "interval_s", p.interval_s, 1, 86400);
  r.Bool(t, "publish", "homeassistant_discovery", p.homeassistant_discovery);
  r.String(t, "publish", "homeassistant_prefix", p.homeassistant_prefix);
  if (!IsPublishTopic(p.kpi_topic))
    r.Fail("publish.kpi_topic", "must be an MQTT topic: not empty, without + or #");
  if (!IsPublishTopic(p.homeassistant_prefix) || p.homeassistant_prefix.front() == '/' ||
      p.homeassistant_prefix.back() == '/')
    r.Fail("publish.homeassistant_prefix",
           "must be an MQTT topic prefix: not empty, without + or #, no leading or trailing /");
  // The daemon's status topic (and last will) is floortrack/status/<client_id>.
  if (m.client_id.find_first_of("+#") != std::string::npos)
    r.Fail("mqtt.client_id",
           "must not contain + or #: it names the status topic floortrack/status/<client_id>");
}

// A number from `min` to `max` (inclusive).
void ReadNumber(Reader& r, const toml::table& t, const std::string& path, const char* key,
                double& out, double min, double max) {
  const toml::node* n = t.get(key);
  if (!n) return;
  auto v = n->is_number() ? n->value<double>() : std::nullopt;
  if (!v || !std::isfinite(*v) || *v < min || *v > max) {
    std::ostringstream range;
    range << "must be a number from " << min << " to " << max;
    return r.Fail(path + "." + key, range.str());
  }
  out = *v;
}

void ReadAlerts(Reader& r, const toml::table& root, AlertRules& a) {
  const toml::table* t = r.Table(root, "alerts");
  r.KnownKeys(
      *t, "alerts",
      {"max_stage_hours", "max_stage_hours_by_stage", "watch", "silent_after_min", "max_reject_pct",
       "reject_window_min", "min_messages", "kpi_window_days", "resolve_after_min", "interval_s"});
  ReadNumber(r, *t, "alerts", "max_stage_hours", a.max_stage_hours, 0.1, 24 * 365);
  ReadNumber(r, *t, "alerts", "silent_after_min", a.silent_after_min, 0.05, 7 * 24 * 60);
  ReadNumber(r, *t, "alerts", "max_reject_pct", a.max_reject_pct, 0, 100);
  ReadNumber(r, *t, "alerts", "reject_window_min", a.reject_window_min, 1, 24 * 60);
  ReadNumber(r, *t, "alerts", "kpi_window_days", a.kpi_window_days, 1, 366);
  ReadNumber(r, *t, "alerts", "interval_s", a.interval_s, 1, 3600);
  double resolve_min = std::chrono::duration<double, std::ratio<60>>(a.resolve_after).count();
  ReadNumber(r, *t, "alerts", "resolve_after_min", resolve_min, 0, 24 * 60);
  a.resolve_after = std::chrono::seconds(static_cast<long long>(resolve_min * 60));
  int min_messages = static_cast<int>(a.min_messages);
  r.Int(*t, "alerts", "min_messages", min_messages, 1, 1000000);
  a.min_messages = static_cast<std::size_t>(min_messages);
  if (const toml::node* n = t->get("max_stage_hours_by_stage")) {
    if (const toml::table* by = n->as_table()) {
      for (const auto& [stage, v] : *by) {
        double hours = 0;
        const std::string key = std::string(stage.str());
        toml::table one;
        one.insert(key, v);
        ReadNumber(r, one, "alerts.max_stage_hours_by_stage", key.c_str(), hours, 0.1, 24 * 365);
        a.max_stage_hours_by_stage[key] = hours;
      }
    } else {
      r.Fail("alerts.max_stage_hours_by_stage", "must be a table: stage = hours");
    }
  }
  if (const toml::node* n = t->get("watch")) {
    if (const toml::table* watch = n->as_table()) {
      for (const auto& [name, v] : *watch) {
        const std::string key = "alerts.watch." + std::string(name.str());
        auto filter = v.value<std::string>();
        if (!v.is_string() || !filter || !IsTopicFilter(*filter))
          r.Fail(key, "must be an MQTT topic filter, e.g. \"octoprint/printer-1/#\"");
        else if (name.str().find('/') != std::string_view::npos)
          r.Fail(key, "the name must not contain /: it is part of the alert id silent/<name>");
        else
          a.watch[std::string(name.str())] = *filter;
      }
    } else {
      r.Fail("alerts.watch", "must be a table: name = \"topic/filter/#\"");
    }
  }
}

void ReadStorage(Reader& r, const toml::table& t, StorageConfig& s) {
  r.KnownKeys(t, "storage",
              {"path", "synchronous", "busy_timeout_ms", "max_rejects", "journal",
               "journal_max_mib"});
  r.String(t, "storage", "path", s.path);
  r.String(t, "storage", "synchronous", s.synchronous);
  r.Int(t, "storage", "busy_timeout_ms", s.busy_timeout_ms, 0, 600000);
  r.Int(t, "storage", "max_rejects", s.max_rejects, 1, 100000000);
  r.Bool(t, "storage", "journal", s.journal);
  r.Int(t, "storage", "journal_max_mib", s.journal_max_mib, 1, 1024);
  if (s.path.empty()) r.Fail("storage.path", "must not be empty");
  if (s.synchronous != "full" && s.synchronous != "normal")
    r.Fail("storage.synchronous", "must be \"full\" or \"normal\"");
}

// 2000-01-01T00:00:00Z: device times before it are rejected, not flagged.
constexpr std::int64_t kYear2000Ms = 946'684'800'000;
// 50 years: larger than any real backfill; a way to switch "too_old" off.
constexpr int kMaxPastSkewS = 50 * 31'536'000;

bool IsCurrencyCode(const std::string& code) {
  if (code.size() != 3) return false;
  for (char c : code)
    if (c < 'A' || c > 'Z') return false;
  return true;
}

void ReadRules(Reader& r, const toml::table& root, Rules& rules) {
  r.StringList(root, "", "stages", rules.stages);
  std::set<std::string> seen;
  for (const auto& s : rules.stages)
    if (s.empty() || !seen.insert(s).second) r.Fail("stages", "names must be unique and non-empty");
  for (const char* needed : {kStageConfirmed, kStageShipped})
    if (!seen.count(needed)) r.Fail("stages", std::string("must include \"") + needed + "\"");

  r.StringList(root, "", "extra_kinds", rules.extra_kinds);
  std::set<std::string> kinds;
  for (const auto& k : rules.extra_kinds) {
    if (k.empty() || !kinds.insert(k).second)
      r.Fail("extra_kinds", "names must be unique and non-empty");
    else if (seen.count(k))
      r.Fail("extra_kinds", "'" + k + "' is a stage; an extra kind is never a production stage");
    else if (IsControlStage(k))
      r.Fail("extra_kinds", "'" + k + "' is a control stage (cancelled, on_hold, resumed, void)");
  }

  const toml::table* prices = r.Table(root, "material_cost_per_g");
  for (const auto& [k, v] : *prices) {
    auto price = v.value<double>();
    if (!price || !(v.is_number()) || !std::isfinite(*price) || *price < 0)
      r.Fail("material_cost_per_g." + std::string(k.str()), "must be a number >= 0");
    else
      rules.material_cost_per_g[std::string(k.str())] = *price;
  }

  const toml::table* kpi = r.Table(root, "kpi");
  r.KnownKeys(*kpi, "kpi",
              {"accuracy_failure_reasons", "currency", "default_promise_days",
               "design_submitted_stage", "csi_scale", "max_shift_hours"});
  r.Int(*kpi, "kpi", "default_promise_days", rules.default_promise_days, 0, 365);
  r.Int(*kpi, "kpi", "max_shift_hours", rules.max_shift_hours, 1, 24);
  r.String(*kpi, "kpi", "design_submitted_stage", rules.design_submitted_stage);
  if (kpi->get("design_submitted_stage") && !seen.count(rules.design_submitted_stage) &&
      !kinds.count(rules.design_submitted_stage))
    r.Fail("kpi.design_submitted_stage",
           "'" + rules.design_submitted_stage + "' is neither a stage nor an extra kind");
  if (const toml::node* n = kpi->get("csi_scale")) {
    const toml::array* a = n->as_array();
    const bool pair = a && a->size() == 2 && (*a)[0].is_number() && (*a)[1].is_number();
    const double lo = pair ? (*a)[0].value<double>().value_or(0) : 0;
    const double hi = pair ? (*a)[1].value<double>().value_or(0) : 0;
    if (!pair || !std::isfinite(lo) || !std::isfinite(hi) || lo >= hi)
      r.Fail("kpi.csi_scale", "must be [lowest, highest], two numbers, lowest first, e.g. [1, 10]");
    else
      rules.csi_min = lo, rules.csi_max = hi;
  }
  std::vector<std::string> reasons(rules.accuracy_failure_reasons.begin(),
                                   rules.accuracy_failure_reasons.end());
  r.StringList(*kpi, "kpi", "accuracy_failure_reasons", reasons);
  rules.accuracy_failure_reasons = {reasons.begin(), reasons.end()};
  r.String(*kpi, "kpi", "currency", rules.kpi_currency);
  if (!rules.kpi_currency.empty() && !IsCurrencyCode(rules.kpi_currency))
    r.Fail("kpi.currency", "must be \"\" or a three-letter ISO 4217 code such as \"EUR\"");

  const toml::table* ingest = r.Table(root, "ingest");
  r.KnownKeys(*ingest, "ingest",
              {"max_payload_bytes", "max_future_skew_s", "earliest_ts", "max_past_skew_s"});
  using std::chrono::seconds;
  int max_payload = static_cast<int>(rules.limits.max_payload_bytes);
  int skew_s = static_cast<int>(std::chrono::duration_cast<seconds>(rules.max_future_skew).count());
  int past_skew_s =
      static_cast<int>(std::chrono::duration_cast<seconds>(rules.max_past_skew).count());
  r.Int(*ingest, "ingest", "max_payload_bytes", max_payload, 256, 16 * 1024 * 1024);
  r.Int(*ingest, "ingest", "max_future_skew_s", skew_s, 0, 86400);
  r.Int(*ingest, "ingest", "max_past_skew_s", past_skew_s, 3600, kMaxPastSkewS);
  rules.limits.max_payload_bytes = static_cast<std::size_t>(max_payload);
  rules.max_future_skew = seconds(skew_s);
  rules.max_past_skew = seconds(past_skew_s);

  std::string earliest = FormatRfc3339(rules.earliest_ts);
  if (const toml::node* n = ingest->get("earliest_ts");
      n && (n->is_date_time() || n->is_date() || n->is_time()))
    r.Fail("ingest.earliest_ts", "must be a quoted string, e.g. \"2020-01-01T00:00:00Z\"");
  else
    r.String(*ingest, "ingest", "earliest_ts", earliest);
  if (auto parsed = ParseRfc3339OrError(earliest); !parsed)
    r.Fail("ingest.earliest_ts", "must be RFC 3339 with offset, e.g. \"2020-01-01T00:00:00Z\": " +
                                     parsed.error().message);
  else if (ToEpochMs(parsed.value()) < kYear2000Ms)
    r.Fail("ingest.earliest_ts",
           "must not be before 2000-01-01T00:00:00Z (earlier device times are rejected)");
  else
    rules.earliest_ts = parsed.value();
}

constexpr const char* kFormats[] = {"canonical", "scan", "octoprint", "moonraker", "bambu", "sdcp"};

bool IsFormat(const std::string& format) {
  for (const char* f : kFormats)
    if (format == f) return true;
  return false;
}

void ReadSource(Reader& r, const toml::table& t, const std::string& path, const Rules& rules,
                Source& s) {
  r.KnownKeys(t, path,
              {"topics", "format", "stage", "station", "debounce_s", "orders_from_job",
               "batch_from_job", "material", "filament_diameter_mm"});
  r.StringList(t, path, "topics", s.topics);
  if (s.topics.empty()) r.Fail(path + ".topics", "must list at least one topic filter");
  for (const std::string& filter : s.topics) {
    if (!IsTopicFilter(filter))
      r.Fail(path + ".topics", "'" + filter + "' is not an MQTT topic filter");
  }
  r.String(t, path, "format", s.format);
  if (!IsFormat(s.format))
    r.Fail(path + ".format", "'" + s.format +
                                 "' is not a format (canonical, scan, octoprint, moonraker, bambu, "
                                 "sdcp)");
  r.String(t, path, "stage", s.stage);
  if (s.format == "scan" && s.stage.empty())
    r.Fail(path + ".stage", "a scan source must say which stage a scan records");
  if (!s.stage.empty() && rules.StageIndex(s.stage) < 0)
    r.Fail(path + ".stage", "'" + s.stage + "' is not one of the configured stages");
  r.String(t, path, "station", s.station);
  if (auto checked = CheckStationTemplate(s.station, s.topics); !checked)
    r.Fail(path + ".station", checked.error().message);
  if (const toml::node* n = t.get("debounce_s")) {
    auto v = n->value<double>();
    if (!n->is_number() || !v || !std::isfinite(*v) || *v < 0 || *v > 3600)
      r.Fail(path + ".debounce_s", "must be a number of seconds from 0 to 3600");
    else
      s.debounce_s = *v;
  }
  for (const char* key : {"orders_from_job", "batch_from_job"}) {
    std::string& pattern =
        std::string(key) == "orders_from_job" ? s.orders_from_job : s.batch_from_job;
    r.String(t, path, key, pattern);
    if (pattern.empty()) continue;
    try {
      std::regex compiled(pattern);
    } catch (const std::regex_error& e) {
      r.Fail(path + "." + key, "'" + pattern + "' is not a valid regular expression: " + e.what());
    }
  }
  r.String(t, path, "material", s.material);
  if (const toml::node* n = t.get("filament_diameter_mm")) {
    auto v = n->value<double>();
    if (!n->is_number() || !v || !std::isfinite(*v) || *v <= 0 || *v > 10)
      r.Fail(path + ".filament_diameter_mm", "must be a number of millimetres above 0, up to 10");
    else
      s.filament_diameter_mm = *v;
  }
}

// A band: [min, max] (inf or -inf for an open side) or { min = .., max = .. }.
void ReadBand(Reader& r, const toml::node& n, const std::string& key, KpiBand& out) {
  const char* kShape =
      "must be [min, max] (numbers; inf or -inf for an open side) or "
      "{ min = .., max = .. }";
  std::optional<double> bounds[2];
  bool present[2] = {false, false};
  if (const toml::array* a = n.as_array()) {
    if (a->size() != 2) return r.Fail(key, kShape);
    for (std::size_t i = 0; i < 2; ++i) {
      if (!(*a)[i].is_number()) return r.Fail(key, kShape);
      bounds[i] = (*a)[i].value<double>();
      present[i] = true;
    }
  } else if (const toml::table* t = n.as_table()) {
    r.KnownKeys(*t, key, {"min", "max"});
    const char* names[2] = {"min", "max"};
    for (std::size_t i = 0; i < 2; ++i) {
      if (const toml::node* b = t->get(names[i])) {
        if (!b->is_number()) return r.Fail(key + "." + names[i], "must be a number");
        bounds[i] = b->value<double>();
        present[i] = true;
      }
    }
  } else {
    return r.Fail(key, kShape);
  }
  KpiBand band;
  for (std::size_t i = 0; i < 2; ++i) {
    if (!present[i] || !bounds[i]) continue;
    const double v = *bounds[i];
    if (std::isnan(v)) return r.Fail(key, "must not be nan");
    if (std::isinf(v)) {
      if ((i == 0) != (v < 0))
        return r.Fail(key, "min may be -inf, max may be inf, not the reverse");
      continue;
    }
    (i == 0 ? band.min : band.max) = v;
  }
  if (band.min && band.max && *band.min > *band.max) return r.Fail(key, "min is above max");
  out = band;
}

void ReadShop(Reader& r, const toml::table& root, Rules& rules) {
  const toml::table* t = r.Table(root, "shop");
  r.KnownKeys(*t, "shop", {"timezone", "working_hours"});
  std::string zone = rules.shop_timezone;
  r.String(*t, "shop", "timezone", zone);
  if (auto loaded = IanaTimeZone::Load(zone); !loaded)
    r.Fail("shop.timezone", loaded.error().message);
  else
    rules.shop_timezone = zone;
  std::string hours;
  r.String(*t, "shop", "working_hours", hours);
  if (!hours.empty()) {
    if (auto parsed = ParseWorkingHours(hours); !parsed)
      r.Fail("shop.working_hours", parsed.error().message);
    else
      rules.working_hours = parsed.value();
  }
}

void ReadTargets(Reader& r, const toml::table& root, KpiTargets& targets) {
  const toml::table* t = r.Table(root, "targets");
  std::set<std::string> known(std::begin(kTargetKpis), std::end(kTargetKpis));
  known.insert({"material_yield_pct", "metal_loss_pct", "metals"});
  r.KnownKeys(*t, "targets", known);
  for (const char* kpi : kTargetKpis)
    if (const toml::node* n = t->get(kpi))
      ReadBand(r, *n, std::string("targets.") + kpi, targets.bands[kpi]);
  if (const toml::node* n = t->get("material_yield_pct"))
    ReadBand(r, *n, "targets.material_yield_pct", targets.nonmetal_yield_pct);
  if (const toml::node* n = t->get("metal_loss_pct"))
    ReadBand(r, *n, "targets.metal_loss_pct", targets.metal_loss_pct);
  r.StringList(*t, "targets", "metals", targets.metals);
  for (const std::string& metal : targets.metals)
    if (metal.empty()) r.Fail("targets.metals", "names must be non-empty");
}

void ReadSources(Reader& r, const toml::table& root, Rules& rules) {
  const toml::table* densities = r.Table(root, "material_density_g_per_ml");
  for (const auto& [k, v] : *densities) {
    auto density = v.value<double>();
    if (!density || !v.is_number() || !std::isfinite(*density) || *density <= 0 || *density > 30)
      r.Fail("material_density_g_per_ml." + std::string(k.str()),
             "must be a number above 0, up to 30");
    else
      rules.material_density_g_per_ml[std::string(k.str())] = *density;
  }
  const toml::node* n = root.get("source");
  if (!n) return;
  const toml::array* sources = n->as_array();
  if (!sources) return r.Fail("source", "must be an array of tables: [[source]]");
  for (std::size_t i = 0; i < sources->size(); ++i) {
    const std::string path = "source[" + std::to_string(i) + "]";
    const toml::table* t = (*sources)[i].as_table();
    if (!t) {
      r.Fail(path, "must be a table");
      continue;
    }
    Source s;
    ReadSource(r, *t, path, rules, s);
    rules.sources.push_back(std::move(s));
  }
}

}  // namespace

Result<Config> ParseConfig(std::string_view text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << source_name << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
          << e.description();
    return MakeError(ErrorKind::kInvalid, where.str());
  }
  Config config;
  Reader r(source_name);
  r.KnownKeys(root, "",
              {"stages", "extra_kinds", "mqtt", "storage", "http", "material_cost_per_g", "kpi",
               "ingest", "log", "source", "material_density_g_per_ml", "targets", "publish", "shop",
               "alerts"});
  ReadMqtt(r, *r.Table(root, "mqtt"), config.mqtt);
  ReadStorage(r, *r.Table(root, "storage"), config.storage);
  ReadHttp(r, *r.Table(root, "http"), config.http);
  ReadPublish(r, *r.Table(root, "publish"), config.publish, config.mqtt);
  ReadRules(r, root, config.rules);
  ReadSources(r, root, config.rules);
  ReadTargets(r, root, config.rules.targets);
  ReadShop(r, root, config.rules);
  ReadAlerts(r, root, config.alerts);
  const toml::table* log = r.Table(root, "log");
  r.KnownKeys(*log, "log", {"level"});
  r.String(*log, "log", "level", config.log.level);
  static const std::set<std::string> kLevels = {"trace", "debug",    "info", "warn",
                                                "error", "critical", "off"};
  if (!kLevels.count(config.log.level))
    r.Fail("log.level", "must be one of trace, debug, info, warn, error, critical, off");
  if (r.failed()) return r.error();
  return config;
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  auto bad = [&](const std::string& why) {
    std::string message = "'";
    message.append(text);
    message.append("' ");
    message.append(why);
    return MakeError(ErrorKind::kInvalid, message);
  };
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("must be host:port, e.g. 127.0.0.1:8760");
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string_view::npos)
    return bad("must write an IPv6 host in brackets, e.g. [::1]:8760");
  if (host.empty()) return bad("has no host (0.0.0.0 listens on every interface)");
  int value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value < 1 ||
      value > 65535)
    return bad("has no port from 1 to 65535");
  return ListenAddress{std::string(host), value};
}

std::vector<std::string> SubscribedFilters(const Config& config) {
  std::vector<std::string> filters = config.mqtt.topics;
  for (const Source& source : config.rules.sources)
    for (const std::string& filter : source.topics)
      if (std::find(filters.begin(), filters.end(), filter) == filters.end())
        filters.push_back(filter);
  return filters;
}

std::vector<std::string> RestartOnlyChanges(const Config& a, const Config& b) {
  std::vector<std::string> changed;
  auto check = [&](bool differs, const char* key) {
    if (differs) changed.emplace_back(key);
  };
  check(a.storage.path != b.storage.path, "storage.path");
  check(a.storage.synchronous != b.storage.synchronous, "storage.synchronous");
  check(a.storage.busy_timeout_ms != b.storage.busy_timeout_ms, "storage.busy_timeout_ms");
  check(a.storage.max_rejects != b.storage.max_rejects, "storage.max_rejects");
  check(a.storage.journal != b.storage.journal, "storage.journal");
  check(a.storage.journal_max_mib != b.storage.journal_max_mib, "storage.journal_max_mib");
  check(a.http.listen != b.http.listen, "http.listen");
  check(a.mqtt.uri != b.mqtt.uri, "mqtt.uri");
  check(a.mqtt.client_id != b.mqtt.client_id, "mqtt.client_id");
  check(a.mqtt.qos != b.mqtt.qos, "mqtt.qos");
  check(a.mqtt.keep_alive_s != b.mqtt.keep_alive_s, "mqtt.keep_alive_s");
  check(a.mqtt.connect_timeout_s != b.mqtt.connect_timeout_s, "mqtt.connect_timeout_s");
  check(a.mqtt.reconnect_min_ms != b.mqtt.reconnect_min_ms, "mqtt.reconnect_min_ms");
  check(a.mqtt.reconnect_max_ms != b.mqtt.reconnect_max_ms, "mqtt.reconnect_max_ms");
  return changed;
}

Result<Config> LoadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorKind::kNotFound, path + ": cannot open config file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return MakeError(ErrorKind::kIo, path + ": cannot read config file");
  auto config = ParseConfig(text.str(), path);
  if (!config) return config;
  return LoadReferencedFiles(std::move(config).value(), path);
}

std::vector<std::string> SecurityWarnings(const Config& config, const std::string& config_path) {
  std::vector<std::string> warnings;
  // own_group_ok: group read is fine when the group is the daemon's own (the
  // packaged config is root:floortrack 0640); secrets must be owner-only.
  auto check = [&](const std::string& what, const std::string& path, bool own_group_ok = false) {
    struct stat st {};
    if (path.empty() || ::stat(path.c_str(), &st) != 0) return;
    mode_t readable = (own_group_ok && st.st_gid == ::getegid()) ? 004 : 044;
    if ((st.st_mode & readable) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      warnings.push_back(what + " " + path + " (mode " + mode +
                         ") is readable by others; chmod 600 " + path);
    }
  };
  check("config file", config_path, /*own_group_ok=*/true);
  check("password file (mqtt.password_file)", config.mqtt.password_file);
  check("API token file (http.token_file)", config.http.token_file);
  check("TLS private key (mqtt.key_file)", config.mqtt.key_file);
  if (!config.mqtt.password_file.empty() && !config.mqtt.UsesTls())
    warnings.push_back("mqtt.password_file is set but mqtt.uri (" + config.mqtt.uri +
                       ") does not use TLS: the password crosses the network in clear text");
  if (auto address = ParseListenAddress(config.http.listen);
      address && config.http.token_file.empty() && address.value().host != "localhost" &&
      address.value().host != "::1" && address.value().host.rfind("127.", 0) != 0)
    warnings.push_back("http.listen (" + config.http.listen +
                       ") is not loopback and http.token_file is not set: anyone who can reach "
                       "it reads the shop's orders");
  return warnings;
}

}  // namespace floortrack
