// Ingest: one message in, one durable outcome out.
//
// Receives topic and payload, checks size and UTF-8, decodes, validates,
// derives the deduplication key and appends the event or its reject to the
// store. Returns only after the outcome is durable, or an Error when the
// store could not make it durable (nothing was stored; the caller retries or
// refuses to acknowledge). Counters are read from other threads.
// Not thread-safe otherwise: one message at a time.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/device_format.h"
#include "core/event_identity.h"
#include "core/event_store.h"
#include "core/job_name.h"
#include "core/payload_decoder.h"
#include "core/result.h"
#include "core/rules.h"

namespace floortrack {

enum class IngestStatus { kStored, kDuplicate, kRejected };

struct IngestOutcome {
  IngestStatus status = IngestStatus::kStored;
  std::string detail;  // the reject reason, or the order id
  // Stored, but its event_id was already taken by an event with other
  // content: the key it was stored under (to be logged as a warning).
  std::string reused_event_id_key;
};

// Where a message came from in the source's life: which connection (1 for
// the process's first, +1 per reconnect) and its place in that connection
// (1 for the first message). The same message retried keeps its mark.
struct DeliveryMark {
  std::uint64_t connection = 0;
  std::uint64_t sequence = 0;
};

// What kind of problem a reject was, for the metrics (docs/api.md):
// kSize: the payload exceeds the size limit; kDecode: not UTF-8, not
// decodable JSON or device format; kValidation: a field is missing or
// invalid; kUnknownOrder: a device message names no known order or batch;
// kOther: anything else (a device format not in this build).
enum class RejectClass { kSize, kDecode, kValidation, kUnknownOrder, kOther };
inline constexpr std::size_t kRejectClasses = 5;
const char* RejectClassName(RejectClass c);  // "size", "decode", ...

// Why a stored event's device ts was not trusted (TsFlag), as an index.
inline constexpr std::size_t kTsFlags = 3;
inline constexpr const char* kTsFlagNames[kTsFlags] = {"future", "before_earliest", "too_old"};

struct IngestCounters {
  std::atomic<std::uint64_t> stored{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> reused_event_ids{0};  // stored as their own event (other content)
  // Stored events whose device ts was not trusted (future, before_earliest,
  // too_old: see TsFlag); their stage time is the receive time.
  std::atomic<std::uint64_t> flagged_ts{0};
  // Stored events whose stage is "shipped" (the KPI publisher recomputes
  // after a shipment; daemon/kpi_publisher.h).
  std::atomic<std::uint64_t> shipped{0};
  // `rejected` split by RejectClass, and `flagged_ts` by kTsFlagNames.
  std::array<std::atomic<std::uint64_t>, kRejectClasses> rejected_by_class{};
  std::array<std::atomic<std::uint64_t>, kTsFlags> flagged_by_reason{};
};

class Ingest {
 public:
  Ingest(const PayloadDecoder& decoder, EventStore& store, const Clock& clock,
         KeyDeriver derive_key, Rules rules);

  // Deduplicates by the event's identity (core/event_identity.h), for which
  // content-only events need the delivery mark. Retrying a failed call with
  // the same mark is safe.
  Result<IngestOutcome> OnMessage(std::string_view topic, std::string_view payload,
                                  const DeliveryMark& mark);
  // For callers without connections (tools, tests): one connection, each
  // call the next message in it.
  Result<IngestOutcome> OnMessage(std::string_view topic, std::string_view payload);
  // A message received earlier (the ingest journal's records): stamped with
  // the time it was received, not now.
  Result<IngestOutcome> OnMessage(std::string_view topic, std::string_view payload,
                                  const DeliveryMark& mark, TimePoint received_at);

  // Between BeginBatch() and EndBatch() the store's writes join one batch
  // (EventStore::BeginBatch, called by the caller): counters() change only
  // when it is committed, and a batch rolled back (EndBatch(false)) leaves
  // no trace here either (its counts, an epoch it began), so it can be
  // applied again from its first message.
  void BeginBatch();
  void EndBatch(bool committed);

  // Takes effect for the next message. Same thread as OnMessage.
  void SetRules(Rules rules);
  // How device formats are found by name (adapters/formats/registry.h);
  // without it, messages of a device source are rejected.
  using FormatLookup = const DeviceFormat* (*)(std::string_view name);
  void SetDeviceFormats(FormatLookup lookup) { formats_ = lookup; }
  const IngestCounters& counters() const { return counters_; }

 private:
  // Counts of the messages since the last Publish(), this thread only.
  struct Tally {
    std::uint64_t stored = 0, duplicates = 0, rejected = 0, reused_event_ids = 0, flagged_ts = 0,
                  shipped = 0;
    std::array<std::uint64_t, kRejectClasses> rejected_by_class{};
    std::array<std::uint64_t, kTsFlags> flagged_by_reason{};
  };
  Result<IngestOutcome> Apply(std::string_view topic, std::string_view payload,
                              const DeliveryMark& mark, TimePoint received_at);
  void Publish();              // tally_ into counters_
  void UseRules(Rules rules);  // rules_ and what is compiled from them
  EventIdentity Identify(StageEvent& event, const DeliveryMark& mark);
  // Pre-checks (size, UTF-8) shared by both paths; a reason when they fail.
  std::optional<std::string> CheckPayload(std::string_view payload) const;
  const Source* SourceOf(std::string_view topic) const;
  // A message of a device source (core/device_ingest.cc).
  Result<IngestOutcome> OnDeviceMessage(const Source& source, std::string_view topic,
                                        std::string_view payload, TimePoint received_at,
                                        const DeliveryMark& mark);
  // The events of one DeviceEvent, with the orders or batch its job name or
  // scanned code names; a reject reason when it names none.
  Result<std::vector<EventFields>> Target(const Source& source, const DeviceEvent& event,
                                          std::string& reject);
  Result<IngestOutcome> StoreReject(std::string_view topic, std::string_view payload,
                                    TimePoint received_at, std::string reason,
                                    RejectClass reject_class);
  // Counts a stored event (and its ts flag, if any).
  void CountStored(const StageEvent& event);

  const PayloadDecoder& decoder_;
  EventStore& store_;
  const Clock& clock_;
  KeyDeriver derive_key_;
  Rules rules_;
  IngestCounters counters_;  // published: read by other threads
  Tally tally_;
  bool batching_ = false;
  std::uint64_t batch_epoch_ = 0, batch_epoch_connection_ = 0;  // as BeginBatch() found them
  FormatLookup formats_ = nullptr;
  std::vector<JobNameParser> job_parsers_;  // one per rules_.sources entry
  std::uint64_t epoch_ = 0;  // the store's epoch for the current connection; 0 = none yet
  std::uint64_t epoch_connection_ = 0;
  std::uint64_t unmarked_sequence_ = 0;
};

}  // namespace floortrack
