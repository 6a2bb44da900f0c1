// SqliteStore on real database files, one fresh temporary directory per test.
#include "adapters/sqlite_store.h"

#include "adapters/sqlite/schema.h"
#include "tests/store/store_fixture.h"

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

namespace floortrack {
namespace {

namespace fs = std::filesystem;

std::set<std::string> Ids(const std::vector<OrderSummary>& orders) {
  std::set<std::string> ids;
  for (const auto& o : orders) ids.insert(o.order_id);
  return ids;
}

std::vector<std::string> IdList(const std::vector<OrderSummary>& orders) {
  std::vector<std::string> ids;
  for (const auto& o : orders) ids.push_back(o.order_id);
  return ids;
}

TEST_CASE("a new store file gets WAL mode, our application_id and schema version") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  { auto store = MustOpen(Options(path)); }
  RawDb raw(path);
  CHECK(raw.Int("PRAGMA application_id") == sqlite::kStoreApplicationId);
  CHECK(raw.Int("PRAGMA user_version") == sqlite::kStoreSchemaVersion);
  CHECK(raw.Text("PRAGMA journal_mode") == "wal");
  CHECK(raw.Int("SELECT COUNT(*) FROM sqlite_master WHERE name IN "
                "('events','orders','rejects','counters')") == 4);
}

TEST_CASE("append and read back every field") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));

  StageEvent full =
      WithMaterial(Event("k-full", "O-1", "confirmed", 1'700'000'000'123), 12.5, 1.25);
  full.time_source = TimeSource::kReceivedFuture;
  full.station = "bench-3";
  full.operator_name = "ana";
  full.result = StageResult::kFail;
  full.defect = "porosity";
  full.reason = "redo";
  full.value = 249.99;
  full.currency = "EUR";
  full.customer_id = "C-9";
  full.product = "ring";
  full.personalized = true;
  full.promised_at = At(1'700'900'000'000);
  full.raw_payload = std::string("raw\0bytes\xff", 10);
  MustAppend(*store, full);

  StageEvent bare = Event("k-bare", "O-1", "printed", 1'700'000'500'000);
  bare.device_ts.reset();
  bare.time_source = TimeSource::kReceivedNoTs;
  bare.raw_payload.clear();
  MustAppend(*store, bare);

  auto events = store->OrderEvents("O-1");
  REQUIRE(events.ok());
  REQUIRE(events.value().size() == 2);
  const StageEvent& a = events.value()[0];
  CHECK(a.event_key == "k-full");
  CHECK(a.order_id == "O-1");
  CHECK(a.stage == "confirmed");
  CHECK(a.topic == "shop/confirmed");
  CHECK(a.stage_time == full.stage_time);
  CHECK(a.received_at == full.received_at);
  CHECK(a.device_ts == full.device_ts);
  CHECK(a.time_source == TimeSource::kReceivedFuture);
  CHECK(a.station == "bench-3");
  CHECK(a.operator_name == "ana");
  CHECK(a.result == StageResult::kFail);
  CHECK(a.defect == "porosity");
  CHECK(a.reason == "redo");
  REQUIRE(a.material.has_value());
  CHECK(a.material->type == "silver");
  CHECK(a.material->used_g == 12.5);
  CHECK(a.material->scrap_g == 1.25);
  CHECK(a.material_cost == 6.25);
  CHECK(a.value == 249.99);
  CHECK(a.currency == "EUR");
  CHECK(a.customer_id == "C-9");
  CHECK(a.product == "ring");
  CHECK(a.personalized == true);
  CHECK(a.promised_at == full.promised_at);
  CHECK(a.raw_payload == full.raw_payload);

  const StageEvent& b = events.value()[1];
  CHECK(b.event_key == "k-bare");
  CHECK_FALSE(b.device_ts.has_value());
  CHECK(b.time_source == TimeSource::kReceivedNoTs);
  CHECK(b.station.empty());
  CHECK(b.result == StageResult::kNone);
  CHECK_FALSE(b.material.has_value());
  CHECK(b.material_cost == 0);
  CHECK_FALSE(b.value.has_value());
  CHECK_FALSE(b.personalized.has_value());
  CHECK_FALSE(b.promised_at.has_value());
  CHECK(b.raw_payload.empty());

  auto summary = store->FindOrder("O-1");
  REQUIRE(summary.ok());
  const OrderSummary& s = summary.value();
  CHECK(s.order_id == "O-1");
  CHECK(s.confirmed_at == full.stage_time);
  CHECK_FALSE(s.shipped_at.has_value());
  CHECK(s.current_stage == "printed");
  CHECK(s.current_stage_at == bare.stage_time);
  CHECK(s.last_received_at == bare.received_at);
  CHECK(s.event_count == 2);
  CHECK(s.value == 249.99);
  CHECK(s.currency == "EUR");
  CHECK(s.customer_id == "C-9");
  CHECK(s.product == "ring");
  CHECK(s.personalized == true);
  CHECK(s.material_used_g == 12.5);
  CHECK(s.material_scrap_g == 1.25);
  CHECK(s.material_cost == 6.25);
  CHECK(s.failed_before_ship);
  CHECK(s.return_reasons.empty());
  CHECK(store->EventCount().value() == 2);
}

