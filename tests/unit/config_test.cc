// Unit tests for ParseConfig and LoadConfig (adapters/config_file.h).
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "adapters/config_file.h"

namespace floortrack {
namespace {

constexpr const char* kSource = "test.toml";

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The error message of a parse expected to fail ("" when it succeeded).
std::string ErrorOf(std::string_view text) {
  auto r = ParseConfig(text, kSource);
  if (r) return "";
  CHECK(r.error().kind == ErrorKind::kInvalid);
  return r.error().message;
}

const std::vector<std::string> kDefaultStages = {"confirmed", "print_started", "printed", "cast",
                                                 "polished",  "stone_set",     "qc",      "packed",
                                                 "shipped",   "returned"};
const std::set<std::string> kDefaultReasons = {"defective", "not_as_designed", "wrong_engraving",
                                               "wrong_item", "wrong_size"};

// Every key of `c` equals its documented default.
void CheckDefaults(const Config& c) {
  CHECK(c.mqtt.uri == "tcp://127.0.0.1:1883");
  CHECK(c.mqtt.client_id == "floortrackd");
  CHECK(c.mqtt.topics == std::vector<std::string>{"floor/#"});
  CHECK(c.mqtt.qos == 1);
  CHECK(c.mqtt.keep_alive_s == 30);
  CHECK(c.mqtt.connect_timeout_s == 10);
  CHECK(c.mqtt.reconnect_min_ms == 250);
  CHECK(c.mqtt.reconnect_max_ms == 30000);
  CHECK(c.storage.path == "/var/lib/floortrack/floortrack.db");
  CHECK(c.storage.synchronous == "full");
  CHECK(c.storage.busy_timeout_ms == 5000);
  CHECK(c.storage.max_rejects == 10000);
  CHECK(c.http.listen == "127.0.0.1:8760");
  CHECK(c.http.token_file.empty());
  CHECK(c.http.token.empty());
  CHECK(c.log.level == "info");
  CHECK(c.rules.stages == kDefaultStages);
  CHECK(c.rules.targets == KpiTargets{});
  CHECK(c.rules.shop_timezone == "UTC");
  CHECK(c.rules.working_hours == DefaultWorkingHours());
  CHECK(c.alerts == AlertRules{});
  CHECK(c.rules.stages.size() == 10);
  CHECK(c.rules.material_cost_per_g.empty());
  CHECK(c.rules.accuracy_failure_reasons == kDefaultReasons);
  CHECK(c.rules.accuracy_failure_reasons.size() == 5);
  CHECK(c.rules.limits.max_payload_bytes == 65536);
  CHECK(c.rules.max_future_skew == std::chrono::seconds(300));
  CHECK(ToEpochMs(c.rules.earliest_ts) == 1'577'836'800'000);        // 2020-01-01T00:00:00Z
  CHECK(c.rules.max_past_skew == std::chrono::seconds(63'072'000));  // 2 x 365 days
  CHECK(c.rules.kpi_currency.empty());
  CHECK(c.rules.extra_kinds == std::vector<std::string>{"feedback", "review", "share", "referral",
                                                        "shift_start", "shift_end"});
  CHECK(c.rules.design_submitted_stage == "confirmed");
  CHECK(c.rules.csi_min == 1);
  CHECK(c.rules.csi_max == 10);
  CHECK(c.rules.max_shift_hours == 12);
}

TEST_CASE("ParseConfig empty text gives all defaults") {
  auto r = ParseConfig("", kSource);
  REQUIRE(r.ok());
  CheckDefaults(r.value());
}

TEST_CASE("ParseConfig comments and empty tables give all defaults") {
  auto r = ParseConfig(
      "# nothing\n[mqtt]\n[storage]\n[kpi]\n[ingest]\n[log]\n[material_cost_per_g]\n", kSource);
  REQUIRE(r.ok());
  CheckDefaults(r.value());
}

TEST_CASE("ParseConfig reads every key of a full config") {
  constexpr const char* kFull = R"(
stages = ["confirmed", "engraved", "shipped"]

[mqtt]
uri = "ssl://broker.example:8883"
client_id = "ft-test"
topics = ["floor/a/#", "floor/b/+"]
qos = 1
keep_alive_s = 45
connect_timeout_s = 7
reconnect_min_ms = 100
reconnect_max_ms = 9000

[storage]
path = "/tmp/ft.db"
synchronous = "normal"
busy_timeout_ms = 1234
max_rejects = 50

[material_cost_per_g]
"silver-925" = 0.9
"castable-resin" = 0.25
gold = 60

[kpi]
accuracy_failure_reasons = ["wrong_size", "broken"]
currency = "CHF"

[ingest]
max_payload_bytes = 1024
max_future_skew_s = 60
earliest_ts = "2023-06-01T00:00:00+02:00"
max_past_skew_s = 86400

[log]
level = "debug"
)";
  auto r = ParseConfig(kFull, kSource);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  const Config& c = r.value();
  CHECK(c.rules.stages == std::vector<std::string>{"confirmed", "engraved", "shipped"});
  CHECK(c.mqtt.uri == "ssl://broker.example:8883");
  CHECK(c.mqtt.client_id == "ft-test");
  CHECK(c.mqtt.topics == std::vector<std::string>{"floor/a/#", "floor/b/+"});
  CHECK(c.mqtt.qos == 1);
  CHECK(c.mqtt.keep_alive_s == 45);
  CHECK(c.mqtt.connect_timeout_s == 7);
  CHECK(c.mqtt.reconnect_min_ms == 100);
  CHECK(c.mqtt.reconnect_max_ms == 9000);
  CHECK(c.storage.path == "/tmp/ft.db");
  CHECK(c.storage.synchronous == "normal");
  CHECK(c.storage.busy_timeout_ms == 1234);
  CHECK(c.storage.max_rejects == 50);
  CHECK(c.rules.material_cost_per_g.size() == 3);
  CHECK(c.rules.material_cost_per_g.at("silver-925") == 0.9);
  CHECK(c.rules.material_cost_per_g.at("castable-resin") == 0.25);
  CHECK(c.rules.material_cost_per_g.at("gold") == 60.0);  // an integer price is accepted
  CHECK(c.rules.accuracy_failure_reasons == std::set<std::string>{"broken", "wrong_size"});
  CHECK(c.rules.limits.max_payload_bytes == 1024);
  CHECK(c.rules.max_future_skew == std::chrono::seconds(60));
  CHECK(ToEpochMs(c.rules.earliest_ts) == 1'685'570'400'000);  // 2023-05-31T22:00:00Z
  CHECK(c.rules.max_past_skew == std::chrono::seconds(86400));
  CHECK(c.rules.kpi_currency == "CHF");
  CHECK(c.log.level == "debug");
  // Limits not exposed in the file keep their defaults.
  CHECK(c.rules.limits.max_reject_payload_bytes == 4096);
}

TEST_CASE("ParseConfig unknown top-level key is an error naming the key") {
  const std::string e = ErrorOf("colour = \"blue\"\n");
  CHECK(e == "test.toml: key 'colour': unknown key");
}

TEST_CASE("ParseConfig unknown key in [mqtt] is an error naming the dotted key") {
  const std::string e = ErrorOf("[mqtt]\nhost = \"x\"\n");
  CHECK(e == "test.toml: key 'mqtt.host': unknown key");
}

TEST_CASE("ParseConfig typo 'sotrage' is reported, not ignored") {
  const std::string e = ErrorOf("[sotrage]\npath = \"/tmp/x.db\"\n");
  CHECK(Contains(e, "sotrage"));
  CHECK(Contains(e, "unknown key"));
  CHECK(Contains(e, "test.toml"));
}

TEST_CASE("ParseConfig unknown keys in the other tables are errors") {
  CHECK(ErrorOf("[storage]\nsync = \"full\"\n") == "test.toml: key 'storage.sync': unknown key");
  CHECK(ErrorOf("[kpi]\nreasons = []\n") == "test.toml: key 'kpi.reasons': unknown key");
  CHECK(ErrorOf("[ingest]\nmax_bytes = 1\n") == "test.toml: key 'ingest.max_bytes': unknown key");
  CHECK(ErrorOf("[log]\nfile = \"x\"\n") == "test.toml: key 'log.file': unknown key");
}

TEST_CASE("ParseConfig wrong type for mqtt.qos names the key") {
  const std::string e = ErrorOf("[mqtt]\nqos = \"1\"\n");
  CHECK(Contains(e, "mqtt.qos"));
  CHECK(e == "test.toml: key 'mqtt.qos': must be an integer from 0 to 2");
}

TEST_CASE("ParseConfig wrong types for strings, lists and tables name the key") {
  CHECK(ErrorOf("[mqtt]\nuri = 5\n") == "test.toml: key 'mqtt.uri': must be a string");
  CHECK(ErrorOf("[mqtt]\ntopics = \"floor/#\"\n") ==
        "test.toml: key 'mqtt.topics': must be an array of strings");
  CHECK(ErrorOf("[mqtt]\ntopics = [\"a\", 1]\n") ==
        "test.toml: key 'mqtt.topics': must be an array of strings");
  CHECK(ErrorOf("mqtt = 1\n") == "test.toml: key 'mqtt': must be a table");
  CHECK(ErrorOf("[storage]\nbusy_timeout_ms = 1.5\n") ==
        "test.toml: key 'storage.busy_timeout_ms': must be an integer from 0 to 600000");
}

TEST_CASE("ParseConfig qos other than 1 is refused with the reason") {
  CHECK(ErrorOf("[mqtt]\nqos = 0\n") ==
        "test.toml: key 'mqtt.qos': only 1 is supported: QoS 1 plus deduplication stores each "
        "event once (docs/reliability.md)");
  CHECK(Contains(ErrorOf("[mqtt]\nqos = 2\n"), "only 1 is supported"));
  CHECK(Contains(ErrorOf("[mqtt]\nclient_id = \"\"\n"), "'mqtt.client_id': must be 1 to 256"));
  CHECK(Contains(ErrorOf("[mqtt]\nclient_id = \"" + std::string(257, 'c') + "\"\n"),
                 "'mqtt.client_id': must be 1 to 256"));
}

TEST_CASE("ParseConfig integer ranges are checked at both ends") {
  CHECK(ErrorOf("[mqtt]\nkeep_alive_s = 0\n") ==
        "test.toml: key 'mqtt.keep_alive_s': must be an integer from 1 to 3600");
  CHECK(ErrorOf("[mqtt]\nkeep_alive_s = 3601\n") ==
        "test.toml: key 'mqtt.keep_alive_s': must be an integer from 1 to 3600");
  CHECK(ParseConfig("[mqtt]\nkeep_alive_s = 3600\n", kSource).ok());
  CHECK(ErrorOf("[ingest]\nmax_payload_bytes = 255\n") ==
        "test.toml: key 'ingest.max_payload_bytes': must be an integer from 256 to 16777216");
  CHECK(ErrorOf("[ingest]\nmax_future_skew_s = -1\n") ==
        "test.toml: key 'ingest.max_future_skew_s': must be an integer from 0 to 86400");
  CHECK(ErrorOf("[mqtt]\nreconnect_min_ms = 5000000000\n") ==
        "test.toml: key 'mqtt.reconnect_min_ms': must be an integer from 10 to 60000");
}

TEST_CASE("ParseConfig ingest.earliest_ts must be an RFC 3339 string from 2000 on") {
  CHECK(ErrorOf("[ingest]\nearliest_ts = \"2020-13-01T00:00:00Z\"\n") ==
        "test.toml: key 'ingest.earliest_ts': must be RFC 3339 with offset, e.g. "
        "\"2020-01-01T00:00:00Z\": month 13 out of range");
  CHECK(ErrorOf("[ingest]\nearliest_ts = \"2020-01-01\"\n") ==
        "test.toml: key 'ingest.earliest_ts': must be RFC 3339 with offset, e.g. "
        "\"2020-01-01T00:00:00Z\": missing the time after the date (e.g. T08:15:00Z)");
  CHECK(ErrorOf("[ingest]\nearliest_ts = \"\"\n") ==
        "test.toml: key 'ingest.earliest_ts': must be RFC 3339 with offset, e.g. "
        "\"2020-01-01T00:00:00Z\": empty");
  CHECK(ErrorOf("[ingest]\nearliest_ts = \"1999-12-31T23:59:59Z\"\n") ==
        "test.toml: key 'ingest.earliest_ts': must not be before 2000-01-01T00:00:00Z (earlier "
        "device times are rejected)");
  CHECK(ErrorOf("[ingest]\nearliest_ts = 2020\n") ==
        "test.toml: key 'ingest.earliest_ts': must be a string");
  // A TOML date-time (unquoted) is named as such rather than silently misread.
  CHECK(ErrorOf("[ingest]\nearliest_ts = 2020-01-01T00:00:00Z\n") ==
        "test.toml: key 'ingest.earliest_ts': must be a quoted string, e.g. "
        "\"2020-01-01T00:00:00Z\"");
  auto r = ParseConfig("[ingest]\nearliest_ts = \"2000-01-01T00:00:00Z\"\n", kSource);
  REQUIRE(r.ok());
  CHECK(ToEpochMs(r.value().rules.earliest_ts) == 946'684'800'000);
}

TEST_CASE("ParseConfig ingest.max_past_skew_s range") {
  CHECK(ErrorOf("[ingest]\nmax_past_skew_s = 3599\n") ==
        "test.toml: key 'ingest.max_past_skew_s': must be an integer from 3600 to 1576800000");
  CHECK(ErrorOf("[ingest]\nmax_past_skew_s = 1576800001\n") ==
        "test.toml: key 'ingest.max_past_skew_s': must be an integer from 3600 to 1576800000");
  CHECK(ErrorOf("[ingest]\nmax_past_skew_s = \"2y\"\n") ==
        "test.toml: key 'ingest.max_past_skew_s': must be an integer from 3600 to 1576800000");
  auto r = ParseConfig("[ingest]\nmax_past_skew_s = 1576800000\n", kSource);
  REQUIRE(r.ok());
  CHECK(r.value().rules.max_past_skew == std::chrono::seconds(1'576'800'000));
}

TEST_CASE("ParseConfig kpi.currency is empty or a three-letter upper-case code") {
  for (const char* bad : {"eur", "EURO", "E", "€", "US$"}) {
    CAPTURE(bad);
    CHECK(ErrorOf(std::string("[kpi]\ncurrency = \"") + bad + "\"\n") ==
          "test.toml: key 'kpi.currency': must be \"\" or a three-letter ISO 4217 code such as "
          "\"EUR\"");
  }
  CHECK(ErrorOf("[kpi]\ncurrency = 978\n") == "test.toml: key 'kpi.currency': must be a string");
  auto r = ParseConfig("[kpi]\ncurrency = \"USD\"\n", kSource);
  REQUIRE(r.ok());
  CHECK(r.value().rules.kpi_currency == "USD");
  auto empty = ParseConfig("[kpi]\ncurrency = \"\"\n", kSource);
  REQUIRE(empty.ok());
  CHECK(empty.value().rules.kpi_currency.empty());
}

TEST_CASE("ParseConfig lists every problem of the new keys at once") {
  CHECK(ErrorOf("[kpi]\ncurrency = \"x\"\n[ingest]\nmax_past_skew_s = 1\n"
                "earliest_ts = \"soon\"\n") ==
        "test.toml: key 'kpi.currency': must be \"\" or a three-letter ISO 4217 code such as "
        "\"EUR\"\n"
        "test.toml: key 'ingest.max_past_skew_s': must be an integer from 3600 to 1576800000\n"
        "test.toml: key 'ingest.earliest_ts': must be RFC 3339 with offset, e.g. "
        "\"2020-01-01T00:00:00Z\": year must be 4 digits");
}

TEST_CASE("ParseConfig cross-key and value checks in [mqtt]") {
  CHECK(ErrorOf("[mqtt]\nuri = \"http://broker\"\n") ==
        "test.toml: key 'mqtt.uri': must start with tcp://, ssl://, mqtt:// or mqtts://");
  CHECK(ErrorOf("[mqtt]\ntopics = []\n") ==
        "test.toml: key 'mqtt.topics': must list at least one topic filter");
  CHECK(ErrorOf("[mqtt]\nclient_id = \"\"\n") ==
        "test.toml: key 'mqtt.client_id': must be 1 to 256 characters");
  CHECK(ErrorOf("[mqtt]\nreconnect_min_ms = 5000\nreconnect_max_ms = 1000\n") ==
        "test.toml: key 'mqtt.reconnect_min_ms': must not exceed mqtt.reconnect_max_ms");
}

TEST_CASE("ParseConfig storage.synchronous accepts only full or normal") {
  CHECK(ErrorOf("[storage]\nsynchronous = \"off\"\n") ==
        "test.toml: key 'storage.synchronous': must be \"full\" or \"normal\"");
  CHECK(ErrorOf("[storage]\nsynchronous = \"FULL\"\n") != "");
  CHECK(ErrorOf("[storage]\npath = \"\"\n") == "test.toml: key 'storage.path': must not be empty");
}

TEST_CASE("ParseConfig stages must include confirmed and shipped") {
  CHECK(ErrorOf("stages = [\"confirmed\", \"packed\"]\n") ==
        "test.toml: key 'stages': must include \"shipped\"");
  CHECK(ErrorOf("stages = [\"packed\", \"shipped\"]\n") ==
        "test.toml: key 'stages': must include \"confirmed\"");
  auto r = ParseConfig("stages = [\"confirmed\", \"shipped\"]\n", kSource);
  REQUIRE(r.ok());
  CHECK(r.value().rules.stages == std::vector<std::string>{"confirmed", "shipped"});
}

TEST_CASE("ParseConfig stages must be unique and non-empty") {
  CHECK(ErrorOf("stages = [\"confirmed\", \"qc\", \"qc\", \"shipped\"]\n") ==
        "test.toml: key 'stages': names must be unique and non-empty");
  CHECK(ErrorOf("stages = [\"confirmed\", \"\", \"shipped\"]\n") ==
        "test.toml: key 'stages': names must be unique and non-empty");
}

TEST_CASE("ParseConfig negative or non-numeric material price names the material") {
  const std::string e = ErrorOf("[material_cost_per_g]\n\"silver-925\" = -0.5\n");
  CHECK(Contains(e, "material_cost_per_g.silver-925"));
  CHECK(e == "test.toml: key 'material_cost_per_g.silver-925': must be a number >= 0");
  CHECK(ErrorOf("[material_cost_per_g]\ngold = \"60\"\n") ==
        "test.toml: key 'material_cost_per_g.gold': must be a number >= 0");
  // TOML's nan and inf are floats but not prices: they would turn every cost into NaN/inf.
  CHECK(ErrorOf("[material_cost_per_g]\nsilver = nan\n") ==
        "test.toml: key 'material_cost_per_g.silver': must be a number >= 0");
  CHECK(ErrorOf("[material_cost_per_g]\nsilver = inf\n") ==
        "test.toml: key 'material_cost_per_g.silver': must be a number >= 0");
  auto zero = ParseConfig("[material_cost_per_g]\nresin = 0.0\n", kSource);
  REQUIRE(zero.ok());
  CHECK(zero.value().rules.material_cost_per_g.at("resin") == 0.0);
}

TEST_CASE("ParseConfig TOML syntax error names the source and the line") {
  auto r = ParseConfig("[mqtt]\nuri = \"tcp://x\"\nqos = = 1\n", "my.toml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::kInvalid);
  CHECK(r.error().message.rfind("my.toml:3:", 0) == 0);

  auto dup = ParseConfig("[log]\nlevel = \"info\"\nlevel = \"debug\"\n", "dup.toml");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().message.rfind("dup.toml:3:", 0) == 0);
}

TEST_CASE("ParseConfig log.level must be a known level") {
  CHECK(
      ErrorOf("[log]\nlevel = \"verbose\"\n") ==
      "test.toml: key 'log.level': must be one of trace, debug, info, warn, error, critical, off");
  for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    CAPTURE(level);
    auto r = ParseConfig(std::string("[log]\nlevel = \"") + level + "\"\n", kSource);
    REQUIRE(r.ok());
    CHECK(r.value().log.level == level);
  }
}

TEST_CASE("ParseConfig reports every problem, one line each, in file-check order") {
  // Unknown top-level keys are checked before the tables' contents.
  CHECK(
      ErrorOf("zzz = 1\n[mqtt]\nqos = 0\n[log]\nlevel = \"loud\"\n") ==
      "test.toml: key 'zzz': unknown key\n"
      "test.toml: key 'mqtt.qos': only 1 is supported: QoS 1 plus deduplication stores each event "
      "once (docs/reliability.md)\n"
      "test.toml: key 'log.level': must be one of trace, debug, info, warn, error, critical, off");
}

TEST_CASE("LoadConfig on a missing file is kNotFound naming the path") {
  const std::string path = "/nonexistent/floortrack-test/none.toml";
  auto r = LoadConfig(path);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::kNotFound);
  CHECK(Contains(r.error().message, path));
}

TEST_CASE("LoadConfig reads a file and names it in errors") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  const std::filesystem::path path = dir / "floortrack_config_test_bad.toml";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs("[storage]\nsynchronous = \"off\"\n", f);
    std::fclose(f);
  }
  auto r = LoadConfig(path.string());
  std::filesystem::remove(path);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message ==
        path.string() + ": key 'storage.synchronous': must be \"full\" or \"normal\"");
}

