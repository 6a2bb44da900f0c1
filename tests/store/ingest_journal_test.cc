// The ingest journal on real files (adapters/ingest_journal.h): records read
// back above the database's position, a torn last record cut off, damage
// before the end refused, released segments deleted, the bound holding the
// appender; and the store's batches that carry the position.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/ingest_journal.h"
#include "tests/store/store_fixture.h"

namespace floortrack {
namespace {

std::size_t RecordSize(const std::string& topic, const std::string& payload) {
  JournalRecord r;
  r.topic = topic;
  r.payload = payload;
  return r.Size();
}

namespace fs = std::filesystem;

JournalOptions InDir(const std::string& dir, std::size_t segment_bytes = 1u << 20) {
  JournalOptions o;
  o.dir = dir;
  o.sync = true;
  o.segment_bytes = segment_bytes;
  return o;
}

std::unique_ptr<IngestJournal> MustOpenJournal(const JournalOptions& o, std::uint64_t applied) {
  auto j = IngestJournal::Open(o, applied);
  REQUIRE_MESSAGE(j.ok(), (j.ok() ? "" : j.error().message));
  return std::move(j).value();
}

void MustAppendRecord(IngestJournal& j, int i) {
  const std::string n = std::to_string(i);
  auto s = j.Append(7, i, 1000 + i, "floor/s/" + n, "{\"n\":" + n + "}");
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
}

std::vector<fs::path> Segments(const std::string& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("journal: records above the applied position are read back whole, in order") {
  TempDir tmp;
  const auto o = InDir(tmp.File("j"));
  {
    auto j = MustOpenJournal(o, 0);
    for (int i = 1; i <= 5; ++i) MustAppendRecord(*j, i);
    CHECK(j->PendingRecords() == 5);
  }
  auto j = MustOpenJournal(o, 2);
  CHECK(j->PendingRecords() == 3);
  CHECK(j->ReplayedConnectionMax() == 7);
  const auto batch = j->NextBatch(10, 0);
  REQUIRE(batch.size() == 3);
  CHECK(batch[0].seq == 3);
  CHECK(batch[0].connection == 7);
  CHECK(batch[0].sequence == 3);
  CHECK(batch[0].received_ms == 1003);
  CHECK(batch[0].topic == "floor/s/3");
  CHECK(batch[0].payload == "{\"n\":3}");
  CHECK(batch[2].seq == 5);
  CHECK(j->NextBatch(10, 0).empty());  // handed out once
  MustAppendRecord(*j, 6);
  const auto next = j->NextBatch(10, 0);
  REQUIRE(next.size() == 1);
  CHECK(next[0].seq == 6);
}

TEST_CASE("journal: a torn last record is cut off and its place reused") {
  TempDir tmp;
  const auto o = InDir(tmp.File("j"));
  {
    auto j = MustOpenJournal(o, 0);
    for (int i = 1; i <= 3; ++i) MustAppendRecord(*j, i);
  }
  // The third record's last bytes never reached the disk (the segment is
  // zeros beyond what was written).
  const auto segment = Segments(o.dir).back();
  std::size_t end = 0;
  for (int i = 1; i <= 3; ++i)
    end += RecordSize("floor/s/" + std::to_string(i), "{\"n\":" + std::to_string(i) + "}");
  {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(end - 3));
    f.write("\0\0\0", 3);
  }
  {
    auto j = MustOpenJournal(o, 0);
    CHECK(j->PendingRecords() == 2);
    MustAppendRecord(*j, 30);
  }
  auto j = MustOpenJournal(o, 0);
  const auto batch = j->NextBatch(10, 0);
  REQUIRE(batch.size() == 3);
  CHECK(batch[2].seq == 3);
  CHECK(batch[2].payload == "{\"n\":30}");
}

TEST_CASE("journal: a damaged record before the end is refused, not skipped") {
  TempDir tmp;
  const auto o = InDir(tmp.File("j"));
  {
    auto j = MustOpenJournal(o, 0);
    for (int i = 1; i <= 3; ++i) MustAppendRecord(*j, i);
  }
  const auto segment = Segments(o.dir).front();
  {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);  // inside the first record's body
    f.put('\x5a');
  }
  auto j = IngestJournal::Open(o, 0);
  REQUIRE_FALSE(j.ok());
  CHECK(j.error().kind == ErrorKind::kCorrupt);
}

TEST_CASE("journal: released segments are deleted; numbering continues above the database's") {
  TempDir tmp;
  const auto o = InDir(tmp.File("j"), /*segment_bytes=*/100);  // about two records each
  {
    auto j = MustOpenJournal(o, 0);
    for (int i = 1; i <= 10; ++i) MustAppendRecord(*j, i);
    const std::size_t before = Segments(o.dir).size();
    CHECK(before >= 4);
    REQUIRE(j->Release(7).ok());
    CHECK(j->PendingRecords() == 3);
    CHECK(Segments(o.dir).size() < before);
    // What is left holds every record above 7.
  }
  {
    auto j = MustOpenJournal(o, 7);
    const auto batch = j->NextBatch(10, 0);
    REQUIRE(batch.size() == 3);
    CHECK(batch[0].seq == 8);
  }
  // The journal lost (moved aside): new records still number above the
  // database's position, so none is taken for applied.
  fs::remove_all(o.dir);
  {
    auto j = MustOpenJournal(o, 10);
    MustAppendRecord(*j, 11);
  }
  auto j = MustOpenJournal(o, 10);
  const auto batch = j->NextBatch(10, 0);
  REQUIRE(batch.size() == 1);
  CHECK(batch[0].seq == 11);
}

TEST_CASE("journal: the appender waits for room until records are released") {
  TempDir tmp;
  auto o = InDir(tmp.File("j"));
  o.max_bytes = 3 * RecordSize("floor/s/1", "{\"n\":1}");
  auto j = MustOpenJournal(o, 0);
  for (int i = 1; i <= 3; ++i) MustAppendRecord(*j, i);
  std::atomic<bool> got_room{false};
  std::thread appender([&] { got_room = j->WaitForRoom(20); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK_FALSE(got_room);
  REQUIRE(j->Release(1).ok());
  appender.join();
  CHECK(got_room);
  j->Interrupt();
  CHECK_FALSE(j->WaitForRoom(1u << 30));
}

TEST_CASE("store batches: committed with the journal position, or rolled back whole") {
  TempDir tmp;
  auto store = MustOpen(Options(tmp.File("f.db")));
  CHECK(store->AppliedThrough().value() == 0);
  REQUIRE(store->BeginBatch(/*durable=*/true).ok());
  MustAppend(*store, Event("b-1", "B1", "confirmed", 1'000'000));
  MustAppend(*store, Event("b-2", "B1", "printed", 2'000'000));
  REQUIRE(store->CommitBatch(7).ok());
  CHECK(store->EventCount().value() == 2);
  CHECK(store->AppliedThrough().value() == 7);

  REQUIRE(store->BeginBatch(/*durable=*/false).ok());
  MustAppend(*store, Event("b-3", "B1", "cast", 3'000'000));
  store->AbortBatch();
  CHECK(store->EventCount().value() == 2);
  CHECK(store->FindOrder("B1").value().event_count == 2);
  CHECK(store->AppliedThrough().value() == 7);

  store.reset();
  auto reopened = MustOpen(Options(tmp.File("f.db")));
  CHECK(reopened->AppliedThrough().value() == 7);
  CHECK(reopened->EventCount().value() == 2);
}

}  // namespace
}  // namespace floortrack