TEST_CASE("unknown orders are kNotFound") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  auto events = store->OrderEvents("nope");
  REQUIRE_FALSE(events.ok());
  CHECK(events.error().kind == ErrorKind::kNotFound);
  auto order = store->FindOrder("nope");
  REQUIRE_FALSE(order.ok());
  CHECK(order.error().kind == ErrorKind::kNotFound);
  CHECK(store->EventCount().value() == 0);
  CHECK(store->RejectTotal().value() == 0);
}

TEST_CASE("a duplicate event_key stores one row and reports kDuplicate, also after reopen") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  StageEvent e = Event("dup-1", "O-1", "confirmed", 1000);
  {
    auto store = MustOpen(Options(path));
    MustAppend(*store, e);
    StageEvent changed = e;  // same key, different content: still a duplicate
    changed.stage_time = At(99);
    MustAppend(*store, changed, AppendStatus::kDuplicate);
  }
  auto store = MustOpen(Options(path));
  MustAppend(*store, e, AppendStatus::kDuplicate);
  CHECK(store->EventCount().value() == 1);
  auto events = store->OrderEvents("O-1");
  REQUIRE(events.ok());
  REQUIRE(events.value().size() == 1);
  CHECK(events.value()[0].stage_time == At(1000));
  CHECK(store->FindOrder("O-1").value().event_count == 1);
}

TEST_CASE("the summary follows the timeline, not arrival order") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  MustAppend(*store, Event("a", "O-1", "confirmed", 1000));
  MustAppend(*store, Event("b", "O-1", "shipped", 5000));
  auto before = store->FindOrder("O-1").value();
  CHECK(before.shipped_at == At(5000));
  CHECK(before.current_stage == "shipped");

  MustAppend(*store, Event("c", "O-1", "shipped", 3000));  // late, but earlier
  MustAppend(*store, Event("d", "O-1", "printed", 2000));  // late too
  auto after = store->FindOrder("O-1").value();
  CHECK(after.shipped_at == At(3000));
  CHECK(after.confirmed_at == At(1000));
  CHECK(after.current_stage == "shipped");
  CHECK(after.current_stage_at == At(5000));
  CHECK(after.event_count == 4);

  auto events = store->OrderEvents("O-1").value();
  std::vector<std::string> keys;
  for (const auto& e : events) keys.push_back(e.event_key);
  CHECK(keys == std::vector<std::string>{"a", "d", "c", "b"});
}

