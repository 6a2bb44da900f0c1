// SqliteStore under injected storage faults at COMMIT (tests/store/fault_vfs.h),
// on real database files, one fresh temporary directory per test: what was
// acknowledged is never lost, a failed append leaves nothing half-written
// (not in the store, not in a reader's view, not after a close or a crash),
// and the store works again once the fault clears. A failed write leaves
// nothing at all; after a failed fsync the complete transaction can come back
// from the -wal once the process is gone (SQLite does not undo written
// frames), and is then whole and deduplicated when the broker redelivers.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/sqlite_store.h"
#include "tests/store/fault_vfs.h"
#include "tests/store/store_fixture.h"

namespace floortrack {
namespace {

namespace fs = std::filesystem;
using testing::Fault;
using testing::FaultFile;
using testing::FaultOp;
using testing::FaultVfs;

// --- Helpers (the shared ones are in store_fixture.h).

Reject MakeReject(int i) {
  Reject r;
  r.topic = "shop/bad";
  r.received_at = At(1000 + i);
  r.reason = "reason " + std::to_string(i);
  r.raw_payload = "payload " + std::to_string(i);
  r.payload_size = 100 + static_cast<std::size_t>(i);
  return r;
}

StoreOptions ViaVfs(const std::string& path, const std::string& vfs) {
  StoreOptions options = Options(path);
  options.vfs = vfs;
  return options;
}

void MustAppendReject(SqliteStore& store, const Reject& r) {
  auto s = store.AppendReject(r);
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
}

// A plain sqlite3 connection through the default VFS, as another process
// would have (it sees committed data only).
class ReaderDb {
 public:
  explicit ReaderDb(const std::string& path, int flags = SQLITE_OPEN_READONLY) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) == SQLITE_OK);
  }
  ~ReaderDb() { sqlite3_close_v2(db_); }
  ReaderDb(const ReaderDb&) = delete;
  ReaderDb& operator=(const ReaderDb&) = delete;
  std::int64_t Int(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    std::int64_t v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
  }
  // Every row of `sql`, one line each, every value with its type: equal
  // dumps mean equal contents.
  std::string Rows(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    std::ostringstream out;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const int type = sqlite3_column_type(stmt, c);
        const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, c));
        out << type << ':'
            << (p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))) : "")
            << '|';
      }
      out << '\n';
    }
    REQUIRE(rc == SQLITE_DONE);
    sqlite3_finalize(stmt);
    return out.str();
  }
  sqlite3* get() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// The whole content of a store file as a reader sees it.
std::string Dump(const std::string& path) {
  ReaderDb raw(path);
  return raw.Rows("SELECT * FROM events ORDER BY seq") + "--\n" +
         raw.Rows("SELECT * FROM orders ORDER BY order_id") + "--\n" +
         raw.Rows("SELECT * FROM rejects ORDER BY id") + "--\n" +
         raw.Rows("SELECT * FROM counters ORDER BY name");
}

