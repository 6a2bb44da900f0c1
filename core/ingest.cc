#include "core/ingest.h"

#include <utility>

#include "core/validation.h"

namespace floortrack {

Ingest::Ingest(const PayloadDecoder& decoder, EventStore& store, const Clock& clock,
               KeyDeriver derive_key, Rules rules)
    : decoder_(decoder), store_(store), clock_(clock), derive_key_(derive_key), rules_(std::move(rules)) {}

void Ingest::SetRules(Rules rules) {
  store_.SetRules(rules);
  rules_ = std::move(rules);
}

Result<IngestOutcome> Ingest::OnMessage(std::string_view topic, std::string_view payload) {
  const TimePoint received_at = clock_.Now();
  const Limits& limits = rules_.limits;
  if (payload.size() > limits.max_payload_bytes)
    return StoreReject(topic, payload, received_at,
                       "payload of " + std::to_string(payload.size()) + " bytes exceeds the limit of " +
                           std::to_string(limits.max_payload_bytes));
  if (!IsValidUtf8(payload)) return StoreReject(topic, payload, received_at, "payload is not valid UTF-8");
  auto fields = decoder_.Decode(payload, limits);
  if (!fields) return StoreReject(topic, payload, received_at, fields.error().message);
  auto event = Validate(std::move(fields).value(), {topic, payload, received_at}, rules_);
  if (!event) return StoreReject(topic, payload, received_at, event.error().message);

  StageEvent& e = event.value();
  if (e.event_key.empty()) e.event_key = derive_key_(topic, payload);
  auto appended = store_.Append(e);
  if (!appended) return appended.error();
  if (appended.value() == AppendStatus::kDuplicate) {
    counters_.duplicates.fetch_add(1, std::memory_order_relaxed);
    return IngestOutcome{IngestStatus::kDuplicate, e.order_id};
  }
  counters_.stored.fetch_add(1, std::memory_order_relaxed);
  if (IsFlagged(e.time_source))
    counters_.flagged_ts.fetch_add(1, std::memory_order_relaxed);
  return IngestOutcome{IngestStatus::kStored, e.order_id};
}

Result<IngestOutcome> Ingest::StoreReject(std::string_view topic, std::string_view payload,
                                          TimePoint received_at, std::string reason) {
  Reject reject;
  reject.topic = std::string(topic.substr(0, rules_.limits.max_string_bytes));
  reject.received_at = received_at;
  reject.reason = std::move(reason);
  reject.raw_payload = std::string(payload.substr(0, rules_.limits.max_reject_payload_bytes));
  reject.payload_size = payload.size();
  if (auto stored = store_.AppendReject(reject); !stored) return stored.error();
  counters_.rejected.fetch_add(1, std::memory_order_relaxed);
  return IngestOutcome{IngestStatus::kRejected, std::move(reject.reason)};
}

}  // namespace floortrack