TEST_CASE("ParseConfig [http] listen and token_file are read") {
  auto r = ParseConfig("[http]\nlisten = \"[::1]:9000\"\ntoken_file = \"/etc/t\"\n", kSource);
  REQUIRE(r.ok());
  CHECK(r.value().http.listen == "[::1]:9000");
  CHECK(r.value().http.token_file == "/etc/t");
  CHECK(r.value().http.token.empty());  // ParseConfig reads no other file
  auto off = ParseConfig("[http]\nlisten = \"\"\n", kSource);
  REQUIRE(off.ok());
  CHECK(off.value().http.listen.empty());
}

TEST_CASE("ParseConfig bad http.listen values are errors naming the key") {
  for (const char* bad : {"8760", "127.0.0.1", ":8760", "127.0.0.1:0", "127.0.0.1:65536",
                          "127.0.0.1:http", "127.0.0.1:87x", "::1:8760", "[]:8760"}) {
    CAPTURE(bad);
    const std::string e = ErrorOf(std::string("[http]\nlisten = \"") + bad + "\"\n");
    CHECK(Contains(e, "key 'http.listen'"));
    CHECK(Contains(e, bad));
  }
  const std::string both = ErrorOf("[http]\nlisten = 5\ntoken_file = 1\nport = 3\n");
  CHECK(Contains(both, "http.listen"));
  CHECK(Contains(both, "http.token_file"));
  CHECK(Contains(both, "http.port"));
}