// integrity_check is ok; every event has its order's summary and each
// summary counts exactly its order's events; the reject total counts every
// kept reject (the tests keep them all).
void CheckConsistent(const std::string& path) {
  ReaderDb raw(path);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(raw.get(), "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))) == "ok");
  sqlite3_finalize(stmt);
  CHECK(raw.Int("SELECT COUNT(*) FROM events e WHERE NOT EXISTS "
                "(SELECT 1 FROM orders o WHERE o.order_id = e.order_id)") == 0);
  CHECK(raw.Int("SELECT COUNT(*) FROM orders o WHERE o.event_count != "
                "(SELECT COUNT(*) FROM events e WHERE e.order_id = o.order_id)") == 0);
  CHECK(raw.Int("SELECT COUNT(*) FROM rejects") ==
        raw.Int("SELECT COALESCE((SELECT value FROM counters WHERE name = 'rejects_total'), 0)"));
}

// Every field of a summary, for equality.
std::string Describe(const OrderSummary& o) {
  std::ostringstream out;
  auto ms = [](const std::optional<TimePoint>& t) {
    return t ? std::to_string(ToEpochMs(*t)) : std::string("-");
  };
  out << o.order_id << ' ' << ms(o.confirmed_at) << ' ' << ms(o.shipped_at) << ' '
      << o.current_stage << ' ' << ToEpochMs(o.current_stage_at) << ' '
      << ToEpochMs(o.last_received_at) << ' ' << o.event_count << ' '
      << (o.value ? std::to_string(*o.value) : "-") << ' ' << o.currency << ' ' << o.customer_id
      << ' ' << o.product << ' ' << (o.personalized ? (*o.personalized ? "1" : "0") : "-") << ' '
      << o.material_used_g << ' ' << o.material_scrap_g << ' ' << o.material_cost << ' '
      << o.failed_before_ship << ' ' << o.return_reasons.size();
  for (const auto& r : o.return_reasons) out << ' ' << r;
  return out.str();
}

std::string SummaryOf(SqliteStore& store, const std::string& order_id) {
  auto found = store.FindOrder(order_id);
  if (!found) return "error " + std::string(ToString(found.error().kind));
  return Describe(found.value());
}

// `store` holds exactly `events`: each key once, under its order, and each
// order's summary counts its events.
void CheckHoldsExactly(SqliteStore& store, const std::vector<StageEvent>& events) {
  std::map<std::string, std::vector<std::string>> want;  // order -> sorted keys
  for (const auto& e : events) want[e.order_id].push_back(e.event_key);
  REQUIRE(store.EventCount().ok());
  CHECK(store.EventCount().value() == events.size());
  for (auto& [order, keys] : want) {
    CAPTURE(order);
    std::sort(keys.begin(), keys.end());
    auto stored = store.OrderEvents(order);
    REQUIRE(stored.ok());
    std::vector<std::string> got;
    for (const auto& e : stored.value()) got.push_back(e.event_key);
    std::sort(got.begin(), got.end());
    CHECK(got == keys);
    auto summary = store.FindOrder(order);
    REQUIRE(summary.ok());
    CHECK(summary.value().event_count == static_cast<int>(keys.size()));
  }
}

// `store` holds exactly `rejects`, newest first, and counts them.
void CheckHoldsRejects(SqliteStore& store, const std::vector<Reject>& rejects) {
  auto recent = store.RecentRejects(0);
  REQUIRE(recent.ok());
  std::vector<std::string> got, want;
  for (const auto& r : recent.value()) got.push_back(r.reason + "/" + r.raw_payload);
  for (auto it = rejects.rbegin(); it != rejects.rend(); ++it) {
    want.push_back(it->reason + "/" + it->raw_payload);
  }
  CHECK(got == want);
  REQUIRE(store.RejectTotal().ok());
  CHECK(store.RejectTotal().value() == rejects.size());
}

// A crash at this moment, as the disk would have it (the OS page cache
// included, as after a killed process): a copy of the database, its -wal
// and -shm files, taken while the store still has them open.
std::string CrashCopy(const std::string& path, const TempDir& into) {
  const std::string copy = into.File("crashed.db");
  for (const char* suffix : {"", "-wal", "-shm"}) {
    if (fs::exists(path + suffix)) fs::copy_file(path + suffix, copy + suffix);
  }
  return copy;
}

struct FaultCase {
  Fault fault;
  ErrorKind kind;  // what Append / AppendReject must report
};

// The COMMIT's first write to the WAL fails, and every one after it until
// cleared (a disk that stays full, a file that stays read-only).
FaultCase WalWriteFails(int rc, ErrorKind kind) {
  Fault fault;
  fault.file = FaultFile::kWal;
  fault.op = FaultOp::kWrite;
  fault.rc = rc;
  return {fault, kind};
}

// The WAL frames are written, their fsync fails.
FaultCase WalSyncFails(int rc, ErrorKind kind) {
  Fault fault;
  fault.file = FaultFile::kWal;
  fault.op = FaultOp::kSync;
  fault.rc = rc;
  return {fault, kind};
}

// Acknowledged events, an Append failing at COMMIT (twice, as the daemon's
// retry would while the condition lasts), nothing of it anywhere, the fault
// cleared, the same Append inserting, more appends, and every acknowledged
// event exactly once after reopening with the default VFS and read-only.
void CheckAppendThroughFault(const FaultCase& c) {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  FaultVfs vfs;
  std::vector<StageEvent> acked = {
      Event("a1", "O-1", "confirmed", 1000),
      Event("a2", "O-1", "printed", 2000),
      Event("b1", "O-2", "confirmed", 1500),
  };
  const StageEvent failing = Event("a3", "O-1", "shipped", 3000);  // updates O-1's summary
  const StageEvent new_order = Event("c1", "O-3", "confirmed", 3500);
  {
    auto store = MustOpen(ViaVfs(path, vfs.name()));
    for (const auto& e : acked) MustAppend(*store, e);
    const std::string dump_before = Dump(path);
    const std::string summary_before = SummaryOf(*store, "O-1");

    vfs.Arm(c.fault);
    for (int attempt = 0; attempt < 2; ++attempt) {
      CAPTURE(attempt);
      auto failed = store->Append(failing);
      REQUIRE_FALSE(failed.ok());
      CHECK(failed.error().kind == c.kind);
      CHECK_MESSAGE(failed.error().message.find("committing") != std::string::npos,
                    failed.error().message);
    }
    CHECK(vfs.injected() >= 2);  // the fault really fired, at each attempt
    {
      auto failed = store->Append(new_order);  // a new order: no summary row may appear
      REQUIRE_FALSE(failed.ok());
      CHECK(failed.error().kind == c.kind);
    }

    // Nothing half-written: not through the store, not for a reader.
    REQUIRE(store->EventCount().ok());
    CHECK(store->EventCount().value() == acked.size());
    CHECK(SummaryOf(*store, "O-1") == summary_before);
    CHECK(store->OrderEvents("O-1").value().size() == 2);
    auto absent = store->FindOrder("O-3");
    REQUIRE_FALSE(absent.ok());
    CHECK(absent.error().kind == ErrorKind::kNotFound);
    CHECK(Dump(path) == dump_before);
    CheckConsistent(path);

    // The fault clears: the same appends go through, once, and more follow.
    vfs.Clear();
    MustAppend(*store, failing);
    MustAppend(*store, failing, AppendStatus::kDuplicate);
    MustAppend(*store, new_order);
    acked.push_back(failing);
    acked.push_back(new_order);
    const StageEvent later = Event("b2", "O-2", "printed", 4000);
    MustAppend(*store, later);
    acked.push_back(later);
    CheckHoldsExactly(*store, acked);
    CHECK(store->FindOrder("O-1").value().shipped_at == At(3000));
  }
  CheckConsistent(path);
  {
    auto store = MustOpen(Options(path));  // default VFS
    CheckHoldsExactly(*store, acked);
    MustAppend(*store, failing, AppendStatus::kDuplicate);  // a redelivery
    const StageEvent after = Event("c2", "O-3", "printed", 5000);
    MustAppend(*store, after);
    acked.push_back(after);
  }
  auto reader = MustOpenReadOnly(path);
  CheckHoldsExactly(*reader, acked);
  CHECK(SummaryOf(*reader, "O-1").find("O-1 1000 3000 shipped 3000") == 0);
}

// The same for AppendReject (its transaction: insert, count, rotate).
void CheckAppendRejectThroughFault(const FaultCase& c) {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  FaultVfs vfs;
  std::vector<Reject> acked = {MakeReject(1), MakeReject(2), MakeReject(3)};
  const Reject failing = MakeReject(4);
  {
    auto store = MustOpen(ViaVfs(path, vfs.name()));
    MustAppend(*store, Event("a1", "O-1", "confirmed", 1000));
    for (const auto& r : acked) MustAppendReject(*store, r);
    const std::string dump_before = Dump(path);

    vfs.Arm(c.fault);
    for (int attempt = 0; attempt < 2; ++attempt) {
      CAPTURE(attempt);
      auto failed = store->AppendReject(failing);
      REQUIRE_FALSE(failed.ok());
      CHECK(failed.error().kind == c.kind);
      CHECK_MESSAGE(failed.error().message.find("committing") != std::string::npos,
                    failed.error().message);
    }
    CHECK(vfs.injected() >= 2);

    CheckHoldsRejects(*store, acked);
    CHECK(Dump(path) == dump_before);
    CheckConsistent(path);

    vfs.Clear();
    MustAppendReject(*store, failing);
    acked.push_back(failing);
    MustAppendReject(*store, MakeReject(5));
    acked.push_back(MakeReject(5));
    MustAppend(*store, Event("a2", "O-1", "printed", 2000));
    CheckHoldsRejects(*store, acked);
  }
  CheckConsistent(path);
  {
    auto store = MustOpen(Options(path));
    CheckHoldsRejects(*store, acked);
    MustAppendReject(*store, MakeReject(6));
    acked.push_back(MakeReject(6));
  }
  auto reader = MustOpenReadOnly(path);
  CheckHoldsRejects(*reader, acked);
  CHECK(reader->EventCount().value() == 2);
}

// --- The shim itself.

TEST_CASE("the fault VFS is transparent: WAL, shared memory and iVersion as the default VFS's") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  FaultVfs vfs;
  auto store = MustOpen(ViaVfs(path, vfs.name()));
  MustAppend(*store, Event("a", "O-1", "confirmed", 1000));
  {
    ReaderDb raw(path);  // default VFS, same file: sees the commit through the shared -shm
    CHECK(raw.Int("SELECT COUNT(*) FROM events") == 1);
    MustAppend(*store, Event("b", "O-1", "printed", 2000));
    CHECK(raw.Int("SELECT COUNT(*) FROM events") == 2);
  }

  // The wrapped files claim exactly the io-methods version of the default
  // VFS's files (version 2+ is what makes WAL possible without exclusive
  // locking), with the shim's own methods.
  sqlite3* via_shim = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &via_shim, SQLITE_OPEN_READWRITE, vfs.name().c_str()) ==
          SQLITE_OK);
  ReaderDb plain(path);
  CHECK(sqlite3_exec(via_shim, "SELECT COUNT(*) FROM events", nullptr, nullptr, nullptr) ==
        SQLITE_OK);
  CHECK(plain.Int("SELECT COUNT(*) FROM events") == 2);  // both have the -wal open now
  for (int op : {SQLITE_FCNTL_FILE_POINTER, SQLITE_FCNTL_JOURNAL_POINTER}) {
    CAPTURE(op);
    sqlite3_file* shim_file = nullptr;
    sqlite3_file* plain_file = nullptr;
    REQUIRE(sqlite3_file_control(via_shim, "main", op, &shim_file) == SQLITE_OK);
    REQUIRE(sqlite3_file_control(plain.get(), "main", op, &plain_file) == SQLITE_OK);
    REQUIRE(shim_file != nullptr);
    REQUIRE(plain_file != nullptr);
    REQUIRE(shim_file->pMethods != nullptr);
    REQUIRE(plain_file->pMethods != nullptr);
    CHECK(shim_file->pMethods != plain_file->pMethods);
    CHECK(shim_file->pMethods->iVersion == plain_file->pMethods->iVersion);
    CHECK(shim_file->pMethods->iVersion >= 2);
  }
  sqlite3_vfs* used = nullptr;
  REQUIRE(sqlite3_file_control(via_shim, "main", SQLITE_FCNTL_VFS_POINTER, &used) == SQLITE_OK);
  CHECK(used == sqlite3_vfs_find(vfs.name().c_str()));
  sqlite3_close_v2(via_shim);
}