TEST_CASE(
    "the stored summary equals a full recompute, on the in-order fast path and after late events") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  // Arrival order mixes events later than everything so far (updated from the
  // row), same-time and earlier ones (recomputed), fails before and after the
  // first shipment, material, a second confirmed and returns.
  StageEvent confirmed = Event("k1", "O-7", "confirmed", 1000);
  confirmed.value = 120.5;
  confirmed.customer_id = "C-1";
  confirmed.personalized = false;
  StageEvent qc_fail = Event("k4", "O-7", "qc", 4000);
  qc_fail.result = StageResult::kFail;
  StageEvent late_fail = Event("k8", "O-7", "qc", 9000);
  late_fail.result = StageResult::kFail;
  StageEvent returned = Event("k9", "O-7", "returned", 10000);
  returned.reason = "wrong_size";
  StageEvent confirmed2 = Event("k2", "O-7", "confirmed", 1500);
  confirmed2.currency = "EUR";
  const std::vector<StageEvent> arrivals = {
      confirmed,
      WithMaterial(Event("k3", "O-7", "printed", 3000), 10, 1),
      qc_fail,
      Event("k5", "O-7", "packed", 4000),  // same stage time as the last: recomputed
      Event("k6", "O-7", "shipped", 8000),
      late_fail,
      returned,
      WithMaterial(Event("k7", "O-7", "cast", 3500), 20, 2.5),  // late: recomputed
      confirmed2,
      Event("k10", "O-7", "returned", 12000)};
  Rules rules;
  for (const auto& e : arrivals) {
    MustAppend(*store, e);
    auto stored = store->FindOrder("O-7").value();
    auto events = store->OrderEvents("O-7").value();
    OrderSummary full = SummarizeOrder(events, rules);
    CHECK(stored.confirmed_at == full.confirmed_at);
    CHECK(stored.shipped_at == full.shipped_at);
    CHECK(stored.current_stage == full.current_stage);
    CHECK(stored.current_stage_at == full.current_stage_at);
    CHECK(stored.last_received_at == full.last_received_at);
    CHECK(stored.event_count == full.event_count);
    CHECK(stored.value == full.value);
    CHECK(stored.currency == full.currency);
    CHECK(stored.customer_id == full.customer_id);
    CHECK(stored.personalized == full.personalized);
    CHECK(stored.material_used_g == full.material_used_g);
    CHECK(stored.material_scrap_g == full.material_scrap_g);
    CHECK(stored.material_cost == full.material_cost);
    CHECK(stored.failed_before_ship == full.failed_before_ship);
    CHECK(stored.return_reasons == full.return_reasons);
  }
  auto last = store->FindOrder("O-7").value();
  CHECK(last.event_count == 10);
  CHECK(last.failed_before_ship);
  CHECK(last.currency == "EUR");
  CHECK(last.return_reasons == std::vector<std::string>{"wrong_size", ""});
  // Window queries see the row through the indexes the fast path left alone.
  Window w;
  w.since = At(7000);
  w.until = At(8001);
  auto kpi = CollectOrdersForKpi(*store, w).value();
  REQUIRE(kpi.size() == 1);
  CHECK(kpi[0].order_id == "O-7");
}

TEST_CASE("return reasons round-trip, including empty and awkward ones") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  const std::vector<std::string> reasons = {"wrong_size", "", "12:colon\nnewline"};
  {
    auto store = MustOpen(Options(path));
    MustAppend(*store, Event("c", "O-1", "confirmed", 1000));
    MustAppend(*store, Event("s", "O-1", "shipped", 2000));
    for (std::size_t i = 0; i < reasons.size(); ++i) {
      StageEvent r = Event("r" + std::to_string(i), "O-1", "returned", 3000 + i);
      r.reason = reasons[i];
      MustAppend(*store, r);
    }
  }
  auto reader = MustOpenReadOnly(path);
  CHECK(reader->FindOrder("O-1").value().return_reasons == reasons);
}

