// Unit tests for JsonPayloadDecoder (adapters/json_payload_decoder.h) and
// DeriveEventKey (adapters/event_key.h).
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <variant>

#include "adapters/event_key.h"
#include "adapters/json_payload_decoder.h"

namespace floortrack {
namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

Result<EventFields> Decode(std::string_view payload, const Limits& limits = Limits{}) {
  return JsonPayloadDecoder{}.Decode(payload, limits);
}

// The error message of a decode expected to fail ("" when it succeeded).
std::string ErrorOf(std::string_view payload, const Limits& limits = Limits{}) {
  auto r = Decode(payload, limits);
  if (r) return "";
  CHECK(r.error().kind == ErrorKind::kInvalid);
  return r.error().message;
}

// `levels` nested objects: {"a":{"a":{}}} for levels == 3.
std::string Nested(int levels) {
  std::string s;
  for (int i = 1; i < levels; ++i) s += "{\"a\":";
  s += "{}";
  for (int i = 1; i < levels; ++i) s += "}";
  return s;
}

// An object with `members` integer members.
std::string WithMembers(int members) {
  std::string s = "{";
  for (int i = 0; i < members; ++i) {
    if (i) s += ",";
    s += "\"k" + std::to_string(i) + "\":" + std::to_string(i);
  }
  return s + "}";
}

constexpr const char* kCanonical = R"({
  "event_id": "evt-0001",
  "order_id": "ORD-1001",
  "stage": "confirmed",
  "ts": "2026-11-23T08:15:00.250+01:00",
  "station": "desk-1",
  "operator": "ana",
  "result": "pass",
  "defect": "none",
  "reason": "new order",
  "material": {"type": "silver-925", "used_g": 12.5, "scrap_g": 0.75},
  "value": 149.9,
  "currency": "EUR",
  "customer_id": "C-77",
  "product": "ring-classic",
  "personalized": true,
  "promised_at": 1795421700000
})";

TEST_CASE("Decode canonical event extracts every field") {
  auto r = Decode(kCanonical);
  REQUIRE(r.ok());
  const EventFields& f = r.value();
  CHECK(f.event_id == std::optional<std::string>("evt-0001"));
  CHECK(f.order_id == std::optional<std::string>("ORD-1001"));
  CHECK(f.stage == std::optional<std::string>("confirmed"));
  REQUIRE(f.ts.has_value());
  REQUIRE(std::holds_alternative<std::string>(*f.ts));
  CHECK(std::get<std::string>(*f.ts) == "2026-11-23T08:15:00.250+01:00");
  CHECK(f.station == std::optional<std::string>("desk-1"));
  CHECK(f.operator_name == std::optional<std::string>("ana"));
  CHECK(f.result == std::optional<std::string>("pass"));
  CHECK(f.defect == std::optional<std::string>("none"));
  CHECK(f.reason == std::optional<std::string>("new order"));
  REQUIRE(f.material.has_value());
  CHECK(f.material->type == std::optional<std::string>("silver-925"));
  CHECK(f.material->used_g == std::optional<double>(12.5));
  CHECK(f.material->scrap_g == std::optional<double>(0.75));
  CHECK(f.value == std::optional<double>(149.9));
  CHECK(f.currency == std::optional<std::string>("EUR"));
  CHECK(f.customer_id == std::optional<std::string>("C-77"));
  CHECK(f.product == std::optional<std::string>("ring-classic"));
  CHECK(f.personalized == std::optional<bool>(true));
  REQUIRE(f.promised_at.has_value());
  REQUIRE(std::holds_alternative<std::int64_t>(*f.promised_at));
  CHECK(std::get<std::int64_t>(*f.promised_at) == 1'795'421'700'000);
}

TEST_CASE("Decode ts as integer epoch milliseconds and integer value as number") {
  auto r = Decode(R"({"order_id":"A","stage":"cast","ts":1795421700250,"value":150})");
  REQUIRE(r.ok());
  REQUIRE(r.value().ts.has_value());
  REQUIRE(std::holds_alternative<std::int64_t>(*r.value().ts));
  CHECK(std::get<std::int64_t>(*r.value().ts) == 1'795'421'700'250);
  CHECK(r.value().value == std::optional<double>(150.0));
}