TEST_CASE("with synchronous = FULL a commit writes the WAL and syncs it, and nothing else") {
  TempDir dir;
  FaultVfs vfs;
  auto store = MustOpen(ViaVfs(dir.File("ft.db"), vfs.name()));
  MustAppend(*store, Event("a", "O-1", "confirmed", 1000));
  vfs.ResetCounts();
  MustAppend(*store, Event("b", "O-1", "printed", 2000));
  CHECK(vfs.calls(FaultFile::kWal, FaultOp::kWrite) >= 2);  // frame header + page, at least
  CHECK(vfs.calls(FaultFile::kWal, FaultOp::kSync) == 1);
  CHECK(vfs.calls(FaultFile::kDatabase, FaultOp::kWrite) == 0);
  CHECK(vfs.calls(FaultFile::kDatabase, FaultOp::kSync) == 0);
  CHECK(vfs.calls(FaultFile::kOther, FaultOp::kWrite) == 0);
  CHECK(vfs.calls(FaultFile::kAny, FaultOp::kWrite) == vfs.calls(FaultFile::kWal, FaultOp::kWrite));
}

TEST_CASE("a fault with `times` fails that many calls, after `skip`, then lets calls through") {
  TempDir dir;
  FaultVfs vfs;
  auto store = MustOpen(ViaVfs(dir.File("ft.db"), vfs.name()));
  MustAppend(*store, Event("a", "O-1", "confirmed", 1000));

  Fault once;
  once.op = FaultOp::kSync;
  once.rc = SQLITE_IOERR_FSYNC;
  once.times = 1;
  vfs.Arm(once);
  auto failed = store->Append(Event("b", "O-1", "printed", 2000));
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().kind == ErrorKind::kIo);
  CHECK(vfs.injected() == 1);
  MustAppend(*store, Event("b", "O-1", "printed", 2000));  // still armed, but spent
  CHECK(vfs.injected() == 1);

  Fault later;
  later.op = FaultOp::kWrite;
  later.rc = SQLITE_IOERR_WRITE;
  later.skip = 3;  // the first frame and a half reach the -wal: a torn transaction there
  later.times = 1;
  vfs.Arm(later);
  auto torn = store->Append(Event("c", "O-1", "cast", 3000));
  REQUIRE_FALSE(torn.ok());
  CHECK(torn.error().kind == ErrorKind::kIo);
  CHECK(vfs.injected() == 1);
  CHECK(store->EventCount().value() == 2);
  MustAppend(*store, Event("c", "O-1", "cast", 3000));
  CHECK(store->EventCount().value() == 3);
  CHECK(store->FindOrder("O-1").value().current_stage == "cast");
}

