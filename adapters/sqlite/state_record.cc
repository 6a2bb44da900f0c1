#include "adapters/sqlite/state_record.h"

#include <nlohmann/json.hpp>

#include "adapters/rules_record.h"
#include "adapters/sqlite/database.h"
#include "adapters/sqlite/schema.h"
#include "adapters/sqlite/settings.h"

namespace floortrack {

StateRecord::~StateRecord() = default;

Result<std::unique_ptr<StateRecord>> StateRecord::Open(const std::string& path,
                                                       int busy_timeout_ms) {
  return sqlite::NoThrow([&]() -> Result<std::unique_ptr<StateRecord>> {
    auto db = sqlite::Database::Open(path, sqlite::Database::Mode::kWritable, "", busy_timeout_ms);
    if (!db) return db.error();
    auto version = sqlite::CheckFile(*db.value());
    if (!version) return version.error();
    if (version.value() != sqlite::kStoreSchemaVersion) {
      return MakeError(ErrorKind::kInternal,
                       path + ": open the event store (which migrates) before the state record");
    }
    std::unique_ptr<StateRecord> record(new StateRecord());
    record->db_ = std::move(db).value();
    auto settings = sqlite::Settings::Create(*record->db_);
    if (!settings) return settings.error();
    record->settings_ = std::move(settings).value();
    return record;
  });
}

Result<std::vector<std::string>> StateRecord::Load() {
  return sqlite::NoThrow([&]() -> Result<std::vector<std::string>> {
    auto text = settings_->Get(sqlite::kSettingSubscriptions);
    if (!text) return text.error();
    if (!text.value()) return std::vector<std::string>{};
    auto parsed = nlohmann::json::parse(*text.value(), nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_array()) {
      return MakeError(ErrorKind::kCorrupt,
                       db_->path() + ": setting subscribed_filters is not a JSON array");
    }
    std::vector<std::string> filters;
    for (const auto& f : parsed)
      if (f.is_string()) filters.push_back(f.get<std::string>());
    return filters;
  });
}

Status StateRecord::Save(const std::vector<std::string>& filters) {
  return sqlite::NoThrow([&] {
    return settings_->Put(sqlite::kSettingSubscriptions, nlohmann::json(filters).dump());
  });
}

Status StateRecord::RecordRules(const Rules& rules) {
  return sqlite::NoThrow([&] { return settings_->Put(sqlite::kSettingRules, EncodeRules(rules)); });
}

Status StateRecord::RecordAlerts(const std::string& state) {
  return sqlite::NoThrow([&] { return settings_->Put(sqlite::kSettingAlerts, state); });
}

Result<std::optional<std::string>> StateRecord::LoadAlerts() {
  return sqlite::NoThrow([&] { return settings_->Get(sqlite::kSettingAlerts); });
}

}  // namespace floortrack