TEST_CASE("Decode absent fields stay nullopt") {
  auto r = Decode(R"({"order_id":"A"})");
  REQUIRE(r.ok());
  const EventFields& f = r.value();
  CHECK(f.order_id == std::optional<std::string>("A"));
  CHECK_FALSE(f.event_id.has_value());
  CHECK_FALSE(f.stage.has_value());
  CHECK_FALSE(f.ts.has_value());
  CHECK_FALSE(f.material.has_value());
  CHECK_FALSE(f.value.has_value());
  CHECK_FALSE(f.personalized.has_value());
  CHECK_FALSE(f.promised_at.has_value());
  // The empty object is a valid decode (Validate reports what is missing).
  CHECK(Decode("{}").ok());
}

TEST_CASE("Decode ignores unknown fields of any type") {
  auto r =
      Decode(R"({"order_id":"A","stage":"qc","firmware":"1.2","extra":{"deep":[1,2,{"x":null}]},)"
             R"("material":{"type":"resin","used_g":3,"colour":"grey"},"Order_ID":5})");
  REQUIRE(r.ok());
  CHECK(r.value().order_id == std::optional<std::string>("A"));
  CHECK(r.value().stage == std::optional<std::string>("qc"));
  REQUIRE(r.value().material.has_value());
  CHECK(r.value().material->type == std::optional<std::string>("resin"));
  CHECK(r.value().material->used_g == std::optional<double>(3.0));
  CHECK_FALSE(r.value().material->scrap_g.has_value());
}

TEST_CASE("Decode treats JSON null as an absent field") {
  auto r = Decode(R"({"order_id":"A","event_id":null,"ts":null,"value":null,"personalized":null,)"
                  R"("material":null,"promised_at":null,"stage":null})");
  REQUIRE(r.ok());
  const EventFields& f = r.value();
  CHECK(f.order_id == std::optional<std::string>("A"));
  CHECK_FALSE(f.event_id.has_value());
  CHECK_FALSE(f.ts.has_value());
  CHECK_FALSE(f.value.has_value());
  CHECK_FALSE(f.personalized.has_value());
  CHECK_FALSE(f.material.has_value());
  CHECK_FALSE(f.promised_at.has_value());
  CHECK_FALSE(f.stage.has_value());

  auto m = Decode(R"({"material":{"type":"resin","used_g":1,"scrap_g":null}})");
  REQUIRE(m.ok());
  REQUIRE(m.value().material.has_value());
  CHECK_FALSE(m.value().material->scrap_g.has_value());
}

TEST_CASE("Decode rejects text that is not JSON") {
  CHECK(Contains(ErrorOf("not json"), "not valid JSON"));
  CHECK(Contains(ErrorOf(""), "not valid JSON"));
  CHECK(Contains(ErrorOf(R"({"order_id":"A")"), "not valid JSON"));     // unterminated
  CHECK(Contains(ErrorOf(R"({"order_id":"A"} x)"), "not valid JSON"));  // trailing garbage
  CHECK(Contains(ErrorOf(R"({'order_id':'A'})"), "not valid JSON"));    // single quotes
}

TEST_CASE("Decode syntax error message carries the byte offset") {
  // nlohmann reports the 1-based position of the offending byte: the x is byte 6.
  CHECK(ErrorOf(R"({"a":x})") == "not valid JSON (syntax error at byte 6)");
}

TEST_CASE("Decode rejects JSON that is not an object") {
  CHECK(ErrorOf("[]") == "payload is not a JSON object");
  CHECK(ErrorOf(R"([{"order_id":"A"}])") == "payload is not a JSON object");
  CHECK(ErrorOf(R"("a string")") == "payload is not a JSON object");
  CHECK(ErrorOf("42") == "payload is not a JSON object");
  CHECK(ErrorOf("true") == "payload is not a JSON object");
  CHECK(ErrorOf("null") == "payload is not a JSON object");
}

TEST_CASE("Decode wrong type for order_id names the field") {
  CHECK(ErrorOf(R"({"order_id":1001})") == "field 'order_id' must be a string");
}

TEST_CASE("Decode wrong type for ts (float, bool) names the field") {
  CHECK(ErrorOf(R"({"ts":1795421700000.5})") ==
        "field 'ts' must be RFC 3339 text or integer epoch milliseconds");
  CHECK(ErrorOf(R"({"ts":true})") ==
        "field 'ts' must be RFC 3339 text or integer epoch milliseconds");
  CHECK(Contains(ErrorOf(R"({"promised_at":[1]})"), "'promised_at'"));
}