// --- Append and AppendReject at a failing COMMIT.

TEST_CASE("Append: an I/O error writing the WAL at COMMIT is kIo; nothing lost or half-written") {
  CheckAppendThroughFault(WalWriteFails(SQLITE_IOERR_WRITE, ErrorKind::kIo));
}

TEST_CASE("Append: an I/O error syncing the WAL at COMMIT is kIo; nothing lost or half-written") {
  CheckAppendThroughFault(WalSyncFails(SQLITE_IOERR_FSYNC, ErrorKind::kIo));
}

TEST_CASE("Append: a full disk at COMMIT is kFull; nothing lost or half-written") {
  CheckAppendThroughFault(WalWriteFails(SQLITE_FULL, ErrorKind::kFull));
}

TEST_CASE("Append: a read-only file at COMMIT is kReadOnly; nothing lost or half-written") {
  CheckAppendThroughFault(WalWriteFails(SQLITE_READONLY, ErrorKind::kReadOnly));
}

TEST_CASE("AppendReject: an I/O error at COMMIT is kIo; nothing lost or half-written") {
  CheckAppendRejectThroughFault(WalWriteFails(SQLITE_IOERR_WRITE, ErrorKind::kIo));
  CheckAppendRejectThroughFault(WalSyncFails(SQLITE_IOERR_FSYNC, ErrorKind::kIo));
}

