// Schema migrations and summary versions, on real files: the schema-1
// database written by floortrack 0.1.0 (tests/fixtures/schema1), fresh files,
// and stage-order changes that must rebuild the order summaries.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "adapters/sqlite/schema.h"
#include "adapters/sqlite_store.h"
#include "core/due_dates.h"
#include "core/kpi.h"
#include "core/summary_rule.h"
#include "tests/store/store_fixture.h"

namespace floortrack {
namespace {

const std::string kFixture = std::string(FLOORTRACK_FIXTURES) + "/schema1/floortrack.db";

// Every schema-1 column of every order row, in key order, as text: what
// "the summaries did not change" means (later schemas add columns).
std::vector<std::string> OrderRows(const std::string& path) {
  RawDb raw(path, SQLITE_OPEN_READONLY);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(raw.get(),
                             "SELECT order_id, confirmed_ms, shipped_ms, current_stage, "
                             "current_stage_ms, last_received_ms, event_count, value, currency, "
                             "customer_id, product, personalized, used_g, scrap_g, material_cost, "
                             "failed_before_ship, return_reasons FROM orders ORDER BY order_id",
                             -1, &stmt, nullptr) == SQLITE_OK);
  std::vector<std::string> rows;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::string row;
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      const auto* text = sqlite3_column_text(stmt, c);
      row += (text ? reinterpret_cast<const char*>(text) : "NULL") + std::string("|");
    }
    rows.push_back(row);
  }
  sqlite3_finalize(stmt);
  return rows;
}

Rules StoneSetBeforePolish() {
  Rules rules;
  rules.stages = {"confirmed", "print_started", "printed", "cast", "stone_set",
                  "polished",  "qc",            "packed",  "shipped", "returned"};
  return rules;
}

TEST_CASE("the 0.1.0 database migrates to the current schema keeping every row") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  std::filesystem::copy_file(kFixture, path);
  const auto orders_before = OrderRows(path);
  REQUIRE(orders_before.size() == 80);
  {
    RawDb raw(path);
    REQUIRE(raw.Int("PRAGMA user_version") == 1);
  }

  std::vector<StoreProgress> steps;
  StoreOptions options = Options(path);
  options.progress = [&](const StoreProgress& p) { steps.push_back(p); };
  auto store = SqliteStore::OpenForWriting(options, Rules{});
  REQUIRE_MESSAGE(store.ok(), (store.ok() ? "" : store.error().message));

  // One migration step (1 -> 2) and a rebuild of the 80 summaries, reported.
  REQUIRE(steps.size() >= 2);
  CHECK(steps.front().step.find("from schema 1 to 2") != std::string::npos);
  CHECK(Reported(steps, "rebuilt order summaries") == 80);
  CHECK(steps.back().step == "built the KPI rollups");

  CHECK(store.value()->EventCount().value() == 661);
  CHECK(store.value()->RejectTotal().value() == 20);
  CHECK(store.value()->RecentRejects(0).value().size() == 20);
  auto recorded = store.value()->RecordedRules();
  REQUIRE(recorded.ok());
  REQUIRE(recorded.value().has_value());
  CHECK(recorded.value()->stages == Rules{}.stages);
  store.value().reset();

  RawDb raw(path);
  CHECK(raw.Int("PRAGMA user_version") == sqlite::kStoreSchemaVersion);
  CHECK(raw.Int("PRAGMA application_id") == sqlite::kStoreApplicationId);
  CHECK(raw.Text("SELECT value FROM settings WHERE name = 'summary_version'") ==
        SummaryVersion(Rules{}));
  CHECK(raw.Int("PRAGMA integrity_check = 1") == 0);  // "ok" reads back as 0
  CHECK(OrderRows(path) == orders_before);
  // Schema 5's columns, filled by the rebuild from the events: the promise
  // of the first confirmed event carrying one, the production stage; no
  // corrections in a 0.1.0 history.
  CHECK(raw.Int("SELECT COUNT(*) FROM orders o WHERE promised_ms IS NOT (SELECT promised_ms FROM "
                "events e WHERE e.order_id = o.order_id AND stage = 'confirmed' AND promised_ms "
                "IS NOT NULL ORDER BY stage_ms, seq LIMIT 1)") == 0);
  CHECK(raw.Int("SELECT COUNT(*) FROM orders WHERE promised_ms IS NOT NULL") > 0);
  CHECK(raw.Int("SELECT COUNT(*) FROM orders WHERE production_stage = '' OR "
                "production_stage_ms IS NULL") == 0);
  CHECK(raw.Int("SELECT COUNT(*) FROM orders WHERE cancelled_ms IS NOT NULL OR on_hold <> 0 OR "
                "void_events <> 0") == 0);
  CHECK(raw.Int("SELECT COUNT(*) FROM events WHERE voids IS NOT NULL") == 0);
}

