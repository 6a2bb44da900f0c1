// StateRecord: what the daemon's own thread (the io_context) keeps in the
// database beside the events: the MQTT filters it subscribed (so a filter
// dropped from the config is unsubscribed at the next connect, also across
// restarts) and the rules in effect after a reload (so the CLI answers with
// them at once, not only after the next event), and the alert state (what
// is firing, when each watched device was last heard; it survives a restart).
//
// Opens its own connection to the store's file, which the event store has
// already created and migrated; the ingest thread writes events through the
// other connection meanwhile (WAL; writes wait up to busy_timeout_ms for
// each other). Owns its connection; used from one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/rules.h"
#include "core/subscription_record.h"

namespace floortrack {

namespace sqlite {
class Database;
class Settings;
}  // namespace sqlite

class StateRecord final : public SubscriptionRecord {
 public:
  static Result<std::unique_ptr<StateRecord>> Open(const std::string& path, int busy_timeout_ms);
  ~StateRecord() override;

  // SubscriptionRecord: settings "subscribed_filters", a JSON array.
  Result<std::vector<std::string>> Load() override;
  Status Save(const std::vector<std::string>& filters) override;
  // Settings "rules" (adapters/rules_record.h).
  Status RecordRules(const Rules& rules);
  // Settings "alerts": the alert state (adapters/alert_record.h).
  Status RecordAlerts(const std::string& state);
  Result<std::optional<std::string>> LoadAlerts();

 private:
  StateRecord() = default;
  std::unique_ptr<sqlite::Database> db_;  // declared first: destroyed last
  std::unique_ptr<sqlite::Settings> settings_;
};

}  // namespace floortrack