TEST_CASE("ParseListenAddress splits host and port") {
  auto v4 = ParseListenAddress("0.0.0.0:1");
  REQUIRE(v4.ok());
  CHECK(v4.value().host == "0.0.0.0");
  CHECK(v4.value().port == 1);
  auto v6 = ParseListenAddress("[::1]:65535");
  REQUIRE(v6.ok());
  CHECK(v6.value().host == "::1");
  CHECK(v6.value().port == 65535);
}

TEST_CASE("LoadConfig reads http.token_file and names the key when it is unreadable") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  const std::filesystem::path token = dir / "floortrack_config_test_token";
  const std::filesystem::path path = dir / "floortrack_config_test_http.toml";
  auto write = [](const std::filesystem::path& p, const std::string& text) {
    std::FILE* f = std::fopen(p.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs(text.c_str(), f);
    std::fclose(f);
  };
  write(token, "s3cret\n");
  write(path, "[http]\ntoken_file = \"" + token.string() + "\"\n");
  auto r = LoadConfig(path.string());
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  CHECK(r.value().http.token == "s3cret");
  std::filesystem::remove(token);
  auto missing = LoadConfig(path.string());
  std::filesystem::remove(path);
  REQUIRE_FALSE(missing.ok());
  CHECK(Contains(missing.error().message, "key 'http.token_file'"));
  CHECK_FALSE(Contains(missing.error().message, "s3cret"));
}