TEST_CASE("a second open neither migrates nor rebuilds") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  MustOpen(Options(path));
  std::vector<StoreProgress> steps;
  StoreOptions options = Options(path);
  options.progress = [&](const StoreProgress& p) { steps.push_back(p); };
  MustOpen(options);
  CHECK(steps.empty());
}

TEST_CASE("a fresh file goes through every step, reporting only its creation") {
  TempDir dir;
  std::vector<StoreProgress> steps;
  StoreOptions options = Options(dir.File("ft.db"));
  options.progress = [&](const StoreProgress& p) { steps.push_back(p); };
  MustOpen(options);
  REQUIRE(!steps.empty());
  CHECK(steps.front().step.find("creating the database") == 0);
  RawDb raw(dir.File("ft.db"));
  CHECK(raw.Int("PRAGMA user_version") == sqlite::kStoreSchemaVersion);
}

TEST_CASE("the CLI's read-only open refuses an unmigrated file and says how to migrate it") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  std::filesystem::copy_file(kFixture, path);
  const std::string bytes = ReadBytes(path);
  auto reader = SqliteStore::OpenReadOnly(path);
  REQUIRE_FALSE(reader.ok());
  CHECK(reader.error().message.find("start floortrackd once") != std::string::npos);
  CHECK(ReadBytes(path) == bytes);
}

// Two events at the same stage time: the stage order decides which is
// current. With the default order polished (4) comes before stone_set (5),
// so stone_set is current; with stone_set before polished, polished is.
TEST_CASE("a new stage order rebuilds the summaries at the next open") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  {
    auto store = MustOpen(Options(path));
    MustAppend(*store, Event("a", "O-1", "confirmed", 1000));
    MustAppend(*store, Event("b", "O-1", "polished", 5000));
    MustAppend(*store, Event("c", "O-1", "stone_set", 5000));
    CHECK(store->FindOrder("O-1").value().current_stage == "stone_set");
  }
  std::vector<StoreProgress> steps;
  StoreOptions options = Options(path);
  options.progress = [&](const StoreProgress& p) { steps.push_back(p); };
  auto store = SqliteStore::OpenForWriting(options, StoneSetBeforePolish());
  REQUIRE(store.ok());
  CHECK(store.value()->FindOrder("O-1").value().current_stage == "polished");
  REQUIRE(!steps.empty());
  CHECK(Reported(steps, "rebuilt order summaries") >= 0);
  // The reader sorts timelines by the recorded order, with no rules given.
  auto reader = MustOpenReadOnly(path);
  auto timeline = reader->OrderEvents("O-1").value();
  REQUIRE(timeline.size() == 3);
  CHECK(timeline[1].stage == "stone_set");
  CHECK(timeline[2].stage == "polished");
}

TEST_CASE("SetRules with a new stage order rebuilds before the next append") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  MustAppend(*store, Event("a", "O-1", "confirmed", 1000));
  MustAppend(*store, Event("b", "O-1", "polished", 5000));
  MustAppend(*store, Event("c", "O-1", "stone_set", 5000));
  store->SetRules(StoneSetBeforePolish());
  MustAppend(*store, Event("d", "O-2", "confirmed", 1000));
  CHECK(store->FindOrder("O-1").value().current_stage == "polished");
  auto recorded = store->RecordedRules().value();
  REQUIRE(recorded.has_value());
  CHECK(recorded->stages == StoneSetBeforePolish().stages);
}