TEST_CASE("OrdersForKpi returns every order the window's KPIs need") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  // Window [1000, 2000).
  auto add = [&](const std::string& id, std::int64_t confirmed, std::int64_t shipped) {
    MustAppend(*store, Event(id + "-c", id, "confirmed", confirmed));
    if (shipped >= 0) MustAppend(*store, Event(id + "-s", id, "shipped", shipped));
  };
  add("before-done", 100, 500);        // all before the window: not needed
  add("confirmed-in", 1200, -1);       // confirmed in window
  add("shipped-in", 500, 1500);        // shipped in window
  add("open-old", 500, -1);            // open at until
  add("shipped-after", 500, 2500);     // open at until (shipped later)
  add("confirmed-after", 2100, 2200);  // entirely after the window: not needed
  add("in-and-out", 1100, 1900);       // confirmed and shipped in window
  MustAppend(*store, Event("x-s", "unconfirmed-shipped", "shipped", 1300));

  Window window{At(1000), At(2000)};
  auto orders = CollectOrdersForKpi(*store, window);
  REQUIRE(orders.ok());
  CHECK(orders.value().size() == Ids(orders.value()).size());  // no duplicates
  CHECK(Ids(orders.value()) == std::set<std::string>{"confirmed-in", "shipped-in", "open-old",
                                                     "shipped-after", "in-and-out",
                                                     "unconfirmed-shipped"});

  auto all = CollectOrdersForKpi(*store, Window{});
  REQUIRE(all.ok());
  CHECK(all.value().size() == 8);

  // No `since`: one sequential scan returns every order (the contract is a
  // superset); each exactly once, the needed ones among them.
  auto until_only = CollectOrdersForKpi(*store, Window{std::nullopt, At(1000)});
  REQUIRE(until_only.ok());
  CHECK(until_only.value().size() == Ids(until_only.value()).size());
  const std::set<std::string> needed{"before-done", "shipped-in", "open-old", "shipped-after"};
  for (const std::string& id : needed) CHECK(Ids(until_only.value()).count(id) == 1);
}

TEST_CASE("OrdersForKpi arms are disjoint: an order matching several is returned once") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  // Confirmed and shipped in the window (arms 1 and 2 would both match it).
  MustAppend(*store, Event("a-c", "A", "confirmed", 1100));
  MustAppend(*store, Event("a-s", "A", "shipped", 1200));
  // Confirmed before, shipped after the window: open at until (arm 4 only).
  MustAppend(*store, Event("b-c", "B", "confirmed", 900));
  MustAppend(*store, Event("b-s", "B", "shipped", 2500));
  // Confirmed before, never shipped (arm 3 only).
  MustAppend(*store, Event("c-c", "C", "confirmed", 900));
  auto orders = CollectOrdersForKpi(*store, Window{At(1000), At(2000)});
  REQUIRE(orders.ok());
  CHECK(orders.value().size() == 3);
  CHECK(Ids(orders.value()) == std::set<std::string>{"A", "B", "C"});
}

TEST_CASE("OrdersForKpi carries product and customer_id (kpi --by product, customer)") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  StageEvent confirmed = Event("a-c", "A", "confirmed", 1100);
  confirmed.product = "ring";
  confirmed.customer_id = "C-1";
  MustAppend(*store, confirmed);
  for (const Window& window : {Window{At(1000), At(2000)}, Window{}}) {
    auto orders = CollectOrdersForKpi(*store, window);
    REQUIRE(orders.ok());
    REQUIRE(orders.value().size() == 1);
    CHECK(orders.value()[0].product == "ring");
    CHECK(orders.value()[0].customer_id == "C-1");
  }
}

TEST_CASE("VisitVoids lists each void event's order and the event it names") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  MustAppend(*store, Event("a-c", "A", "confirmed", 1000));
  StageEvent v = Event("a-v", "A", "void", 2000);
  v.voids = "a-c";
  MustAppend(*store, v);
  std::vector<std::pair<std::string, std::string>> voids;
  REQUIRE(store
              ->VisitVoids([&](const std::string& order, const std::string& voided) {
                voids.emplace_back(order, voided);
              })
              .ok());
  CHECK(voids == std::vector<std::pair<std::string, std::string>>{{"A", "a-c"}});
}