TEST_CASE("The shipped config/floortrack.toml parses and equals the defaults") {
  const std::filesystem::path source_dir =
      std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  const std::filesystem::path shipped = source_dir / "config" / "floortrack.toml";
  CAPTURE(shipped.string());
  REQUIRE(std::filesystem::exists(shipped));
  auto r = LoadConfig(shipped.string());
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  CheckDefaults(r.value());
}

}  // namespace
}  // namespace floortrack

namespace floortrack {
namespace {

TEST_CASE("RestartOnlyChanges names exactly the changed keys a running daemon cannot apply") {
  Config running;
  Config next = running;
  CHECK(RestartOnlyChanges(running, next).empty());
  next.storage.path = "/elsewhere.db";
  next.mqtt.client_id = "other";
  next.log.level = "debug";                          // applies at once: not listed
  next.mqtt.topics = {"line2/#"};                    // applies at once: not listed
  next.rules.material_cost_per_g["x"] = 1;           // applies at once: not listed
  next.rules.kpi_currency = "EUR";                   // applies at once: not listed
  next.rules.earliest_ts = FromEpochMs(0);           // applies at once: not listed
  next.rules.max_past_skew = std::chrono::hours(1);  // applies at once: not listed
  next.http.token_file = "/etc/t";                   // re-read on reload: not listed
  next.http.token = "t";                             // re-read on reload: not listed
  CHECK(RestartOnlyChanges(running, next) ==
        std::vector<std::string>{"storage.path", "mqtt.client_id"});
  next.http.listen = "";
  CHECK(RestartOnlyChanges(running, next) ==
        std::vector<std::string>{"storage.path", "http.listen", "mqtt.client_id"});
}

}  // namespace
}  // namespace floortrack