TEST_CASE("Decode rejects a raw NUL byte anywhere (nlohmann would stop reading there)") {
  using namespace std::string_literals;
  CHECK(ErrorOf("{\"order_id\":\"A\"}\0garbage"s) == "not valid JSON (syntax error at byte 17)");
  CHECK(ErrorOf("{\"order_id\":\0\"A\"}"s) == "not valid JSON (syntax error at byte 13)");
}

TEST_CASE("Decode integer ts beyond int64 is rejected instead of wrapping negative") {
  // 2^63 does not fit std::int64_t; it must not become a negative time.
  CHECK(ErrorOf(R"({"ts":9223372036854775808})") ==
        "field 'ts' must be RFC 3339 text or integer epoch milliseconds");
  CHECK(ErrorOf(R"({"ts":9223372036854775807})").empty());
}

TEST_CASE("Decode wrong type for personalized and value names the field") {
  CHECK(ErrorOf(R"({"personalized":"yes"})") == "field 'personalized' must be true or false");
  CHECK(ErrorOf(R"({"personalized":1})") == "field 'personalized' must be true or false");
  CHECK(ErrorOf(R"({"value":"149.90"})") == "field 'value' must be a number");
}

TEST_CASE("Decode wrong type for material and its members names the field") {
  CHECK(ErrorOf(R"({"material":"silver"})") == "field 'material' must be an object");
  CHECK(ErrorOf(R"({"material":[1,2]})") == "field 'material' must be an object");
  std::string used = ErrorOf(R"({"material":{"type":"silver","used_g":"12"}})");
  CHECK(Contains(used, "'material.used_g'"));
  CHECK(used == "field 'material.used_g' must be a number");
  CHECK(ErrorOf(R"({"material":{"type":7,"used_g":12}})") ==
        "field 'material.type' must be a string");
  CHECK(ErrorOf(R"({"material":{"type":"s","used_g":1,"scrap_g":false}})") ==
        "field 'material.scrap_g' must be a number");
}

TEST_CASE("Decode nesting up to Limits::max_depth is accepted, deeper is rejected") {
  Limits limits;  // max_depth 8
  CHECK(Decode(Nested(8), limits).ok());
  CHECK(ErrorOf(Nested(9), limits) == "payload nesting deeper than 8");
  // Arrays count as levels too.
  CHECK(ErrorOf(R"({"a":[[[[[[[[1]]]]]]]]})", limits) == "payload nesting deeper than 8");

  limits.max_depth = 2;
  CHECK(Decode(Nested(2), limits).ok());
  CHECK(ErrorOf(Nested(3), limits) == "payload nesting deeper than 2");
}

TEST_CASE("Decode more values than Limits::max_fields is rejected") {
  Limits limits;  // max_fields 64: the top object counts as one value
  CHECK(Decode(WithMembers(63), limits).ok());
  CHECK(ErrorOf(WithMembers(64), limits) == "payload has more than 64 fields");

  limits.max_fields = 3;
  CHECK(Decode(R"({"a":1,"b":2})", limits).ok());
  CHECK(ErrorOf(R"({"a":1,"b":2,"c":3})", limits) == "payload has more than 3 fields");
  CHECK(ErrorOf(R"({"a":[1,2,3]})", limits) == "payload has more than 3 fields");  // elements count
}

TEST_CASE("Decode a string value or key longer than Limits::max_string_bytes is rejected") {
  Limits limits;  // max_string_bytes 256
  const std::string ok_value = std::string(256, 'x');
  auto r = Decode(R"({"order_id":")" + ok_value + R"("})", limits);
  REQUIRE(r.ok());
  CHECK(r.value().order_id == std::optional<std::string>(ok_value));
  CHECK(ErrorOf(R"({"order_id":")" + std::string(257, 'x') + R"("})", limits) ==
        "a string is longer than 256 bytes");
  CHECK(ErrorOf(R"({")" + std::string(257, 'k') + R"(":1})", limits) ==
        "a string is longer than 256 bytes");
  // The limit counts decoded bytes: "\u00e9" decodes to 2 bytes.
  limits.max_string_bytes = 3;
  CHECK(Decode(R"({"a":"\u00e9x"})", limits).ok());
  CHECK(ErrorOf(R"({"a":"\u00e9\u00e9"})", limits) == "a string is longer than 3 bytes");
}