TEST_CASE("a rules change that leaves the stage order alone rebuilds nothing") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  {
    auto store = MustOpen(Options(path));
    MustAppend(*store, Event("a", "O-1", "confirmed", 1000));
  }
  Rules priced;
  priced.material_cost_per_g["silver"] = 2.0;
  std::vector<StoreProgress> steps;
  StoreOptions options = Options(path);
  options.progress = [&](const StoreProgress& p) { steps.push_back(p); };
  auto store = SqliteStore::OpenForWriting(options, priced);
  REQUIRE(store.ok());
  CHECK(steps.empty());
  CHECK(store.value()->RecordedRules().value()->material_cost_per_g.at("silver") == 2.0);
}

}  // namespace
}  // namespace floortrack

namespace floortrack {
namespace {

const std::string kSchema4Fixture = std::string(FLOORTRACK_FIXTURES) + "/schema4/floortrack.db";

TimePoint Utc(const char* text) { return *ParseRfc3339(text); }

TEST_CASE("a schema-4 database (the previous release) migrates to 5 and rebuilds its summaries") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  std::filesystem::copy_file(kSchema4Fixture, path);
  {
    RawDb raw(path);
    REQUIRE(raw.Int("PRAGMA user_version") == 4);
  }
  std::vector<StoreProgress> steps;
  StoreOptions options = Options(path);
  options.progress = [&](const StoreProgress& p) { steps.push_back(p); };
  Rules rules;
  rules.default_promise_days = 3;
  auto opened = SqliteStore::OpenForWriting(options, rules);
  REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? "" : opened.error().message));
  SqliteStore& store = *opened.value();
  REQUIRE(steps.size() >= 2);
  CHECK(steps.front().step.find("from schema 4 to 5") != std::string::npos);
  CHECK(Reported(steps, "rebuilt order summaries") == 3);
  CHECK(steps.back().step == "built the KPI rollups");
  CHECK(store.EventCount().value() == 12);

  // The promise of the first confirmed carrying one (not the second's).
  const OrderSummary p1 = store.FindOrder("P1").value();
  REQUIRE(p1.promised_at);
  CHECK(*p1.promised_at == Utc("2026-10-05T17:00:00Z"));
  CHECK(p1.production_stage == "shipped");
  CHECK(p1.failed_before_ship);
  const OrderSummary p2 = store.FindOrder("P2").value();
  CHECK_FALSE(p2.promised_at);
  CHECK(p2.production_stage == "qc");
  CHECK(*p2.production_stage_at == Utc("2026-10-05T08:00:00Z"));
  const OrderSummary p3 = store.FindOrder("P3").value();
  CHECK(*p3.promised_at == Utc("2026-10-06T08:00:00Z"));
  CHECK(p3.production_stage == "cast");

  // P1 shipped by its promise; P2 late by its default promise (10-02 + 3 d).
  const KpiReport kpi = ComputeKpis({p1, p2, p3}, {}, rules, Window{});
  CHECK(kpi.on_time_pct == 100.0);
  const TimePoint now = Utc("2026-10-05T12:00:00Z");
  RemainingAccumulator remaining(rules, now);
  REQUIRE(
      store.VisitShippedTimelines(Window{now - kRemainingWindow, now},
                                  [&](std::vector<StageEvent> t) { remaining.Add(std::move(t)); }));
  auto open = store.ListOrders(OrderFilter{true, std::nullopt, 0});
  REQUIRE(open.ok());
  const LateReport late = ComputeLate(open.value(), remaining.Finish(), rules, now);
  REQUIRE(late.late.size() == 1);
  CHECK(late.late[0].order_id == "P2");
  CHECK(late.late[0].promise_is_default);
  CHECK(late.late[0].overdue_hours == 4);
  CHECK(late.at_risk.empty());                    // P3 is in cast, which P1 never went through
  CHECK(late.remaining.at("qc").p50_hours == 7);  // last entry 10-04 08:00 -> 15:00
  CHECK(late.remaining.at("polished").p50_hours == 27);
}

}  // namespace
}  // namespace floortrack