namespace floortrack {
namespace {

TEST_CASE("[[source]] entries are read with their defaults") {
  auto c = ParseConfig(R"(
[[source]]
topics = ["floor/polish/+/scan"]
format = "scan"
stage = "polished"
station = "{3}"
debounce_s = 5

[[source]]
topics = ["octoPrint/#"]
format = "octoprint"
station = "octo-1"
orders_from_job = "A[0-9]{4,}"
batch_from_job = "PLATE-[0-9]+"
material = "castable-resin"

[material_density_g_per_ml]
"castable-resin" = 1.1
)",
                       "t.toml");
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
  const auto& sources = c.value().rules.sources;
  REQUIRE(sources.size() == 2);
  CHECK(sources[0].format == "scan");
  CHECK(sources[0].stage == "polished");
  CHECK(sources[0].station == "{3}");
  CHECK(sources[1].orders_from_job == "A[0-9]{4,}");
  CHECK(sources[1].filament_diameter_mm == 1.75);
  CHECK(c.value().rules.material_density_g_per_ml.at("castable-resin") == 1.1);
}

TEST_CASE("a bad [[source]] is refused naming each key") {
  auto c = ParseConfig(R"(
[[source]]
topics = ["octoPrint/#"]
format = "telepathy"
station = "{2}"
orders_from_job = "A[0-9"

[[source]]
topics = ["floor/+/scan"]
format = "scan"
)",
                       "t.toml");
  REQUIRE_FALSE(c.ok());
  const std::string& m = c.error().message;
  CHECK(m.find("source[0].format") != std::string::npos);
  CHECK(m.find("source[0].station") != std::string::npos);
  CHECK(m.find("source[0].orders_from_job") != std::string::npos);
  CHECK(m.find("source[1].stage") != std::string::npos);
}

}  // namespace
}  // namespace floortrack