TEST_CASE("MaterialInWindow sums material events by stage time") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  MustAppend(*store, WithMaterial(Event("m1", "O-1", "cast", 999), 100, 10));    // before
  MustAppend(*store, WithMaterial(Event("m2", "O-1", "cast", 1000), 20, 2));     // in
  MustAppend(*store, WithMaterial(Event("m3", "O-2", "polished", 1999), 5, 1));  // in
  MustAppend(*store, WithMaterial(Event("m4", "O-2", "cast", 2000), 7, 7));      // at until: out
  MustAppend(*store, Event("n1", "O-2", "cast", 1500));                          // no material

  auto in = store->MaterialInWindow(Window{At(1000), At(2000)});
  REQUIRE(in.ok());
  CHECK(in.value().used_g == 25);
  CHECK(in.value().scrap_g == 3);

  auto all = store->MaterialInWindow(Window{});
  REQUIRE(all.ok());
  CHECK(all.value().used_g == 132);
  CHECK(all.value().scrap_g == 20);

  auto none = store->MaterialInWindow(Window{At(5000), std::nullopt});
  REQUIRE(none.ok());
  CHECK(none.value().used_g == 0);
  CHECK(none.value().scrap_g == 0);
}

TEST_CASE("ListOrders: most recently active first, open_only, since and limit") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  MustAppend(*store, Event("a1", "A", "confirmed", 1000));
  MustAppend(*store, Event("b1", "B", "confirmed", 2000));
  MustAppend(*store, Event("b2", "B", "shipped", 5000));
  MustAppend(*store, Event("c1", "C", "confirmed", 3000));
  MustAppend(*store, Event("c2", "C", "printed", 4000));

  CHECK(IdList(store->ListOrders({}).value()) == std::vector<std::string>{"B", "C", "A"});
  OrderFilter open;
  open.open_only = true;
  CHECK(IdList(store->ListOrders(open).value()) == std::vector<std::string>{"C", "A"});
  OrderFilter since;
  since.since = At(4000);
  CHECK(IdList(store->ListOrders(since).value()) == std::vector<std::string>{"B", "C"});
  OrderFilter limited;
  limited.limit = 1;
  CHECK(IdList(store->ListOrders(limited).value()) == std::vector<std::string>{"B"});
}

TEST_CASE("rejects rotate to the newest max_rejects while the total counts all") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  StoreOptions options = Options(path);
  options.max_rejects = 3;
  {
    auto store = MustOpen(options);
    for (int i = 0; i < 5; ++i) {
      Reject r;
      r.topic = "shop/bad";
      r.received_at = At(1000 + i);
      r.reason = "reason " + std::to_string(i);
      r.raw_payload = std::string("p\0", 2) + std::to_string(i);
      r.payload_size = 100 + i;
      REQUIRE(store->AppendReject(r).ok());
    }
    CHECK(store->RejectTotal().value() == 5);
  }
  auto store = MustOpen(options);
  CHECK(store->RejectTotal().value() == 5);
  auto rejects = store->RecentRejects(0);
  REQUIRE(rejects.ok());
  REQUIRE(rejects.value().size() == 3);
  CHECK(rejects.value()[0].reason == "reason 4");
  CHECK(rejects.value()[0].received_at == At(1004));
  CHECK(rejects.value()[0].topic == "shop/bad");
  CHECK(rejects.value()[0].raw_payload == std::string("p\0", 2) + "4");
  CHECK(rejects.value()[0].payload_size == 104);
  CHECK(rejects.value()[2].reason == "reason 2");
  CHECK(store->RecentRejects(1).value().size() == 1);
  RawDb raw(path);
  CHECK(raw.Int("SELECT COUNT(*) FROM rejects") == 3);
}

