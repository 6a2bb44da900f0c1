// The KPI rollups (schema 7, core/kpi_rollup.h) against the full
// computation on a real SQLite file: random histories with late and
// out-of-order events, redeliveries, voids, cancellations after shipment,
// returns, several currencies, items that change, material, feedback and
// operators; windows ending anywhere in a day; a rules change and a reopen.
// Every figure must be equal, not close: counts, millionths, milliseconds.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "adapters/sqlite_store.h"
#include "core/kpi.h"
#include "core/kpi_rollup.h"
#include "tests/store/store_fixture.h"

namespace floortrack {
namespace {

constexpr std::int64_t kT = 1'790'000'000'000;  // 2026-09-21
constexpr std::int64_t kH = 3'600'000;

// The inputs ReportFromSums takes, from the orders and events (the path
// every window with a start uses).
RollupKpiInputs FromRows(SqliteStore& store, const Rules& rules, const Window& window,
                         TimePoint now) {
  store.UseRollups(false);
  struct Restore {
    SqliteStore& store;
    ~Restore() { store.UseRollups(true); }
  } restore{store};
  RollupKpiInputs in;
  KpiAccumulator acc(rules, window);
  REQUIRE(store.VisitOrdersForKpi(window, [&](const OrderSummary& o) { acc.Add(o); }));
  in.sums = acc.Sums();
  in.material = store.MaterialInWindow(window).value();
  in.activity = store.ActivityInWindow(window, now).value();
  return in;
}

std::vector<std::tuple<std::string, std::string, bool, double>> Pieces(const ActivityTotals& a) {
  std::vector<std::tuple<std::string, std::string, bool, double>> out;
  for (const StagePieces& p : a.pieces) out.emplace_back(p.operator_name, p.stage, p.failed, p.items);
  std::sort(out.begin(), out.end());
  return out;
}

void CheckSame(RollupKpiInputs rows, RollupKpiInputs rolled) {
  CHECK(rows.sums.counts == rolled.sums.counts);
  const auto money = [](const KpiSums& s) {
    std::map<std::string, MoneyCounts> m;
    for (const auto& [code, c] : s.money)
      if (!c.IsZero()) m[code] = c;
    return m;
  };
  CHECK(money(rows.sums) == money(rolled.sums));
  std::sort(rows.sums.turnaround_ms.begin(), rows.sums.turnaround_ms.end());
  std::sort(rolled.sums.turnaround_ms.begin(), rolled.sums.turnaround_ms.end());
  CHECK(rows.sums.turnaround_ms == rolled.sums.turnaround_ms);
  CHECK(rows.sums.customers == rolled.sums.customers);
  CHECK(rows.sums.repeat_customers == rolled.sums.repeat_customers);
  CHECK(rows.material.used_g == rolled.material.used_g);
  CHECK(rows.material.scrap_g == rolled.material.scrap_g);
  CHECK(rows.material.recovered_g == rolled.material.recovered_g);
  REQUIRE(rows.material.by_type.size() == rolled.material.by_type.size());
  for (const auto& [type, m] : rows.material.by_type) {
    const MaterialSums& r = rolled.material.by_type.at(type);
    CHECK(std::tie(m.used_g, m.scrap_g, m.recovered_g, m.cost) ==
          std::tie(r.used_g, r.scrap_g, r.recovered_g, r.cost));
  }
  CHECK(rows.activity.score_micros == rolled.activity.score_micros);
  CHECK(rows.activity.responses == rolled.activity.responses);
  CHECK(Pieces(rows.activity) == Pieces(rolled.activity));
  CHECK(rows.activity.shifts.size() == rolled.activity.shifts.size());
}

// A random shop: `orders` orders over ~20 days, events in random arrival order.
std::vector<StageEvent> RandomHistory(std::mt19937& rng, int orders) {
  std::vector<StageEvent> events;
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const char* currencies[] = {"EUR", "eur", "USD", ""};
  const char* operators[] = {"ann", "bob", ""};
  const char* reasons[] = {"wrong_size", "changed_mind", "damaged"};
  for (int i = 0; i < orders; ++i) {
    const std::string id = "O" + std::to_string(i);
    std::int64_t t = kT + pick(20 * 24) * kH + pick(3'600'000);
    StageEvent c = Event(id + "-c", id, "confirmed", t);
    if (pick(4)) c.value = 10 + pick(50000) / 100.0;
    c.currency = currencies[pick(4)];
    if (pick(3)) c.customer_id = "c" + std::to_string(pick(orders / 2 + 1));
    if (pick(2)) c.personalized = pick(2) == 1;
    if (pick(3) == 0) c.items = 1 + pick(4);
    c.operator_name = operators[pick(3)];
    if (pick(3) == 0) c.promised_at = At(t + (2 + pick(6)) * 24 * kH);
    events.push_back(c);
    const char* flow[] = {"printed", "cast", "polished", "qc", "packed", "shipped"};
    const int reach = pick(8);  // how far the order got
    for (int s = 0; s < 6 && s < reach; ++s) {
      t += pick(30) * kH + pick(3'600'000);
      StageEvent e = Event(id + "-" + flow[s], id, flow[s], t);
      e.operator_name = operators[pick(3)];
      if (s == 0 || s == 1) {
        e = WithMaterial(e, 1 + pick(10000) / 1000.0, pick(1000) / 1000.0);
        e.material->type = pick(2) ? "silver" : "resin";
        e.material->recovered_g = e.material->scrap_g / 2;
      }
      if (s == 3 && pick(4) == 0) e.result = StageResult::kFail;
      events.push_back(e);
    }
    if (reach >= 6 && pick(4) == 0) {
      StageEvent r = Event(id + "-r", id, "returned", t + pick(100) * kH);
      r.reason = reasons[pick(3)];
      events.push_back(r);
    }
    if (pick(6) == 0) events.push_back(Event(id + "-x", id, "cancelled", t + (pick(40) - 20) * kH));
    if (pick(4) == 0) {
      StageEvent f = Event(id + "-f", id, "feedback", t + pick(50) * kH);
      f.score = 1 + pick(90) / 10.0;
      events.push_back(f);
    }
    if (pick(5) == 0) events.push_back(Event(id + "-w", id, "review", t + pick(50) * kH));
    if (pick(6) == 0) {
      // A void of one of the order's events (maybe the confirmation or shipment).
      const std::string target = id + "-" + (pick(2) ? "c" : flow[pick(6)]);
      StageEvent v = Event(id + "-v", id, "void", t + pick(10) * kH);
      v.voids = target;
      events.push_back(v);
    }
  }
  for (int s = 0; s < 20; ++s) {  // shifts
    StageEvent e = Event("s" + std::to_string(s), "", s % 2 ? "shift_end" : "shift_start",
                         kT + (s / 2) * 24 * kH + (s % 2) * 8 * kH);
    e.operator_name = "ann";
    events.push_back(e);
  }
  std::shuffle(events.begin(), events.end(), rng);
  // Some arrive twice.
  for (int k = 0; k < orders / 10; ++k) events.push_back(events[static_cast<std::size_t>(pick(static_cast<int>(events.size())))]);
  return events;
}

// Retention from the customer rollup against each customer's orders.
void CompareRetention(SqliteStore& store, const Window& window) {
  std::map<std::string, CustomerActivity> customers;
  REQUIRE(store.VisitOrdersForKpi(Window{}, [&](const OrderSummary& o) {
    if (o.customer_id.empty() || !o.confirmed_at || !window.Before(*o.confirmed_at)) return;
    auto [it, fresh] = customers.try_emplace(o.customer_id, CustomerActivity{*o.confirmed_at, false});
    it->second.first_order = std::min(it->second.first_order, *o.confirmed_at);
    if (window.Contains(*o.confirmed_at)) it->second.ordered_in_window = true;
  }));
  std::vector<CustomerActivity> rows;
  for (const auto& [id, c] : customers) rows.push_back(c);
  const RetentionFigures want = Retention(rows, window);
  auto activity = store.ActivityInWindow(window, At(kT));
  REQUIRE(activity.ok());
  REQUIRE(activity.value().retention_counts.has_value());
  const RetentionFigures got = Retention(activity.value(), window);
  CHECK(want.at_start == got.at_start);
  CHECK(want.returning == got.returning);
}

void CompareAt(SqliteStore& store, const Rules& rules, std::mt19937& rng) {
  const TimePoint now = At(kT + 40 * 24 * kH);
  std::vector<std::optional<TimePoint>> untils = {std::nullopt};
  for (int k = 0; k < 12; ++k)
    untils.push_back(At(kT - 2 * 24 * kH + static_cast<std::int64_t>(rng() % (40ull * 24 * kH))));
  untils.push_back(At(kT + 5 * 24 * kH));  // exactly midnight UTC + 5 days? a day boundary anyway
  untils.push_back(At(DayOf(kT + 7 * 24 * kH) * kMillisPerDay));
  for (const auto& until : untils) {
    CAPTURE(until ? ToEpochMs(*until) : -1);
    const Window window{std::nullopt, until};
    auto rolled = store.KpisFromRollups(rules, until, now);
    REQUIRE(rolled.ok());
    REQUIRE(rolled.value().has_value());
    CheckSame(FromRows(store, rules, window, now), *rolled.value());
    if (until) {
      const auto since = At(ToEpochMs(*until) - static_cast<std::int64_t>(rng() % (10ull * 24 * kH)));
      const Window windowed{since, until};
      CompareRetention(store, windowed);
      // A window with a start: material, feedback and pieces from the day
      // rollups and the partial days at both ends.
      RollupKpiInputs rolled_window;
      rolled_window.material = store.MaterialInWindow(windowed).value();
      rolled_window.activity = store.ActivityInWindow(windowed, now).value();
      RollupKpiInputs rows = FromRows(store, rules, windowed, now);
      rolled_window.sums = rows.sums;
      rolled_window.activity.retention_counts.reset();
      rows.activity.retention_counts.reset();
      CheckSame(std::move(rows), rolled_window);
    }
  }
}

TEST_CASE("KPI rollups give exactly what the orders give, for any end, after any history") {
  for (unsigned seed : {1u, 2u, 3u, 4u}) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    TempDir dir;
    const std::string path = dir.File("ft.db");
    Rules rules;
    rules.default_promise_days = 5;
    {
      auto opened = SqliteStore::OpenForWriting(Options(path), rules);
      REQUIRE(opened.ok());
      SqliteStore& store = *opened.value();
      const auto events = RandomHistory(rng, 150);
      for (std::size_t i = 0; i < events.size(); ++i) {
        REQUIRE(store.Append(events[i]).ok());
        if (i % 200 == 0) CompareAt(store, rules, rng);  // while it grows
      }
      CompareAt(store, rules, rng);
      // Another reader with other rules gets nothing from the rollups.
      Rules other = rules;
      other.accuracy_failure_reasons = {"damaged"};
      CHECK_FALSE(store.KpisFromRollups(other, std::nullopt, At(kT)).value().has_value());
    }
    // The rules the rollups depend on change: rebuilt at the next open.
    rules.accuracy_failure_reasons = {"damaged", "wrong_size"};
    rules.default_promise_days = 3;
    {
      auto opened = SqliteStore::OpenForWriting(Options(path), rules);
      REQUIRE(opened.ok());
      CompareAt(*opened.value(), rules, rng);
      // And kept from there on.
      for (const StageEvent& e : RandomHistory(rng, 40)) {
        StageEvent later = e;
        later.event_key = "late-" + e.event_key;
        later.order_id = e.order_id.empty() ? "" : "L" + e.order_id;
        if (!later.voids.empty()) later.voids = "late-" + later.voids;
        REQUIRE(opened.value()->Append(later).ok());
      }
      CompareAt(*opened.value(), rules, rng);
    }
    // A read-only reader (the CLI) with the same rules.
    auto reader = MustOpenReadOnly(path);
    CompareAt(*reader, rules, rng);
  }
}

}  // namespace
}  // namespace floortrack