namespace floortrack {
namespace {

TEST_CASE("ParseConfig [http] dashboard_dir and chartjs_file: defaults, set, empty, wrong type") {
  auto defaults = ParseConfig("", "test.toml");
  REQUIRE(defaults.ok());
  CHECK(defaults.value().http.dashboard_dir == "/usr/share/floortrack");
  CHECK(defaults.value().http.chartjs_file == "/usr/share/javascript/chart.js/chart.min.js");
  auto set =
      ParseConfig("[http]\ndashboard_dir = \"/src/web\"\nchartjs_file = \"/c.js\"\n", "test.toml");
  REQUIRE(set.ok());
  CHECK(set.value().http.dashboard_dir == "/src/web");
  CHECK(set.value().http.chartjs_file == "/c.js");
  auto off = ParseConfig("[http]\ndashboard_dir = \"\"\n", "test.toml");
  REQUIRE(off.ok());
  CHECK(off.value().http.dashboard_dir.empty());
  auto bad = ParseConfig("[http]\ndashboard_dir = 1\nchartjs_file = true\n", "test.toml");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("http.dashboard_dir") != std::string::npos);
  CHECK(bad.error().message.find("http.chartjs_file") != std::string::npos);
}

TEST_CASE("[alerts]: every key, per-stage limits and watched devices; errors name the key") {
  auto c = ParseConfig(R"([alerts]
interval_s = 5
max_stage_hours = 24
silent_after_min = 30
max_reject_pct = 5
reject_window_min = 15
min_messages = 50
kpi_window_days = 14
resolve_after_min = 2.5
[alerts.max_stage_hours_by_stage]
cast = 8
[alerts.watch]
printer-1 = "octoprint/printer-1/#"
)",
                       kSource);
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? std::string() : c.error().message));
  const AlertRules& a = c.value().alerts;
  CHECK(a.interval_s == 5);
  CHECK(a.max_stage_hours == 24);
  CHECK(MaxStageHours(a, "cast") == 8);
  CHECK(MaxStageHours(a, "polished") == 24);
  CHECK(a.silent_after_min == 30);
  CHECK(a.max_reject_pct == 5);
  CHECK(a.reject_window_min == 15);
  CHECK(a.min_messages == 50);
  CHECK(a.kpi_window_days == 14);
  CHECK(a.resolve_after == std::chrono::seconds(150));
  CHECK(a.watch == std::map<std::string, std::string>{{"printer-1", "octoprint/printer-1/#"}});
  CHECK(ErrorOf("[alerts]\nmax_stage_hours = 0\n") ==
        "test.toml: key 'alerts.max_stage_hours': must be a number from 0.1 to 8760");
  CHECK(Contains(ErrorOf("[alerts.watch]\np1 = \"a/#/b\"\n"),
                 "key 'alerts.watch.p1': must be an MQTT topic filter"));
  CHECK(Contains(ErrorOf("[alerts.max_stage_hours_by_stage]\ncast = \"x\"\n"),
                 "key 'alerts.max_stage_hours_by_stage.cast'"));
  CHECK(ErrorOf("[alerts]\nsilence = 1\n") == "test.toml: key 'alerts.silence': unknown key");
}

}  // namespace
}  // namespace floortrack

