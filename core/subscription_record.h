// SubscriptionRecord: the topic filters the daemon may hold at the broker.
//
// A persistent MQTT session keeps its subscriptions across disconnects and
// restarts, so a filter dropped from the config stays subscribed (and keeps
// delivering) unless someone unsubscribes it. The MQTT source Load()s this
// record at every connect, unsubscribes what it lists but the config no
// longer does, and Save()s the configured filters together with anything it
// has not yet unsubscribed before subscribing, and the configured filters
// alone once the stale ones are gone. So the record may list more than the
// broker holds (unsubscribing an absent filter is harmless), never less.
//
// The record belongs to whoever provides it (the database in production);
// the source only calls it. Load() and Save() are called from the source's
// owner thread (the daemon's io_context), concurrently with the EventStore
// being written on the transport's thread: an implementation in the same
// database must use its own connection. Implementations need not be
// thread-safe otherwise.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace floortrack {

class SubscriptionRecord {
 public:
  virtual ~SubscriptionRecord() = default;
  // The filters last saved; empty when none were ever saved.
  virtual Result<std::vector<std::string>> Load() = 0;
  virtual Status Save(const std::vector<std::string>& filters) = 0;
};

// Keeps the record in memory: for tests, and for a process that has no
// database to keep it in (it then forgets at exit, so a filter removed from
// the config while the daemon was stopped stays subscribed).
class InMemorySubscriptionRecord final : public SubscriptionRecord {
 public:
  InMemorySubscriptionRecord() = default;
  explicit InMemorySubscriptionRecord(std::vector<std::string> filters)
      : filters_(std::move(filters)) {}

  Result<std::vector<std::string>> Load() override { return filters_; }
  Status Save(const std::vector<std::string>& filters) override {
    filters_ = filters;
    ++saves_;
    return Ok{};
  }
  int saves() const { return saves_; }

 private:
  std::vector<std::string> filters_;
  int saves_ = 0;
};

}  // namespace floortrack
