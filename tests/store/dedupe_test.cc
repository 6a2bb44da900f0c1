// The deduplication rule (core/event_identity.h) as the SQLite store applies
// it, on real files: a reused event_id with other content is kept, content-
// only events collapse only as redeliveries after a new connection epoch.
#include <doctest/doctest.h>

#include <string>

#include "adapters/sqlite_store.h"
#include "core/event_identity.h"
#include "tests/store/store_fixture.h"

namespace floortrack {
namespace {

EventIdentity ById(const std::string& fingerprint) {
  return EventIdentity{Identity::kEventId, fingerprint, 0, 0};
}

EventIdentity Delivered(const std::string& fingerprint, std::uint64_t epoch,
                        std::uint64_t position) {
  return EventIdentity{Identity::kDelivery, fingerprint, epoch, position};
}

// A scan with neither id nor time, keyed as Ingest keys it.
StageEvent Scan(const std::string& order, const std::string& stage, std::uint64_t epoch,
                std::uint64_t position, std::int64_t received_ms) {
  StageEvent e = Event("", order, stage, received_ms);
  e.device_ts.reset();
  e.event_key = "delivery:" + order + stage + ":" + std::to_string(epoch) + ":" +
                std::to_string(position);
  return e;
}

void Expect(SqliteStore& store, const StageEvent& e, const EventIdentity& id, AppendStatus want) {
  auto r = store.Append(e, id);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r.value() == want);
}

TEST_CASE("an event_id reused with other content is stored as its own event") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  StageEvent qc = Event("1", "A-1", "qc", 1000);
  StageEvent packed = Event("1", "A-2", "packed", 2000);  // another station's "1"
  Expect(*store, qc, ById("fp-qc"), AppendStatus::kInserted);
  Expect(*store, qc, ById("fp-qc"), AppendStatus::kDuplicate);  // a redelivery
  Expect(*store, packed, ById("fp-packed"), AppendStatus::kStoredReusedId);
  Expect(*store, packed, ById("fp-packed"), AppendStatus::kDuplicate);  // its redelivery
  CHECK(store->EventCount().value() == 2);
  CHECK(store->FindOrder("A-2").value().current_stage == "packed");
}

TEST_CASE("the same event_id with the same fields but other bytes is one event") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  StageEvent a = Event("7", "A-1", "qc", 1000);
  StageEvent b = a;
  b.raw_payload = "{ \"order_id\" : \"A-1\" }";  // reformatted by a bridge
  b.received_at = At(99999);                     // and received later
  Expect(*store, a, ById("fp"), AppendStatus::kInserted);
  Expect(*store, b, ById("fp"), AppendStatus::kDuplicate);
  CHECK(store->EventCount().value() == 1);
}

TEST_CASE("content-only events: a rework loop within a connection stays whole") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  const std::uint64_t epoch = store->BeginEpoch().value();
  Expect(*store, Scan("A-1", "polished", epoch, 1, 1000), Delivered("P", epoch, 1),
         AppendStatus::kInserted);
  Expect(*store, Scan("A-1", "qc", epoch, 2, 2000), Delivered("Q", epoch, 2),
         AppendStatus::kInserted);
  Expect(*store, Scan("A-1", "polished", epoch, 3, 3000), Delivered("P", epoch, 3),
         AppendStatus::kInserted);
  CHECK(store->EventCount().value() == 3);
  CHECK(store->OrderEvents("A-1").value().size() == 3);
}

TEST_CASE("content-only events: a redelivery after a reconnect collapses, once") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  const std::uint64_t first = store->BeginEpoch().value();
  Expect(*store, Scan("A-1", "polished", first, 1, 1000), Delivered("P", first, 1),
         AppendStatus::kInserted);
  const std::uint64_t second = store->BeginEpoch().value();
  CHECK(second > first);
  // The broker resends the stored-but-unacknowledged message first.
  Expect(*store, Scan("A-1", "polished", second, 1, 5000), Delivered("P", second, 1),
         AppendStatus::kDuplicate);
  // The same scan again later in the connection is a new event.
  Expect(*store, Scan("A-1", "polished", second, 2, 6000), Delivered("P", second, 2),
         AppendStatus::kInserted);
  CHECK(store->EventCount().value() == 2);
}

TEST_CASE("content-only events: past the redelivery window nothing collapses") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  const std::uint64_t first = store->BeginEpoch().value();
  Expect(*store, Scan("A-1", "polished", first, 1, 1000), Delivered("P", first, 1),
         AppendStatus::kInserted);
  const std::uint64_t second = store->BeginEpoch().value();
  const std::uint64_t late = kRedeliveryWindow + 1;
  Expect(*store, Scan("A-1", "polished", second, late, 9000), Delivered("P", second, late),
         AppendStatus::kInserted);
}

TEST_CASE("content-only events: only the last kDeliveryTail stored can match") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  const std::uint64_t first = store->BeginEpoch().value();
  Expect(*store, Scan("A-0", "polished", first, 1, 1000), Delivered("old", first, 1),
         AppendStatus::kInserted);
  for (std::uint64_t i = 0; i < kDeliveryTail; ++i) {
    const std::string order = "B-" + std::to_string(i);
    Expect(*store, Scan(order, "qc", first, i + 2, 2000 + static_cast<std::int64_t>(i)),
           Delivered(order, first, i + 2), AppendStatus::kInserted);
  }
  const std::uint64_t second = store->BeginEpoch().value();
  Expect(*store, Scan("A-0", "polished", second, 1, 9000), Delivered("old", second, 1),
         AppendStatus::kInserted);
}

TEST_CASE("connection epochs survive a reopen") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  std::uint64_t before = 0;
  {
    auto store = MustOpen(Options(path));
    before = store->BeginEpoch().value();
    Expect(*store, Scan("A-1", "polished", before, 1, 1000), Delivered("P", before, 1),
           AppendStatus::kInserted);
  }
  auto store = MustOpen(Options(path));  // the daemon restarted after a crash
  const std::uint64_t after = store->BeginEpoch().value();
  CHECK(after > before);
  Expect(*store, Scan("A-1", "polished", after, 1, 5000), Delivered("P", after, 1),
         AppendStatus::kDuplicate);
}

}  // namespace
}  // namespace floortrack