namespace floortrack {
namespace {

const std::string kSchema5Fixture = std::string(FLOORTRACK_FIXTURES) + "/schema5/floortrack.db";

TEST_CASE("a schema-5 database migrates through 6; extra kinds append after") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  std::filesystem::copy_file(kSchema5Fixture, path);
  {
    RawDb raw(path);
    REQUIRE(raw.Int("PRAGMA user_version") == 5);
  }
  std::vector<StoreProgress> steps;
  StoreOptions options = Options(path);
  options.progress = [&](const StoreProgress& p) { steps.push_back(p); };
  Rules rules;
  auto opened = SqliteStore::OpenForWriting(options, rules);
  REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? "" : opened.error().message));
  SqliteStore& store = *opened.value();
  REQUIRE(steps.size() >= 2);
  CHECK(steps.front().step.find("from schema 5 to 6") != std::string::npos);
  CHECK(Reported(steps, "rebuilt order summaries") == 3);
  CHECK(steps.back().step == "built the KPI rollups");
  CHECK(store.EventCount().value() == 8);
  {
    RawDb raw(path);
    CHECK(raw.Int("PRAGMA user_version") == sqlite::kStoreSchemaVersion);
  }

  // Rebuilt under summary logic 3: first packed and the design submission
  // (the confirmation) are filled; items were never stored: nullopt (1).
  const OrderSummary q1 = store.FindOrder("Q1").value();
  CHECK(*q1.packed_at == Utc("2026-10-03T08:00:00Z"));
  CHECK(*q1.submitted_at == Utc("2026-10-01T08:00:00Z"));
  CHECK_FALSE(q1.items.has_value());
  CHECK_FALSE(q1.engaged);

  // After the migration the new kinds append: a review and a feedback for
  // Q1, a shift for ann (no order).
  StageEvent review = Event("q1-r", "Q1", "review", ToEpochMs(Utc("2026-10-04T09:00:00Z")));
  MustAppend(store, review);
  StageEvent feedback = Event("q1-f", "Q1", "feedback", ToEpochMs(Utc("2026-10-04T10:00:00Z")));
  feedback.score = 9;
  MustAppend(store, feedback);
  StageEvent shift = Event("ann-1", "", "shift_start", ToEpochMs(Utc("2026-10-03T06:00:00Z")));
  shift.operator_name = "ann";
  MustAppend(store, shift);
  CHECK(store.FindOrder("").error().kind == ErrorKind::kNotFound);  // no order for a shift
  CHECK(store.FindOrder("Q1").value().engaged);
  CHECK(store.FindOrder("Q1").value().production_stage == "shipped");

  // KPIs over October: production hours (Q1 48 h, Q2 24 h, items 1 each:
  // 36 h), engagement 1 of 1 shipped, csi 9 from one response.
  const Window october{Utc("2026-10-01T00:00:00Z"), Utc("2026-11-01T00:00:00Z")};
  KpiAccumulator acc(rules, october);
  REQUIRE(store.VisitOrdersForKpi(october, [&](const OrderSummary& o) { acc.Add(o); }));
  auto activity = store.ActivityInWindow(october, Utc("2026-10-03T08:00:00Z"));
  REQUIRE(activity.ok());
  const KpiReport r = acc.Finish({}, activity.value());
  CHECK(*r.production_hours == doctest::Approx(36));
  CHECK(*r.engagement_pct == doctest::Approx(100));
  CHECK(*r.csi == doctest::Approx(9));
  CHECK(r.csi_responses == 1);
  // ann's open shift: 06:00 to now (08:00).
  CHECK(r.labor.by_operator.at("ann").staff_hours == doctest::Approx(2));
  // c1 first ordered 10-01: no customer before October; from 10-04 on, c1
  // is at the start and ordered again (Q2, Q3).
  CHECK_FALSE(r.retention_pct.has_value());
  const Window later{Utc("2026-10-04T00:00:00Z"), std::nullopt};
  auto later_activity = store.ActivityInWindow(later, Utc("2026-10-08T00:00:00Z"));
  REQUIRE(later_activity.ok());
  CHECK(*Retention(later_activity.value(), later).pct == doctest::Approx(100));
}

}  // namespace
}  // namespace floortrack