TEST_CASE("AppendReject: a full disk at COMMIT is kFull; nothing lost or half-written") {
  CheckAppendRejectThroughFault(WalWriteFails(SQLITE_FULL, ErrorKind::kFull));
}

TEST_CASE("AppendReject: a read-only file at COMMIT is kReadOnly; nothing lost or half-written") {
  CheckAppendRejectThroughFault(WalWriteFails(SQLITE_READONLY, ErrorKind::kReadOnly));
}

// --- A failed COMMIT, then no retry: the store is closed, or the process dies.

// After a failed COMMIT that was not retried, `store` holds `acked` and
// `failing` either whole (event and summary) or not at all; the broker's
// redelivery of `failing` then makes it stored exactly once. Returns whether
// it was there.
bool CheckWholeOrAbsentThenRedeliver(SqliteStore& store, const std::vector<StageEvent>& acked,
                                     const StageEvent& failing) {
  std::vector<StageEvent> all = acked;
  all.push_back(failing);
  auto count = store.EventCount();
  REQUIRE(count.ok());
  const bool kept = count.value() == all.size();
  CheckHoldsExactly(store, kept ? all : acked);
  MustAppend(store, failing, kept ? AppendStatus::kDuplicate : AppendStatus::kInserted);
  CheckHoldsExactly(store, all);
  return kept;
}

