// The store's schema and its numbered migrations.
//
// A floortrack database is marked by PRAGMA application_id and carries its
// schema version in PRAGMA user_version. Version N is reached from N-1 by
// migration step N, which runs in one transaction that also sets
// user_version = N, so a crash mid-step leaves the file at N-1 and the step
// runs again at the next start. A new file goes through every step from 0,
// so every step runs in every test. A file that is not a SQLite database,
// belongs to another application, or has a newer schema is refused with
// kCorrupt and never modified. Adding a version: append a step in schema.cc,
// bump kStoreSchemaVersion, and test it on a database written by the
// previous release (tests/fixtures/).
//
// Functions over a Database the caller owns; same thread-safety as it.
#pragma once

#include <cstdint>

#include "adapters/sqlite/database.h"
#include "adapters/sqlite/progress.h"
#include "core/result.h"

namespace floortrack::sqlite {

// "FlTR": PRAGMA application_id of every store file.
inline constexpr std::int32_t kStoreApplicationId = 0x466C5452;
// PRAGMA user_version this build writes and reads.
inline constexpr int kStoreSchemaVersion = 8;

// Reads the header (never writes). Returns the file's schema version, 0 for
// an empty file that may become a store; kCorrupt for a file that is not a
// store or is newer than this build.
Result<int> CheckFile(Database& db);

// Writable files: WAL mode, kept -wal/-shm, synchronous, WAL size limit.
// Call only after CheckFile accepted the file.
Status ConfigureForWriting(Database& db, bool synchronous_full);

// Runs the steps from `from` + 1 up to kStoreSchemaVersion, each in its own
// transaction, reporting each before it runs.
Status Migrate(Database& db, int from, const StoreProgressHandler& progress);

}  // namespace floortrack::sqlite
