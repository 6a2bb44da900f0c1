// StageEvent: one validated, timestamped stage event of one order.
//
// Built only by Validate() (core/validation.h) from decoded fields, so every
// StageEvent in the system satisfies the canonical event's rules. A plain
// value type; no thread-safety concerns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"

namespace floortrack {

enum class StageResult { kNone, kPass, kFail };

// Where stage_time came from. The store persists the numeric value: never
// renumber, only add.
enum class TimeSource {
  kDevice = 0,                  // the device's `ts`
  kReceivedNoTs = 1,            // no `ts` in the payload: receive time used
  kReceivedFuture = 2,          // `ts` too far ahead of receive time (flagged)
  kReceivedBeforeEarliest = 3,  // `ts` before Rules::earliest_ts (flagged)
  kReceivedTooOld = 4,          // `ts` more than Rules::max_past_skew before receipt (flagged)
};

struct Material {
  std::string type;
  double used_g = 0;
  double scrap_g = 0;
  double recovered_g = 0;  // the part of scrap_g returned to stock (sprues, buttons)
};

struct BatchMember {
  std::string order_id;
  std::optional<double> weight_g;
};

struct StageEvent {
  std::string event_key;  // deduplication key: the event_id, or derived from topic+payload
  std::string order_id;
  std::string stage;
  std::string topic;
  TimePoint received_at{};
  std::optional<TimePoint> device_ts;
  TimePoint stage_time{};  // what the timeline and KPIs use
  TimeSource time_source = TimeSource::kDevice;

  std::string station;
  std::string operator_name;
  StageResult result = StageResult::kNone;
  std::string defect;
  std::string reason;

  std::optional<Material> material;
  double material_cost = 0;  // used_g * price at ingest time; 0 when unpriced

  // Order facts, meaningful on "confirmed".
  std::optional<double> value;
  std::string currency;
  std::string customer_id;
  std::string product;
  std::optional<bool> personalized;
  std::optional<TimePoint> promised_at;
  // Pieces in the order (on "confirmed"; production_hours, labor).
  std::optional<int> items;
  // On a "feedback" event: the customer's satisfaction score (csi).
  std::optional<double> score;

  // On a "void" event: the event_id of the event of this order it voids
  // (core/corrections.h); empty otherwise.
  std::string voids;

  // Batches. batch_id: the batch this event belongs to. batch_orders: the
  // orders it adds to the batch. An event with a batch_id and no order_id
  // applies to the batch: the store records it for each member order (the
  // listed ones, else every member) with its share of the material.
  std::string batch_id;
  std::vector<BatchMember> batch_orders;

  std::string raw_payload;  // the bytes as received
};

const char* ToString(StageResult r);  // "", "pass", "fail"
StageResult StageResultFromString(const std::string& s);

// The TimeSource stored as `code`; codes this release does not know (written
// by a newer one) read as kDevice.
TimeSource TimeSourceFromCode(std::int64_t code);

// The flag of a stage time that fell back to the receive time because the
// device's `ts` could not be right: "future", "before_earliest", "too_old";
// "" for kDevice and kReceivedNoTs (nothing wrong with the device clock).
const char* TsFlag(TimeSource s);
inline bool IsFlagged(TimeSource s) { return *TsFlag(s) != '\0'; }

}  // namespace floortrack