TEST_CASE("a failed WAL write at COMMIT, then close without retrying: the failed event is absent") {
  const FaultCase cases[] = {
      WalWriteFails(SQLITE_IOERR_WRITE, ErrorKind::kIo),
      WalWriteFails(SQLITE_FULL, ErrorKind::kFull),
      WalWriteFails(SQLITE_READONLY, ErrorKind::kReadOnly),
  };
  for (const FaultCase& c : cases) {
    // Closed with the fault still there (the closing checkpoint may fail
    // too), or after it cleared.
    for (bool clear_before_close : {false, true}) {
      CAPTURE(c.fault.rc);
      CAPTURE(clear_before_close);
      TempDir dir;
      const std::string path = dir.File("ft.db");
      const std::vector<StageEvent> acked = {
          Event("a1", "O-1", "confirmed", 1000),
          Event("a2", "O-1", "printed", 2000),
      };
      const StageEvent failing = Event("a3", "O-1", "shipped", 3000);
      {
        FaultVfs vfs;
        auto store = MustOpen(ViaVfs(path, vfs.name()));
        for (const auto& e : acked) MustAppend(*store, e);
        MustAppendReject(*store, MakeReject(1));
        vfs.Arm(c.fault);
        auto failed = store->Append(failing);
        REQUIRE_FALSE(failed.ok());
        CHECK(failed.error().kind == c.kind);
        CHECK(vfs.injected() >= 1);
        if (clear_before_close) vfs.Clear();
        store.reset();  // no retry
      }
      CheckConsistent(path);
      {
        auto reader = MustOpenReadOnly(path);
        CheckHoldsExactly(*reader, acked);
        CheckHoldsRejects(*reader, {MakeReject(1)});
        CHECK(reader->FindOrder("O-1").value().current_stage == "printed");
      }
      auto store = MustOpen(Options(path));
      CHECK_FALSE(CheckWholeOrAbsentThenRedeliver(*store, acked, failing));
      CheckConsistent(path);
    }
  }
}

TEST_CASE("a failed WAL fsync at COMMIT, then close without retrying: whole or absent, then once") {
  // Only the fsync failed: the transaction's frames, commit frame included,
  // are in the -wal. SQLite leaves them there; when the closing checkpoint
  // cannot run (the fault persists) the next open's WAL recovery finds a
  // complete transaction that was never acknowledged. It must be whole, and
  // the redelivery a duplicate.
  for (bool clear_before_close : {false, true}) {
    CAPTURE(clear_before_close);
    TempDir dir;
    const std::string path = dir.File("ft.db");
    const std::vector<StageEvent> acked = {
        Event("a1", "O-1", "confirmed", 1000),
        Event("a2", "O-1", "printed", 2000),
    };
    const StageEvent failing = Event("a3", "O-1", "shipped", 3000);
    {
      FaultVfs vfs;
      auto store = MustOpen(ViaVfs(path, vfs.name()));
      for (const auto& e : acked) MustAppend(*store, e);
      vfs.Arm(WalSyncFails(SQLITE_IOERR_FSYNC, ErrorKind::kIo).fault);
      auto failed = store->Append(failing);
      REQUIRE_FALSE(failed.ok());
      CHECK(failed.error().kind == ErrorKind::kIo);
      CHECK(vfs.injected() >= 1);
      if (clear_before_close) vfs.Clear();
      store.reset();
    }
    CheckConsistent(path);
    auto store = MustOpen(Options(path));
    const bool kept = CheckWholeOrAbsentThenRedeliver(*store, acked, failing);
    INFO((std::string("fault ") + (clear_before_close ? "cleared" : "still armed") +
          " at close: the unacknowledged transaction was " + (kept ? "" : "not ") +
          "there after reopening"));
    CheckConsistent(path);
  }
}

