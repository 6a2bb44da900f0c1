// Settings: the store's named records (table `settings`, schema 2): the
// rules the daemon runs with (so the CLI answers with the shop's rules), the
// version of the stored order summaries, the MQTT filters last subscribed.
//
// Values are text; what they mean belongs to whoever names them (the names
// are below). Get/Put run in the caller's transaction if one is open, else
// in their own. Borrows the Database, which must outlive it; same
// thread-safety as the Database.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "adapters/sqlite/database.h"

namespace floortrack::sqlite {

inline constexpr const char* kSettingRules = "rules";    // JSON, rules_record.h
inline constexpr const char* kSettingAlerts = "alerts";  // JSON, adapters/alert_record.h
inline constexpr const char* kSettingSummaryVersion = "summary_version";    // SummaryVersion()
inline constexpr const char* kSettingSubscriptions = "subscribed_filters";  // JSON array
inline constexpr const char* kSettingEpoch = "connection_epoch";  // decimal, EventStore::BeginEpoch
// Decimal: the ingest journal's last record applied (EventStore::CommitBatch).
inline constexpr const char* kSettingJournalApplied = "journal_applied";

class Settings {
 public:
  // Prepares the read statement, and the write statement on a writable Database.
  static Result<std::unique_ptr<Settings>> Create(Database& db);

  Result<std::optional<std::string>> Get(const std::string& name);
  Status Put(const std::string& name, const std::string& value);

 private:
  explicit Settings(Database& db) : db_(db) {}
  Database& db_;
  StmtPtr get_, put_;
};

}  // namespace floortrack::sqlite