TEST_CASE("OpenReadOnly on a missing file is kNotFound and creates nothing") {
  TempDir dir;
  const std::string path = dir.File("missing.db");
  auto store = SqliteStore::OpenReadOnly(path);
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().kind == ErrorKind::kNotFound);
  CHECK(store.error().message.find(path) != std::string::npos);
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("OpenForWriting in a missing directory fails") {
  TempDir dir;
  auto store = SqliteStore::OpenForWriting(Options(dir.File("no/such/dir/ft.db")), Rules{});
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().kind == ErrorKind::kIo);
}

TEST_CASE("a file that is not a SQLite database is kCorrupt and left untouched") {
  TempDir dir;
  const std::string path = dir.File("hello.db");
  {
    std::ofstream out(path, std::ios::binary);
    out << "hello";
  }
  auto writer = SqliteStore::OpenForWriting(Options(path), Rules{});
  REQUIRE_FALSE(writer.ok());
  CHECK(writer.error().kind == ErrorKind::kCorrupt);
  CHECK(writer.error().message.find(path) != std::string::npos);
  auto reader = SqliteStore::OpenReadOnly(path);
  REQUIRE_FALSE(reader.ok());
  CHECK(reader.error().kind == ErrorKind::kCorrupt);
  CHECK(ReadBytes(path) == "hello");
  CHECK_FALSE(fs::exists(path + "-wal"));
}

TEST_CASE("a foreign SQLite database is kCorrupt and left untouched") {
  TempDir dir;
  const std::string path = dir.File("foreign.db");
  {
    RawDb raw(path);
    REQUIRE(raw.Exec("CREATE TABLE stuff(x); INSERT INTO stuff VALUES (1);") == SQLITE_OK);
  }
  const std::string bytes = ReadBytes(path);
  auto writer = SqliteStore::OpenForWriting(Options(path), Rules{});
  REQUIRE_FALSE(writer.ok());
  CHECK(writer.error().kind == ErrorKind::kCorrupt);
  CHECK(writer.error().message.find(path) != std::string::npos);
  auto reader = SqliteStore::OpenReadOnly(path);
  REQUIRE_FALSE(reader.ok());
  CHECK(reader.error().kind == ErrorKind::kCorrupt);
  CHECK(ReadBytes(path) == bytes);
  RawDb raw(path);
  CHECK(raw.Text("PRAGMA journal_mode") == "delete");
}

TEST_CASE("a store with a newer schema version is kCorrupt and left untouched") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  {
    auto store = MustOpen(Options(path));
    MustAppend(*store, Event("a", "O-1", "confirmed", 1000));
  }
  {
    RawDb raw(path);
    const std::string newer =
        "PRAGMA user_version = " + std::to_string(sqlite::kStoreSchemaVersion + 1);
    REQUIRE(raw.Exec(newer.c_str()) == SQLITE_OK);
  }
  const std::string bytes = ReadBytes(path);
  auto writer = SqliteStore::OpenForWriting(Options(path), Rules{});
  REQUIRE_FALSE(writer.ok());
  CHECK(writer.error().kind == ErrorKind::kCorrupt);
  auto reader = SqliteStore::OpenReadOnly(path);
  REQUIRE_FALSE(reader.ok());
  CHECK(reader.error().kind == ErrorKind::kCorrupt);
  CHECK(ReadBytes(path) == bytes);
}

TEST_CASE("an open read transaction does not block Append (WAL)") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  StoreOptions options = Options(path);
  options.busy_timeout_ms = 100;
  auto store = MustOpen(options);
  MustAppend(*store, Event("a", "O-1", "confirmed", 1000));

  RawDb reader(path, SQLITE_OPEN_READONLY);
  REQUIRE(reader.Exec("BEGIN") == SQLITE_OK);
  CHECK(reader.Int("SELECT COUNT(*) FROM events") == 1);  // read transaction now holds a snapshot

  MustAppend(*store, Event("b", "O-1", "printed", 2000));
  MustAppend(*store, Event("c", "O-2", "confirmed", 2000));
  CHECK(reader.Int("SELECT COUNT(*) FROM events") == 1);  // still its snapshot
  REQUIRE(reader.Exec("COMMIT") == SQLITE_OK);
  CHECK(reader.Int("SELECT COUNT(*) FROM events") == 3);
}