namespace floortrack {
namespace {

TEST_CASE("ParseConfig [kpi] default_promise_days: 0 by default, 0 to 365") {
  auto none = ParseConfig("", kSource);
  REQUIRE(none.ok());
  CHECK(none.value().rules.default_promise_days == 0);
  auto ten = ParseConfig("[kpi]\ndefault_promise_days = 10\n", kSource);
  REQUIRE(ten.ok());
  CHECK(ten.value().rules.default_promise_days == 10);
  CHECK(Contains(ErrorOf("[kpi]\ndefault_promise_days = 366\n"), "kpi.default_promise_days"));
  CHECK(Contains(ErrorOf("[kpi]\ndefault_promise_days = -1\n"), "from 0 to 365"));
  CHECK(Contains(ErrorOf("[kpi]\ndefault_promise_days = 1.5\n"), "kpi.default_promise_days"));
}

}  // namespace
}  // namespace floortrack

namespace floortrack {
namespace {

TEST_CASE("extra_kinds and the [kpi] keys of the shop KPIs") {
  auto c = ParseConfig(
      "extra_kinds = [\"feedback\", \"design_submitted\"]\n"
      "[kpi]\ndesign_submitted_stage = \"design_submitted\"\ncsi_scale = [0, 5]\n"
      "max_shift_hours = 10\n",
      "test.toml");
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
  CHECK(c.value().rules.extra_kinds == std::vector<std::string>{"feedback", "design_submitted"});
  CHECK(c.value().rules.design_submitted_stage == "design_submitted");
  CHECK(c.value().rules.csi_min == 0);
  CHECK(c.value().rules.csi_max == 5);
  CHECK(c.value().rules.max_shift_hours == 10);

  CHECK(ErrorOf("extra_kinds = [\"qc\"]\n") ==
        "test.toml: key 'extra_kinds': 'qc' is a stage; an extra kind is never a production stage");
  CHECK(ErrorOf("extra_kinds = [\"void\"]\n") ==
        "test.toml: key 'extra_kinds': 'void' is a control stage (cancelled, on_hold, resumed, "
        "void)");
  CHECK(ErrorOf("extra_kinds = [\"a\", \"a\"]\n") ==
        "test.toml: key 'extra_kinds': names must be unique and non-empty");
  CHECK(ErrorOf("[kpi]\ndesign_submitted_stage = \"nope\"\n") ==
        "test.toml: key 'kpi.design_submitted_stage': 'nope' is neither a stage nor an extra kind");
  CHECK(ErrorOf("[kpi]\ncsi_scale = [10, 1]\n") ==
        "test.toml: key 'kpi.csi_scale': must be [lowest, highest], two numbers, lowest first, "
        "e.g. [1, 10]");
  CHECK(ErrorOf("[kpi]\nmax_shift_hours = 0\n") ==
        "test.toml: key 'kpi.max_shift_hours': must be an integer from 1 to 24");
}

}  // namespace
}  // namespace floortrack
