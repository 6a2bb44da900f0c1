// EventStore: the write port for durable event history.
//
// Append() returns only when the event (and its order's summary) is durable
// per the store's sync setting, or reports why not; a duplicate event_key
// stores nothing and reports kDuplicate. A store that returns an error has
// stored nothing, so the caller may retry the same call. Implementations are
// used from one thread at a time.
#pragma once

#include "core/reject.h"
#include "core/result.h"
#include "core/rules.h"
#include "core/stage_event.h"

namespace floortrack {

enum class AppendStatus { kInserted, kDuplicate };

class EventStore {
 public:
  virtual ~EventStore() = default;
  virtual Result<AppendStatus> Append(const StageEvent& event) = 0;
  virtual Status AppendReject(const Reject& reject) = 0;
  // Rules used when recomputing order summaries (stage order).
  virtual void SetRules(const Rules& rules) = 0;
};

}  // namespace floortrack
