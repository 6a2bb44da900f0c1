// EventFields: what a payload decoder extracted from one message.
//
// Decoders (adapters/) translate device bytes into this neutral shape and
// check only syntax and JSON types; the shop's rules are applied afterwards
// by Validate(). Absent fields are nullopt. A plain value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace floortrack {

// A timestamp as sent: RFC 3339 text or integer epoch milliseconds.
using RawTime = std::variant<std::string, std::int64_t>;

struct MaterialFields {
  std::optional<std::string> type;
  std::optional<double> used_g;
  std::optional<double> scrap_g;
  std::optional<double> recovered_g;
};

// One entry of a batch event's `orders`: an order id, optionally its weight.
struct BatchOrderFields {
  std::string order_id;
  std::optional<double> weight_g;
};

struct EventFields {
  std::optional<std::string> event_id;
  std::optional<std::string> order_id;
  std::optional<std::string> stage;
  std::optional<RawTime> ts;
  std::optional<std::string> station;
  std::optional<std::string> operator_name;
  std::optional<std::string> result;
  std::optional<std::string> defect;
  std::optional<std::string> reason;
  std::optional<MaterialFields> material;
  std::optional<double> value;
  std::optional<std::string> currency;
  std::optional<std::string> customer_id;
  std::optional<std::string> product;
  std::optional<bool> personalized;
  std::optional<RawTime> promised_at;
  std::optional<std::string> voids;  // a "void" event's target event_id
  std::optional<double> items;       // pieces in the order; checked to be a whole number
  std::optional<double> score;       // a "feedback" event's satisfaction score
  // Batches (a build plate, a casting tree): the batch, and the orders this
  // event adds to it (nullopt: none listed).
  std::optional<std::string> batch_id;
  std::optional<std::vector<BatchOrderFields>> orders;
};

}  // namespace floortrack