namespace floortrack {
namespace {

TEST_CASE("KPI rollups: items learned from a later event, double voids, a void before its event") {
  TempDir dir;
  Rules rules;
  auto opened = SqliteStore::OpenForWriting(Options(dir.File("ft.db")), rules);
  REQUIRE(opened.ok());
  SqliteStore& store = *opened.value();
  const auto by = [](StageEvent e, const char* op) {
    e.operator_name = op;
    return e;
  };
  // A's work arrives before its confirmation, which brings items 3 (and
  // is an operator's event itself): every one counts 3.
  MustAppend(store, by(Event("a-p", "A", "printed", kT + kH), "ann"));
  MustAppend(store, by(Event("a-o", "A", "polished", kT + 2 * kH), "ann"));
  StageEvent confirmed = by(Event("a-c", "A", "confirmed", kT), "cy");
  confirmed.items = 3;
  MustAppend(store, confirmed);
  // B: its cast is voided twice, and its polish voided before it arrives.
  MustAppend(store, Event("b-c", "B", "confirmed", kT));
  MustAppend(store, WithMaterial(by(Event("b-k", "B", "cast", kT + kH), "bob"), 10, 1));
  for (const char* key : {"b-v1", "b-v2"}) {
    StageEvent v = Event(key, "B", "void", kT + 3 * kH);
    v.voids = "b-k";
    MustAppend(store, v);
  }
  StageEvent v3 = Event("b-v3", "B", "void", kT + 3 * kH);
  v3.voids = "b-o";
  MustAppend(store, v3);
  MustAppend(store, by(Event("b-o", "B", "polished", kT + 4 * kH), "bob"));

  auto rolled = store.KpisFromRollups(rules, std::nullopt, At(kT + 5 * kH));
  REQUIRE(rolled.ok());
  REQUIRE(rolled.value().has_value());
  const auto pieces = Pieces(rolled.value()->activity);
  using P = std::tuple<std::string, std::string, bool, double>;
  CHECK(pieces == std::vector<P>{P{"ann", "polished", false, 3}, P{"ann", "printed", false, 3},
                                 P{"cy", "confirmed", false, 3}});
  CHECK(rolled.value()->material.by_type.empty());
  CheckSame(FromRows(store, rules, Window{}, At(kT + 5 * kH)), *rolled.value());
}

}  // namespace
}  // namespace floortrack

