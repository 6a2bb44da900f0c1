#include "core/ingest.h"

#include <utility>

#include "core/topic.h"
#include "core/validation.h"

namespace floortrack {

Ingest::Ingest(const PayloadDecoder& decoder, EventStore& store, const Clock& clock,
               KeyDeriver derive_key, Rules rules)
    : decoder_(decoder), store_(store), clock_(clock), derive_key_(derive_key) {
  UseRules(std::move(rules));
}

void Ingest::SetRules(Rules rules) {
  store_.SetRules(rules);
  UseRules(std::move(rules));
}

void Ingest::UseRules(Rules rules) {
  rules_ = std::move(rules);
  job_parsers_.clear();
  for (const Source& source : rules_.sources)
    job_parsers_.emplace_back(source.orders_from_job, source.batch_from_job);
}

const Source* Ingest::SourceOf(std::string_view topic) const {
  for (const Source& source : rules_.sources)
    for (const std::string& filter : source.topics)
      if (TopicMatches(filter, topic)) return &source;
  return nullptr;
}

std::optional<std::string> Ingest::CheckPayload(std::string_view payload) const {
  const Limits& limits = rules_.limits;
  if (payload.size() > limits.max_payload_bytes)
    return "payload of " + std::to_string(payload.size()) + " bytes exceeds the limit of " +
           std::to_string(limits.max_payload_bytes);
  if (!IsValidUtf8(payload)) return "payload is not valid UTF-8";
  return std::nullopt;
}

Result<IngestOutcome> Ingest::OnMessage(std::string_view topic, std::string_view payload) {
  return OnMessage(topic, payload, DeliveryMark{0, ++unmarked_sequence_});
}

Result<IngestOutcome> Ingest::OnMessage(std::string_view topic, std::string_view payload,
                                        const DeliveryMark& mark) {
  return OnMessage(topic, payload, mark, clock_.Now());
}

Result<IngestOutcome> Ingest::OnMessage(std::string_view topic, std::string_view payload,
                                        const DeliveryMark& mark, TimePoint received_at) {
  auto outcome = Apply(topic, payload, mark, received_at);
  if (!batching_) Publish();
  return outcome;
}

void Ingest::BeginBatch() {
  batching_ = true;
  batch_epoch_ = epoch_;
  batch_epoch_connection_ = epoch_connection_;
}

void Ingest::EndBatch(bool committed) {
  batching_ = false;
  if (committed) {
    Publish();
    return;
  }
  // Rolled back: the batch's counts never happened, nor an epoch it began.
  tally_ = Tally{};
  epoch_ = batch_epoch_;
  epoch_connection_ = batch_epoch_connection_;
}

void Ingest::Publish() {
  const auto add = [](std::atomic<std::uint64_t>& to, std::uint64_t& from) {
    if (from) to.fetch_add(from, std::memory_order_relaxed);
    from = 0;
  };
  add(counters_.stored, tally_.stored);
  add(counters_.duplicates, tally_.duplicates);
  add(counters_.rejected, tally_.rejected);
  add(counters_.reused_event_ids, tally_.reused_event_ids);
  add(counters_.flagged_ts, tally_.flagged_ts);
  add(counters_.shipped, tally_.shipped);
  for (std::size_t i = 0; i < kRejectClasses; ++i)
    add(counters_.rejected_by_class[i], tally_.rejected_by_class[i]);
  for (std::size_t i = 0; i < kTsFlags; ++i)
    add(counters_.flagged_by_reason[i], tally_.flagged_by_reason[i]);
}

Result<IngestOutcome> Ingest::Apply(std::string_view topic, std::string_view payload,
                                    const DeliveryMark& mark, TimePoint received_at) {
  // Each connection of the source is a new epoch, begun before its first
  // message is stored (a failure is a storage error: the caller retries).
  if (!epoch_ || mark.connection != epoch_connection_) {
    auto epoch = store_.BeginEpoch();
    if (!epoch) return epoch.error();
    epoch_ = epoch.value();
    epoch_connection_ = mark.connection;
  }
  if (auto bad = CheckPayload(payload))
    return StoreReject(topic, payload, received_at, *bad,
                       payload.size() > rules_.limits.max_payload_bytes ? RejectClass::kSize
                                                                        : RejectClass::kDecode);
  if (const Source* source = SourceOf(topic); source && source->format != "canonical")
    return OnDeviceMessage(*source, topic, payload, received_at, mark);
  auto fields = decoder_.Decode(payload, rules_.limits);
  if (!fields)
    return StoreReject(topic, payload, received_at, fields.error().message, RejectClass::kDecode);
  auto event = Validate(std::move(fields).value(), {topic, payload, received_at}, rules_);
  if (!event)
    return StoreReject(topic, payload, received_at, event.error().message,
                       RejectClass::kValidation);

  StageEvent& e = event.value();
  const EventIdentity identity = Identify(e, mark);
  auto appended = store_.Append(e, identity);
  if (!appended) return appended.error();
  if (appended.value() == AppendStatus::kDuplicate) {
    ++tally_.duplicates;
    return IngestOutcome{IngestStatus::kDuplicate, e.order_id, {}};
  }
  CountStored(e);
  if (appended.value() == AppendStatus::kStoredReusedId) {
    ++tally_.reused_event_ids;
    return IngestOutcome{IngestStatus::kStored, e.order_id, e.event_key};
  }
  return IngestOutcome{IngestStatus::kStored, e.order_id, {}};
}

// Keys the event by its identity (core/event_identity.h). The hashes run over
// the canonical content, never the payload bytes.
EventIdentity Ingest::Identify(StageEvent& e, const DeliveryMark& mark) {
  EventIdentity identity;
  identity.kind = IdentityOf(e);
  switch (identity.kind) {
    case Identity::kEventId:  // event_key is the event_id
      identity.fingerprint = derive_key_("", CanonicalContent(e, /*with_topic=*/false));
      break;
    case Identity::kContent:
      e.event_key = "content:" + derive_key_("", CanonicalContent(e, /*with_topic=*/true));
      break;
    case Identity::kDelivery:
      identity.fingerprint = derive_key_("", CanonicalContent(e, /*with_topic=*/true));
      identity.epoch = epoch_;
      identity.position = mark.sequence;
      e.event_key = "delivery:" + std::to_string(epoch_) + ":" + std::to_string(mark.sequence) +
                    ":" + identity.fingerprint;
      break;
  }
  return identity;
}

const char* RejectClassName(RejectClass c) {
  switch (c) {
    case RejectClass::kSize:
      return "size";
    case RejectClass::kDecode:
      return "decode";
    case RejectClass::kValidation:
      return "validation";
    case RejectClass::kUnknownOrder:
      return "unknown_order";
    case RejectClass::kOther:
      break;
  }
  return "other";
}

void Ingest::CountStored(const StageEvent& e) {
  ++tally_.stored;
  if (e.stage == kStageShipped) ++tally_.shipped;
  if (!IsFlagged(e.time_source)) return;
  ++tally_.flagged_ts;
  const std::string_view flag = TsFlag(e.time_source);
  for (std::size_t i = 0; i < kTsFlags; ++i)
    if (flag == kTsFlagNames[i])
      ++tally_.flagged_by_reason[i];
}

Result<IngestOutcome> Ingest::StoreReject(std::string_view topic, std::string_view payload,
                                          TimePoint received_at, std::string reason,
                                          RejectClass reject_class) {
  Reject reject;
  reject.topic = std::string(topic.substr(0, rules_.limits.max_string_bytes));
  reject.received_at = received_at;
  reject.reason = std::move(reason);
  reject.raw_payload = std::string(payload.substr(0, rules_.limits.max_reject_payload_bytes));
  reject.payload_size = payload.size();
  if (auto stored = store_.AppendReject(reject); !stored) return stored.error();
  ++tally_.rejected;
  ++tally_.rejected_by_class[static_cast<std::size_t>(reject_class)];
  return IngestOutcome{IngestStatus::kRejected, std::move(reject.reason), {}};
}

}  // namespace floortrack