TEST_CASE("a failed WAL write at COMMIT then a crash: acknowledged intact, the failed one absent") {
  // skip: the transaction's frames up to the failing write are already in the
  // -wal file (0: none; 1: a frame header; 3: a frame and a header; 5: two
  // frames and a header), a torn transaction that recovery must ignore.
  for (const FaultCase& c : {WalWriteFails(SQLITE_IOERR_WRITE, ErrorKind::kIo),
                             WalWriteFails(SQLITE_FULL, ErrorKind::kFull),
                             WalWriteFails(SQLITE_READONLY, ErrorKind::kReadOnly)}) {
    for (int skip : {0, 1, 3, 5}) {
      CAPTURE(c.fault.rc);
      CAPTURE(skip);
      TempDir dir;
      TempDir crash_dir;
      const std::string path = dir.File("ft.db");
      FaultVfs vfs;
      const std::vector<StageEvent> acked = {
          Event("a1", "O-1", "confirmed", 1000),
          Event("a2", "O-1", "printed", 2000),
          Event("b1", "O-2", "confirmed", 1500),
      };
      auto store = MustOpen(ViaVfs(path, vfs.name()));
      for (const auto& e : acked) MustAppend(*store, e);
      Fault fault = c.fault;
      fault.skip = skip;
      vfs.Arm(fault);
      auto failed = store->Append(Event("a3", "O-1", "shipped", 3000));
      REQUIRE_FALSE(failed.ok());
      CHECK(failed.error().kind == c.kind);
      REQUIRE(vfs.injected() >= 1);

      const std::string crashed = CrashCopy(path, crash_dir);
      CheckConsistent(crashed);  // opens it first: WAL recovery runs here
      auto reopened = MustOpen(Options(crashed));
      CheckHoldsExactly(*reopened, acked);
      CHECK(reopened->FindOrder("O-1").value().current_stage == "printed");
      MustAppend(*reopened, Event("a3", "O-1", "shipped", 3000));  // the redelivery
      CheckConsistent(crashed);
    }
  }
}

TEST_CASE("a failed WAL fsync at COMMIT then a crash: the event is there whole or not at all") {
  // The frames reached the -wal (the OS page cache); only their fsync failed.
  // A process crash keeps them, so WAL recovery may find a complete, unacknowledged
  // transaction: it must then be whole (event and summary), and the broker's
  // redelivery a duplicate. Either way every event ends up stored exactly once.
  TempDir dir;
  TempDir crash_dir;
  const std::string path = dir.File("ft.db");
  FaultVfs vfs;
  std::vector<StageEvent> acked = {
      Event("a1", "O-1", "confirmed", 1000),
      Event("a2", "O-1", "printed", 2000),
  };
  const StageEvent failing = Event("a3", "O-1", "shipped", 3000);
  auto store = MustOpen(ViaVfs(path, vfs.name()));
  for (const auto& e : acked) MustAppend(*store, e);
  Fault fault;
  fault.op = FaultOp::kSync;
  fault.rc = SQLITE_IOERR_FSYNC;
  vfs.Arm(fault);
  auto failed = store->Append(failing);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().kind == ErrorKind::kIo);
  REQUIRE(vfs.injected() == 1);
  CHECK(store->EventCount().value() == acked.size());  // not visible to this process

  const std::string crashed = CrashCopy(path, crash_dir);
  CheckConsistent(crashed);
  auto reopened = MustOpen(Options(crashed));
  const bool kept = CheckWholeOrAbsentThenRedeliver(*reopened, acked, failing);
  INFO((std::string("the unacknowledged transaction was ") + (kept ? "" : "not ") +
        "recovered from the -wal after the crash"));
  CheckConsistent(crashed);
}

}  // namespace
}  // namespace floortrack