namespace floortrack {
namespace {

const std::string kSchema6Fixture = std::string(FLOORTRACK_FIXTURES) + "/schema6/floortrack.db";

TEST_CASE("a schema-6 database (the previous release) migrates to 7 and builds its rollups once") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  std::filesystem::copy_file(kSchema6Fixture, path);
  std::vector<StoreProgress> steps;
  StoreOptions options = Options(path);
  options.progress = [&](const StoreProgress& p) { steps.push_back(p); };
  Rules rules;
  {
    auto opened = SqliteStore::OpenForWriting(options, rules);
    REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? "" : opened.error().message));
    SqliteStore& store = *opened.value();
    CHECK(steps.front().step.find("from schema 6 to 7") != std::string::npos);
    CHECK(Reported(steps, "building the KPI rollups") == 3);
    CHECK(steps.back().step == "built the KPI rollups");
    CHECK(store.EventCount().value() == 11);

    const TimePoint now = At(1'791'590'400'000);  // 2026-10-10T00:00:00Z
    auto rolled = store.KpisFromRollups(rules, std::nullopt, now);
    REQUIRE(rolled.ok());
    REQUIRE(rolled.value().has_value());
    RollupKpiInputs in = *rolled.value();
    CheckSame(FromRows(store, rules, Window{}, now), in);
    // By hand (make_fixture.py): 3 confirmed, 2 shipped, R3 open; R2 was
    // cancelled after it shipped, so only R1's 48 h turnaround counts; c1
    // ordered twice, c2 once; R3's print is voided: resin 10 g (1 scrap),
    // silver 20 g (2 scrap, 1 recovered); one feedback of 9; pieces at
    // R1's 2 items.
    CHECK(in.sums.counts.confirmed == 3);
    CHECK(in.sums.counts.shipped == 2);
    CHECK(in.sums.counts.open == 1);
    CHECK(in.sums.turnaround_ms == std::vector<std::int64_t>{48 * kH});
    CHECK(in.sums.customers == 2);
    CHECK(in.sums.repeat_customers == 1);
    CHECK(in.material.used_g == 30);
    CHECK(in.material.scrap_g == 3);
    CHECK(in.material.recovered_g == 1);
    CHECK(in.activity.score_micros == 9'000'000);
    CHECK(in.activity.responses == 1);
    using P = std::tuple<std::string, std::string, bool, double>;
    CHECK(Pieces(in.activity) == std::vector<P>{P{"ann", "confirmed", false, 2},
                                                P{"ann", "printed", false, 2},
                                                P{"bob", "cast", false, 2}});
    const KpiReport report = ReportFromSums(in.sums, rules, Window{}, in.material, in.activity);
    CHECK(report.money_by_currency.size() == 2);
    CHECK(*report.money_by_currency.at("EUR").aov == 75);
    CHECK(*report.repeat_customer_pct == 50);

