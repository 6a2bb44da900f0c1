// Daemon with the ingest journal (adapters/ingest_journal.h), driven by the
// fake source over a real SQLite file and a real journal directory: a
// message is acknowledged once journaled, ends up in the database exactly
// once across stops, held storage and restarts, and one that finds no room
// while the database is held is never acknowledged.
//
// The messages are content-only (neither event_id nor ts) and identical: the
// store keeps each as a new event (core/event_identity.h), so a record
// applied twice would show as one event too many.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/daemon/fake_source.h"

namespace floortrack {
namespace {

std::size_t RecordSize(const std::string& topic, const std::string& payload) {
  JournalRecord r;
  r.topic = topic;
  r.payload = payload;
  return r.Size();
}

using namespace std::chrono_literals;

const std::string kScan = R"({"order_id":"J1","stage":"polished"})";

struct JournalFixture {
  explicit JournalFixture(std::size_t max_bytes = 4u << 20, bool sync = false)
      : max_bytes(max_bytes), sync(sync) {
    char dir_template[] = "/tmp/floortrack-journal-test-XXXXXX";
    dir = ::mkdtemp(dir_template);
    db_path = dir + "/floortrack.db";
    Open();
  }
  ~JournalFixture() {
    Close();
    std::filesystem::remove_all(dir);
  }

  // A process start: store, journal (replaying what the store has not
  // applied), daemon.
  void Open() {
    StoreOptions options;
    options.path = db_path;
    options.sync = sync ? StoreOptions::Sync::kFull : StoreOptions::Sync::kNormal;
    auto opened = SqliteStore::OpenForWriting(options, Config{}.rules);
    REQUIRE(opened.ok());
    sqlite = std::move(opened).value();
    auto applied = sqlite->AppliedThrough();
    REQUIRE(applied.ok());
    JournalOptions jo;
    jo.dir = db_path + "-ingest";
    jo.sync = sync;
    jo.max_bytes = max_bytes;
    auto journal_opened = IngestJournal::Open(jo, applied.value());
    REQUIRE_MESSAGE(journal_opened.ok(),
                    (journal_opened.ok() ? "" : journal_opened.error().message));
    journal = std::move(journal_opened).value();
    store = std::make_unique<ControlledStore>(*sqlite);
    source = std::make_unique<FakeSource>(db_path);
    daemon = std::make_unique<Daemon>(io, Config{}, "", *store, *source);
    daemon->SetJournal(journal.get());
  }
  void Close() {
    daemon.reset();
    source.reset();
    store.reset();
    journal.reset();
    sqlite.reset();
  }

  void Scans(int n, std::uint64_t connection, const std::string& payload = kScan) {
    std::thread transport([&] {
      for (int i = 0; i < n; ++i) source->Arrive("J1", connection, false, payload);
    });
    transport.join();
  }
  bool WaitStored(int n) {
    for (int i = 0; i < 500; ++i) {
      if (StoredCount(db_path, "J1") >= n) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  int Acknowledged() const {
    int n = 0;
    for (const auto& r : source->records()) n += r.acknowledged;
    return n;
  }

  std::size_t max_bytes;
  bool sync;
  std::string dir;
  std::string db_path;
  asio::io_context io;
  std::unique_ptr<SqliteStore> sqlite;
  std::unique_ptr<IngestJournal> journal;
  std::unique_ptr<ControlledStore> store;
  std::unique_ptr<FakeSource> source;
  std::unique_ptr<Daemon> daemon;
};

TEST_CASE("journal: acknowledged once journaled, applied in batches, all in the database at stop") {
  // Synced: most batches commit without a sync and are released only by a
  // later durable one (daemon/ingest_applier.h); the stop makes them durable.
  for (const bool sync : {false, true}) {
    CAPTURE(sync);
    JournalFixture f(4u << 20, sync);
    f.daemon->Start();
    f.Scans(200, 1);
    CHECK(f.Acknowledged() == 200);
    f.daemon->Shutdown();
    CHECK(StoredCount(f.db_path, "J1") == 200);
    CHECK(f.journal->PendingRecords() == 0);
    CHECK(f.daemon->Metrics().stored == 200);
    CHECK(f.daemon->Metrics().journal_pending == std::optional<std::uint64_t>(0));
    CHECK(f.sqlite->AppliedThrough().value() == 200);
  }
}

TEST_CASE("journal: messages acknowledged while storage is held are applied exactly once by the next start") {
  JournalFixture f;
  f.store->Hold(true);
  f.daemon->Start();
  f.Scans(30, 1);
  CHECK(f.Acknowledged() == 30);
  std::this_thread::sleep_for(200ms);  // the applier retries against held storage
  CHECK(f.store->held_attempts() > 0);
  CHECK(StoredCount(f.db_path, "J1") == 0);
  CHECK_FALSE(f.daemon->Health().healthy);
  f.daemon->Shutdown();  // gives up waiting: the records stay in the journal
  CHECK(StoredCount(f.db_path, "J1") == 0);

  f.Close();
  f.Open();
  CHECK(f.journal->PendingRecords() == 30);
  f.daemon->Start();
  CHECK(f.WaitStored(30));
  // This process's first connection. (Its first scans repeating the last
  // ones stored would count as redeliveries: docs/reliability.md.)
  f.Scans(5, 1, R"({"order_id":"J1","stage":"qc"})");
  f.daemon->Shutdown();
  CHECK(StoredCount(f.db_path, "J1") == 35);

  // The last segment still holds the applied records: the next start skips them.
  f.Close();
  f.Open();
  CHECK(f.journal->PendingRecords() == 0);
  f.daemon->Start();
  f.daemon->Shutdown();
  CHECK(StoredCount(f.db_path, "J1") == 35);
}

TEST_CASE("journal: a message that finds the journal full while storage is held is not acknowledged") {
  // Room for three records of this size, not four.
  const std::size_t record = RecordSize("floor/test/station-1", kScan);
  JournalFixture f(3 * record + record / 2);
  f.store->Hold(true);
  f.daemon->Start();
  std::thread transport([&] {
    for (int i = 0; i < 5; ++i) f.source->Arrive("J1", 1, false, kScan);
  });
  for (int i = 0; i < 500 && f.journal->PendingRecords() < 3; ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(100ms);  // the fourth waits for room
  CHECK(f.source->records().size() == 3);
  f.daemon->Shutdown();
  transport.join();
  CHECK(f.Acknowledged() == 3);
  CHECK(f.source->records().size() == 5);

  f.Close();
  f.Open();
  f.daemon->Start();
  f.daemon->Shutdown();
  CHECK(StoredCount(f.db_path, "J1") == 3);
}

}  // namespace
}  // namespace floortrack