TEST_CASE("a writer lock held elsewhere makes Append kBusy; a retry after release succeeds") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  StoreOptions options = Options(path);
  options.busy_timeout_ms = 100;
  auto store = MustOpen(options);

  RawDb other(path);
  REQUIRE(other.Exec("BEGIN IMMEDIATE") == SQLITE_OK);
  StageEvent e = Event("a", "O-1", "confirmed", 1000);
  auto busy = store->Append(e);
  REQUIRE_FALSE(busy.ok());
  CHECK(busy.error().kind == ErrorKind::kBusy);
  Reject reject;
  reject.topic = "t";
  auto busy_reject = store->AppendReject(reject);
  REQUIRE_FALSE(busy_reject.ok());
  CHECK(busy_reject.error().kind == ErrorKind::kBusy);
  REQUIRE(other.Exec("COMMIT") == SQLITE_OK);

  MustAppend(*store, e);
  MustAppend(*store, e, AppendStatus::kDuplicate);
  CHECK(store->EventCount().value() == 1);
  CHECK(store->FindOrder("O-1").value().event_count == 1);
  REQUIRE(store->AppendReject(reject).ok());
  CHECK(store->RejectTotal().value() == 1);
  CHECK(other.Int("SELECT COUNT(*) FROM events") == 1);
}

TEST_CASE("a failure after the event insert rolls the whole append back; a retry works") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  auto store = MustOpen(Options(path));
  MustAppend(*store, Event("a", "O-1", "confirmed", 1000));
  RawDb other(path);
  REQUIRE(other.Exec("CREATE TRIGGER fail_summary BEFORE UPDATE ON orders "
                     "BEGIN SELECT RAISE(ABORT, 'injected'); END") == SQLITE_OK);

  StageEvent e = Event("b", "O-1", "shipped", 2000);
  auto failed = store->Append(e);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().message.find("injected") != std::string::npos);
  CHECK(store->EventCount().value() == 1);  // the event insert was rolled back with it
  CHECK_FALSE(store->FindOrder("O-1").value().shipped_at.has_value());

  REQUIRE(other.Exec("DROP TRIGGER fail_summary") == SQLITE_OK);
  MustAppend(*store, e);
  CHECK(store->EventCount().value() == 2);
  CHECK(store->FindOrder("O-1").value().shipped_at == At(2000));
}

TEST_CASE("a read-only store queries while a writer is open and sees its commits") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  auto writer = MustOpen(Options(path));
  MustAppend(*writer, Event("a", "O-1", "confirmed", 1000));

  auto reader = MustOpenReadOnly(path);
  CHECK(reader->EventCount().value() == 1);
  CHECK(reader->FindOrder("O-1").value().current_stage == "confirmed");

  MustAppend(*writer, Event("b", "O-1", "shipped", 2000));
  CHECK(reader->EventCount().value() == 2);
  CHECK(reader->FindOrder("O-1").value().shipped_at == At(2000));
  CHECK(reader->OrderEvents("O-1").value().size() == 2);
  CHECK(reader->ListOrders({}).value().size() == 1);
  CHECK(CollectOrdersForKpi(*reader, Window{}).value().size() == 1);
  CHECK(reader->MaterialInWindow(Window{}).ok());
  CHECK(reader->RecentRejects(10).value().empty());
  CHECK(reader->RejectTotal().value() == 0);
}

TEST_CASE("a read-only store opens after the writer has closed") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  {
    auto writer = MustOpen(Options(path));
    MustAppend(*writer, Event("a", "O-1", "confirmed", 1000));
  }
  auto reader = MustOpenReadOnly(path);
  CHECK(reader->EventCount().value() == 1);
}

}  // namespace
}  // namespace floortrack
