#include "adapters/json_payload_decoder.h"

#include <cstdint>
#include <nlohmann/json.hpp>

namespace floortrack {
namespace {

using nlohmann::json;

Error Invalid(std::string message) { return MakeError(ErrorKind::kInvalid, std::move(message)); }

// First pass: syntax and structural limits, without building a document.
class LimitCheck final : public nlohmann::json_sax<json> {
 public:
  explicit LimitCheck(const Limits& limits) : limits_(limits) {}
  const std::string& error() const { return error_; }

  bool null() override { return Count(); }
  bool boolean(bool) override { return Count(); }
  bool number_integer(number_integer_t) override { return Count(); }
  bool number_unsigned(number_unsigned_t) override { return Count(); }
  bool number_float(number_float_t, const string_t&) override { return Count(); }
  bool string(string_t& s) override { return Count() && CheckLength(s); }
  bool binary(binary_t&) override { return Count(); }
  bool start_object(std::size_t) override { return Count() && Enter(); }
  bool key(string_t& k) override {
    next_is_orders_ = depth_ == 1 && k == "orders";
    return CheckLength(k);
  }
  bool end_object() override { return Leave(); }
  bool start_array(std::size_t) override {
    if (next_is_orders_ && orders_depth_ == 0) {
      next_is_orders_ = false;
      orders_depth_ = depth_ + 1;  // the array's own depth once entered
      return Count() && Enter();
    }
    return Count() && Enter();
  }
  bool end_array() override {
    if (orders_depth_ != 0 && depth_ == orders_depth_) orders_depth_ = 0;
    return Leave();
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception&) override {
    error_ = "not valid JSON (syntax error at byte " + std::to_string(position) + ")";
    return false;
  }

 private:
  bool Fail(std::string message) {
    error_ = std::move(message);
    return false;
  }
  // A batch's `orders` array has its own limit (max_batch_orders entries of
  // at most kValuesPerOrder values each) instead of counting in max_fields.
  static constexpr std::size_t kValuesPerOrder = 4;
  bool Count() {
    if (orders_depth_ != 0 && depth_ >= orders_depth_) {
      if (++order_values_ > limits_.max_batch_orders * kValuesPerOrder)
        return Fail("field 'orders' lists more than " + std::to_string(limits_.max_batch_orders) +
                    " orders");
      return true;
    }
    next_is_orders_ = false;
    if (++values_ > limits_.max_fields)
      return Fail("payload has more than " + std::to_string(limits_.max_fields) + " fields");
    return true;
  }
  bool Enter() {
    if (++depth_ > limits_.max_depth)
      return Fail("payload nesting deeper than " + std::to_string(limits_.max_depth));
    return true;
  }
  bool Leave() {
    --depth_;
    return true;
  }
  bool CheckLength(const string_t& s) {
    if (s.size() > limits_.max_string_bytes)
      return Fail("a string is longer than " + std::to_string(limits_.max_string_bytes) + " bytes");
    return true;
  }

  const Limits& limits_;
  std::size_t values_ = 0;
  std::size_t depth_ = 0;
  bool next_is_orders_ = false;   // the last key was the top-level "orders"
  std::size_t orders_depth_ = 0;  // depth inside the top-level "orders" array; 0 = not in it
  std::size_t order_values_ = 0;
  std::string error_;
};

// Typed field extraction. Each returns false (with `error` set) on a type mismatch.
class FieldReader {
 public:
  FieldReader(const json& object, std::string prefix)
      : object_(object), prefix_(std::move(prefix)) {}
  const std::string& error() const { return error_; }

  bool String(const char* name, std::optional<std::string>& out) {
    const json* v = Find(name);
    if (!v) return true;
    if (!v->is_string()) return TypeError(name, "a string");
    out = v->get<std::string>();
    return true;
  }
  bool Number(const char* name, std::optional<double>& out) {
    const json* v = Find(name);
    if (!v) return true;
    if (!v->is_number()) return TypeError(name, "a number");
    out = v->get<double>();
    return true;
  }
  bool Bool(const char* name, std::optional<bool>& out) {
    const json* v = Find(name);
    if (!v) return true;
    if (!v->is_boolean()) return TypeError(name, "true or false");
    out = v->get<bool>();
    return true;
  }
  bool Time(const char* name, std::optional<RawTime>& out) {
    const json* v = Find(name);
    if (!v) return true;
    bool too_big =
        v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX);
    if (v->is_string())
      out = v->get<std::string>();
    else if (v->is_number_integer() && !too_big)
      out = v->get<std::int64_t>();
    else
      return TypeError(name, "RFC 3339 text or integer epoch milliseconds");
    return true;
  }
  const json* Object(const char* name) {
    const json* v = Find(name);
    if (v && !v->is_object()) {
      TypeError(name, "an object");
      return nullptr;
    }
    return v;
  }

