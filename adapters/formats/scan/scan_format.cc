#include "adapters/formats/scan/scan_format.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

namespace floortrack {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxCode = 64;  // an order id's limit (docs/events.md)

Error Invalid(std::string message) {
  return MakeError(ErrorKind::kInvalid, "scan: " + std::move(message));
}

bool IsCodeChar(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

// A code as shown in an error: at most 64 bytes, anything outside printable
// ASCII escaped.
std::string Shown(std::string_view code) {
  std::string out;
  for (std::size_t i = 0; i < code.size() && i < kMaxCode; ++i) {
    unsigned char c = static_cast<unsigned char>(code[i]);
    if (c < 0x20 || c >= 0x7f || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (code.size() > kMaxCode) out += "...";
  return out;
}

std::string_view Trim(std::string_view text) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

// A code must be an order or batch id as floortrack accepts them: a misread
// must not become a phantom order.
Status CheckCode(std::string_view code) {
  if (code.empty()) return Invalid("empty code");
  if (code.size() > kMaxCode)
    return Invalid("code '" + Shown(code) + "' is longer than " + std::to_string(kMaxCode) +
                   " bytes");
  for (unsigned char c : code)
    if (!IsCodeChar(c))
      return Invalid("code '" + Shown(code) + "' has a character outside [A-Za-z0-9._:-]");
  return Ok{};
}

struct Scan {
  std::string code;
  std::optional<std::int64_t> timestamp_ms;
};

// {"barcode": "...", "timestamp_ms": N} (United Manufacturing Hub).
Result<Scan> ReadUmh(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return Invalid("not valid JSON");
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Invalid("payload starts with '{' but is not valid JSON");
  if (!doc.is_object()) return Invalid("payload is not a JSON object");
  Scan scan;
  auto barcode = doc.find("barcode");
  if (barcode == doc.end() || barcode->is_null()) return Invalid("field 'barcode' is missing");
  if (barcode->is_string())
    scan.code = std::string(Trim(barcode->get_ref<const std::string&>()));
  else if (barcode->is_number_unsigned())
    scan.code = barcode->dump();
  else
    return Invalid("field 'barcode' must be a string");
  auto ts = doc.find("timestamp_ms");
  if (ts != doc.end() && !ts->is_null()) {
    if (!ts->is_number_integer() ||
        (ts->is_number_unsigned() &&
         ts->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)))
      return Invalid("field 'timestamp_ms' must be an integer (epoch milliseconds)");
    scan.timestamp_ms = ts->get<std::int64_t>();
  }
  return scan;
}

// The station's last accepted scan.
struct LastScan {
  std::string code;
  std::int64_t at_ms = 0;
};

std::optional<LastScan> LoadState(std::string_view text) {
  if (text.empty()) return std::nullopt;
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto code = j.find("code");
  auto at = j.find("at_ms");
  if (code == j.end() || !code->is_string() || at == j.end() || !at->is_number_integer())
    return std::nullopt;
  return LastScan{code->get<std::string>(), at->get<std::int64_t>()};
}

std::string SaveState(const LastScan& s) {
  json j = json::object();
  j["code"] = s.code;
  j["at_ms"] = s.at_ms;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<DeviceOutput> DecodeScan(const DeviceReading& reading) {
  if (!reading.source || reading.source->stage.empty())
    return Invalid("the [[source]] sets no stage for its scans");
  std::string_view text = Trim(reading.payload);
  Scan scan;
  if (!text.empty() && text.front() == '{') {
    auto umh = ReadUmh(text);
    if (!umh) return umh.error();
    scan = std::move(umh).value();
  } else {
    scan.code = std::string(text);
  }
  if (auto ok = CheckCode(scan.code); !ok) return ok.error();

  DeviceOutput out;
  out.device = "scan:" + reading.station;
  const std::int64_t at_ms =
      scan.timestamp_ms ? *scan.timestamp_ms : ToEpochMs(reading.received_at);
  const double window_s = reading.source->debounce_s;
  if (auto last = LoadState(reading.state); last && last->code == scan.code && window_s >= 0) {
    // The same code again within the window (either way: a timed scan may
    // arrive late) is the scanner bouncing or the operator re-scanning.
    double apart_ms = std::fabs(static_cast<double>(at_ms) - static_cast<double>(last->at_ms));
    if (apart_ms <= window_s * 1000.0) return out;
  }
  out.state = SaveState(LastScan{scan.code, at_ms});

  DeviceEvent e;
  e.fields.stage = reading.source->stage;
  if (!reading.station.empty()) e.fields.station = reading.station;
  if (scan.timestamp_ms) e.fields.ts = *scan.timestamp_ms;
  e.code = scan.code;
  out.events.push_back(std::move(e));
  return out;
}

class Format final : public DeviceFormat {
 public:
  std::string_view name() const override { return "scan"; }
  Result<DeviceOutput> Decode(const DeviceReading& reading) const noexcept override {
    try {
      return DecodeScan(reading);
    } catch (const std::exception& e) {
      return Invalid(std::string("scan could not be decoded: ") + e.what());
    } catch (...) {
      return Invalid("scan could not be decoded");
    }
  }
};

}  // namespace

const DeviceFormat& ScanFormat() {
  static const Format format;
  return format;
}

}  // namespace floortrack