    // Appends keep them: R3 ships.
    MustAppend(store, Event("r3-s", "R3", "shipped", ToEpochMs(now) - kH));
    rolled = store.KpisFromRollups(rules, std::nullopt, now);
    REQUIRE(rolled.ok());
    CheckSame(FromRows(store, rules, Window{}, now), *rolled.value());
    CHECK(rolled.value()->sums.counts.open == 0);
  }
  // The next start builds nothing.
  steps.clear();
  auto again = SqliteStore::OpenForWriting(options, rules);
  REQUIRE(again.ok());
  CHECK(Reported(steps, "building the KPI rollups") == -1);
}

}  // namespace
}  // namespace floortrack

namespace floortrack {
namespace {

TEST_CASE("KPI rollups: a day with more turnarounds than a chunk holds, some taken back") {
  TempDir dir;
  Rules rules;
  StoreOptions options = Options(dir.File("ft.db"));
  options.sync = StoreOptions::Sync::kNormal;
  auto opened = SqliteStore::OpenForWriting(options, rules);
  REQUIRE(opened.ok());
  SqliteStore& store = *opened.value();
  const std::int64_t day = DayOf(kT) * kMillisPerDay;
  std::mt19937 rng(11);
  for (int i = 0; i < 700; ++i) {  // all shipped on one UTC day: three chunks
    const std::string id = "D" + std::to_string(i);
    MustAppend(store, Event(id + "-c", id, "confirmed", day - (1 + i % 50) * kH));
    MustAppend(store, Event(id + "-s", id, "shipped", day + 1000 + i * 100'000));
  }
  for (int i = 0; i < 700; i += 7) {  // shipments voided (values leave early chunks) ...
    const std::string id = "D" + std::to_string(i);
    StageEvent v = Event(id + "-v", id, "void", day + 80'000'000);
    v.voids = id + "-s";
    MustAppend(store, v);
  }
  for (int i = 3; i < 700; i += 11)  // ... or cancelled after shipping (taken back)
    MustAppend(store, Event("D" + std::to_string(i) + "-x", "D" + std::to_string(i), "cancelled",
                            day + 85'000'000));
  // An earlier shipment arriving late moves a value within the day.
  MustAppend(store, Event("D5-s0", "D5", "shipped", day + 500));
  const TimePoint now = At(day + 2 * kMillisPerDay);
  for (std::optional<TimePoint> until :
       {std::optional<TimePoint>(), std::optional<TimePoint>(At(day + 40'000'000)),
        std::optional<TimePoint>(At(day + kMillisPerDay))}) {
    auto rolled = store.KpisFromRollups(rules, until, now);
    REQUIRE(rolled.ok());
    REQUIRE(rolled.value().has_value());
    CheckSame(FromRows(store, rules, Window{std::nullopt, until}, now), *rolled.value());
  }
  auto all = store.KpisFromRollups(rules, std::nullopt, now);
  // 100 voided (i % 7 == 0), 64 cancelled (i % 11 == 3), 9 of them both.
  CHECK(all.value()->sums.turnaround_ms.size() == 700 - 100 - 64 + 9);
}

}  // namespace
}  // namespace floortrack

namespace floortrack {
namespace {

TEST_CASE("KPI rollups that do not match the orders are marked stale and rebuilt; ingest goes on") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  Rules rules;
  auto opened = SqliteStore::OpenForWriting(Options(path), rules);
  REQUIRE(opened.ok());
  SqliteStore& store = *opened.value();
  MustAppend(store, Event("a-c", "A", "confirmed", kT));
  MustAppend(store, Event("a-s", "A", "shipped", kT + 30 * kH));
  // The turnaround list loses A's value behind the writer's back (a restore, an edit).
  {
    RawDb raw(path);
    REQUIRE(raw.Exec("DELETE FROM kpi_turnaround") == SQLITE_OK);
  }
  StageEvent v = Event("a-v", "A", "void", kT + 31 * kH);
  v.voids = "a-s";
  MustAppend(store, v);  // takes A's turnaround back: not there
  const TimePoint now = At(kT + 40 * kH);
  CHECK_FALSE(store.KpisFromRollups(rules, std::nullopt, now).value().has_value());
  // The next append rebuilds them first.
  MustAppend(store, Event("b-c", "B", "confirmed", kT + 32 * kH));
  auto rolled = store.KpisFromRollups(rules, std::nullopt, now);
  REQUIRE(rolled.ok());
  REQUIRE(rolled.value().has_value());
  CheckSame(FromRows(store, rules, Window{}, now), *rolled.value());
  CHECK(rolled.value()->sums.counts.confirmed == 2);
}

TEST_CASE("KPI rollups follow a summary rebuild (a new stage order)") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  std::mt19937 rng(5);
  Rules rules;
  {
    auto opened = SqliteStore::OpenForWriting(Options(path), rules);
    REQUIRE(opened.ok());
    for (const StageEvent& e : RandomHistory(rng, 60)) REQUIRE(opened.value()->Append(e).ok());
  }
  std::swap(rules.stages[3], rules.stages[4]);  // cast and polished
  std::vector<StoreProgress> steps;
  StoreOptions options = Options(path);
  options.progress = [&](const StoreProgress& p) { steps.push_back(p); };
  auto opened = SqliteStore::OpenForWriting(options, rules);
  REQUIRE(opened.ok());
  CHECK(Reported(steps, "rebuilt order summaries") > 0);
  CHECK(steps.back().step == "built the KPI rollups");
  CompareAt(*opened.value(), rules, rng);
}

}  // namespace
}  // namespace floortrack
