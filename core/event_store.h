// EventStore: the write port for durable event history.
//
// Append() returns only when the event (and its order's summary) is durable
// per the store's sync setting, or reports why not. It deduplicates by the
// event's identity (core/event_identity.h): a redelivery stores nothing and
// reports kDuplicate; an event_id reused with different content is stored as
// its own event and reported as kStoredReusedId. A store that returns an
// error has stored nothing, so the caller may retry the same call.
// Implementations are used from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/event_identity.h"
#include "core/reject.h"
#include "core/result.h"
#include "core/rules.h"
#include "core/stage_event.h"

namespace floortrack {

enum class AppendStatus { kInserted, kDuplicate, kStoredReusedId };

// What the store knows of an id (a scanned code, a batch): whether it is an
// order, and how many orders a batch of that id holds.
struct StoredRefs {
  bool order_known = false;
  std::size_t batch_members = 0;
};

class EventStore {
 public:
  virtual ~EventStore() = default;
  virtual Result<AppendStatus> Append(const StageEvent& event, const EventIdentity& identity) = 0;
  // The event's event_key is its whole identity (a conflict is a duplicate).
  Result<AppendStatus> Append(const StageEvent& event) { return Append(event, EventIdentity{}); }
  virtual Status AppendReject(const Reject& reject) = 0;
  // The events one device reading produced and the device's new state
  // (nullopt: unchanged), stored in one transaction: all or nothing.
  virtual Result<std::vector<AppendStatus>> AppendReading(
      const std::vector<std::pair<StageEvent, EventIdentity>>& events, const std::string& device,
      const std::optional<std::string>& state) = 0;
  // A device's saved state, "" when none.
  virtual Result<std::string> DeviceState(const std::string& device) = 0;
  virtual Result<StoredRefs> Lookup(const std::string& id) = 0;
  // Rules used when recomputing order summaries (stage order), and recorded
  // for readers.
  virtual void SetRules(const Rules& rules) = 0;
  // Starts a new connection epoch (a new connection to the message source)
  // and returns its number, larger than every earlier one. Durable.
  virtual Result<std::uint64_t> BeginEpoch() = 0;

  // Batches, for applying the ingest journal (adapters/ingest_journal.h):
  // from BeginBatch() to CommitBatch() every write above joins one
  // transaction, committed together with `applied_through`, the journal
  // position the batch reaches; AppliedThrough() reads it back (0: none).
  // A write that fails inside a batch rolls the whole batch back; the
  // caller then calls AbortBatch() and may retry the batch from its start.
  // `durable`: the commit is synced to disk (with everything committed
  // before it); otherwise it survives a process crash but not a power loss
  // until a later durable batch (the journal keeps its records until then).
  virtual Status BeginBatch(bool durable) = 0;
  virtual Status CommitBatch(std::uint64_t applied_through) = 0;
  virtual void AbortBatch() = 0;
  virtual Result<std::uint64_t> AppliedThrough() = 0;
  // Makes every batch committed so far durable (power-loss safe), from any
  // thread, without waiting for the writer.
  virtual Status SyncCommitted() = 0;
};

}  // namespace floortrack