 private:
  const json* Find(const char* name) const {
    auto it = object_.find(name);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  bool TypeError(const char* name, const char* expected) {
    error_ = "field '" + prefix_ + name + "' must be " + expected;
    return false;
  }

  const json& object_;
  std::string prefix_;
  std::string error_;
};

Result<MaterialFields> ReadMaterial(const json& object) {
  MaterialFields m;
  FieldReader r(object, "material.");
  bool ok = r.String("type", m.type) && r.Number("used_g", m.used_g) &&
            r.Number("scrap_g", m.scrap_g) && r.Number("recovered_g", m.recovered_g);
  if (!ok) return Invalid(r.error());
  return m;
}

// `orders`: order ids, or {"order_id": "...", "weight_g": x} objects.
Result<std::vector<BatchOrderFields>> ReadOrders(const json& orders) {
  if (!orders.is_array()) return Invalid("field 'orders' must be an array");
  std::vector<BatchOrderFields> out;
  for (const json& entry : orders) {
    BatchOrderFields o;
    if (entry.is_string()) {
      o.order_id = entry.get<std::string>();
    } else if (entry.is_object()) {
      FieldReader r(entry, "orders[].");
      std::optional<std::string> id;
      if (!r.String("order_id", id) || !r.Number("weight_g", o.weight_g)) return Invalid(r.error());
      if (!id) return Invalid("field 'orders[].order_id' is missing");
      o.order_id = std::move(*id);
    } else {
      return Invalid("field 'orders' must hold order ids or {\"order_id\", \"weight_g\"} objects");
    }
    out.push_back(std::move(o));
  }
  return out;
}

Result<EventFields> ReadFields(const json& doc) {
  EventFields f;
  FieldReader r(doc, "");
  bool ok = r.String("event_id", f.event_id) && r.String("order_id", f.order_id) &&
            r.String("stage", f.stage) && r.Time("ts", f.ts) && r.String("station", f.station) &&
            r.String("operator", f.operator_name) && r.String("result", f.result) &&
            r.String("defect", f.defect) && r.String("reason", f.reason) &&
            r.Number("value", f.value) && r.String("currency", f.currency) &&
            r.String("customer_id", f.customer_id) && r.String("product", f.product) &&
            r.Bool("personalized", f.personalized) && r.Time("promised_at", f.promised_at) &&
            r.String("voids", f.voids) && r.Number("items", f.items) &&
            r.Number("score", f.score);
  if (!ok) return Invalid(r.error());
  const json* material = r.Object("material");
  if (!r.error().empty()) return Invalid(r.error());
  if (material) {
    auto m = ReadMaterial(*material);
    if (!m) return m.error();
    f.material = std::move(m).value();
  }
  if (!r.String("batch_id", f.batch_id)) return Invalid(r.error());
  if (auto it = doc.find("orders"); it != doc.end() && !it->is_null()) {
    auto orders = ReadOrders(*it);
    if (!orders) return orders.error();
    f.orders = std::move(orders).value();
  }
  return f;
}

}  // namespace

Result<EventFields> JsonPayloadDecoder::Decode(std::string_view payload,
                                               const Limits& limits) const noexcept {
  try {
    if (payload.size() > limits.max_payload_bytes) return Invalid("payload exceeds the size limit");
    // nlohmann's lexer takes a NUL byte for the end of input, so "{...}\0<any bytes>" would
    // decode. JSON text never holds a raw NUL (found by tests/fuzz/payload_decoder_fuzz).
    if (auto nul = payload.find('\0'); nul != std::string_view::npos)
      return Invalid("not valid JSON (syntax error at byte " + std::to_string(nul + 1) + ")");
    LimitCheck check(limits);
    if (!json::sax_parse(payload, &check)) return Invalid(check.error());
    json doc = json::parse(payload, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return Invalid("not valid JSON");
    if (!doc.is_object()) return Invalid("payload is not a JSON object");
    return ReadFields(doc);
  } catch (const std::exception& e) {
    return Invalid(std::string("payload could not be decoded: ") + e.what());
  } catch (...) {
    return Invalid("payload could not be decoded");
  }
}

}  // namespace floortrack