TEST_CASE("Decode payload over Limits::max_payload_bytes is rejected") {
  Limits limits;
  limits.max_payload_bytes = 20;
  const std::string exactly = R"({"order_id":"ABCDE"})";  // 20 bytes
  REQUIRE(exactly.size() == 20);
  CHECK(Decode(exactly, limits).ok());
  const std::string over = R"({"order_id":"ABCDEF"})";  // 21 bytes
  CHECK(ErrorOf(over, limits) == "payload exceeds the size limit");
}

TEST_CASE("Decode never throws on random bytes: every result is ok or kInvalid") {
  std::mt19937 rng(20261123);
  std::uniform_int_distribution<int> length(0, 80);
  std::uniform_int_distribution<int> byte(0, 255);
  const std::string alphabet = "{}[]\":,0123456789.eE+-tfnrul \\abc";
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  for (int i = 0; i < 400; ++i) {
    std::string s;
    int n = length(rng);
    // Alternate raw bytes with JSON-ish characters so the parser gets past byte 1.
    for (int k = 0; k < n; ++k)
      s.push_back(i % 2 ? static_cast<char>(byte(rng)) : alphabet[pick(rng)]);
    CAPTURE(i);
    Result<EventFields> r = Error{};
    CHECK_NOTHROW(r = Decode(s));
    if (!r.ok()) CHECK(r.error().kind == ErrorKind::kInvalid);
  }
  // Mutations of a valid payload: flip one random byte at a time.
  const std::string base = kCanonical;
  std::uniform_int_distribution<std::size_t> where(0, base.size() - 1);
  for (int i = 0; i < 300; ++i) {
    std::string s = base;
    s[where(rng)] = static_cast<char>(byte(rng));
    CAPTURE(i);
    Result<EventFields> r = Error{};
    CHECK_NOTHROW(r = Decode(s));
    if (!r.ok()) CHECK(r.error().kind == ErrorKind::kInvalid);
  }
}

TEST_CASE("DeriveEventKey matches a known SHA-256 vector of topic NUL payload") {
  // printf 't\0p' | sha256sum
  CHECK(DeriveEventKey("t", "p") ==
        "sha256:4989da3d3249b909331ae7032b459c524bfa67d9615d4a9eb50ec03935d82b4d");
}

TEST_CASE("DeriveEventKey is deterministic and has the sha256: prefix and 64 hex digits") {
  const std::string payload = R"({"order_id":"A","stage":"cast"})";
  const std::string key = DeriveEventKey("floor/caster-1", payload);
  CHECK(key == DeriveEventKey("floor/caster-1", payload));
  REQUIRE(key.size() == 7 + 64);
  CHECK(key.rfind("sha256:", 0) == 0);
  for (char c : key.substr(7)) {
    CAPTURE(c);
    CHECK(((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')));
  }
}

TEST_CASE("DeriveEventKey differs with the topic and with one payload byte") {
  const std::string payload = R"({"order_id":"A","stage":"cast"})";
  const std::string key = DeriveEventKey("floor/caster-1", payload);
  CHECK(key != DeriveEventKey("floor/caster-2", payload));
  std::string changed = payload;
  changed[changed.size() - 3] = 'x';  // "cast" -> "caxt"
  CHECK(key != DeriveEventKey("floor/caster-1", changed));
  // The NUL separator keeps topic/payload boundaries apart: "ab"+"c" != "a"+"bc".
  CHECK(DeriveEventKey("ab", "c") != DeriveEventKey("a", "bc"));
}

}  // namespace
}  // namespace floortrack

namespace floortrack {
namespace {

TEST_CASE("Decode a void's 'voids'; a non-string 'voids' is invalid") {
  auto r = Decode(R"({"order_id":"A","stage":"void","voids":"evt-7","event_id":"evt-9"})");
  REQUIRE(r.ok());
  CHECK(r.value().voids == std::optional<std::string>("evt-7"));
  CHECK_FALSE(Decode(R"({"order_id":"A","stage":"void","voids":7})").ok());
}

}  // namespace
}  // namespace floortrack
