// ActivityInWindow on a real SQLite file: the event-level inputs of
// retention_pct, csi and labor_pieces_per_hour (core/shop_kpis.h), with the
// window, voids, batch events and items as the store records them.
#include <doctest/doctest.h>

#include <string>

#include "adapters/sqlite_store.h"
#include "core/kpi.h"
#include "tests/store/store_fixture.h"

namespace floortrack {
namespace {

constexpr std::int64_t kT = 1'790'000'000'000;
constexpr std::int64_t kH = 3'600'000;

StageEvent By(StageEvent e, const std::string& op) {
  e.operator_name = op;
  return e;
}

TEST_CASE("ActivityInWindow: customers, feedback, shifts and pieces, voids left out") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  // Customers: c1 orders at 0 h and 30 h, c2 at 1 h only, c3 at 25 h.
  StageEvent a = Event("a-c", "A", "confirmed", kT);
  a.customer_id = "c1";
  a.items = 3;
  MustAppend(*store, a);
  StageEvent b = Event("b-c", "B", "confirmed", kT + 1 * kH);
  b.customer_id = "c2";
  MustAppend(*store, b);
  StageEvent c = Event("c-c", "C", "confirmed", kT + 25 * kH);
  c.customer_id = "c3";
  MustAppend(*store, c);
  StageEvent d = Event("d-c", "D", "confirmed", kT + 30 * kH);
  d.customer_id = "c1";
  MustAppend(*store, d);

  // Work in [24 h, 48 h): ann polishes A (3 items) and C (1); a failed qc of
  // A; bob prints D, then that event is voided. Before the window: ann's
  // printed A at 2 h.
  MustAppend(*store, By(Event("a-p", "A", "printed", kT + 2 * kH), "ann"));
  MustAppend(*store, By(Event("a-o", "A", "polished", kT + 26 * kH), "ann"));
  MustAppend(*store, By(Event("c-o", "C", "polished", kT + 27 * kH), "ann"));
  StageEvent qc = By(Event("a-q", "A", "qc", kT + 28 * kH), "ann");
  qc.result = StageResult::kFail;
  MustAppend(*store, qc);
  MustAppend(*store, By(Event("d-p", "D", "printed", kT + 31 * kH), "bob"));
  StageEvent v = Event("d-v", "D", "void", kT + 32 * kH);
  v.voids = "d-p";
  MustAppend(*store, v);

  // Feedback: 8 at 26 h and 6 at 40 h in the window, 2 at 5 h outside.
  for (auto [key, h, score] : {std::tuple{"f1", 26, 8.0}, {"f2", 40, 6.0}, {"f3", 5, 2.0}}) {
    StageEvent f = Event(key, "A", "feedback", kT + h * kH);
    f.score = score;
    MustAppend(*store, f);
  }
  // Shifts: ann 20 h - 30 h (clipped to 24-30: 6 h), bob 31 h - open.
  MustAppend(*store, By(Event("s1", "", "shift_start", kT + 20 * kH), "ann"));
  MustAppend(*store, By(Event("s2", "", "shift_end", kT + 30 * kH), "ann"));
  MustAppend(*store, By(Event("s3", "", "shift_start", kT + 31 * kH), "bob"));

  const Window w{At(kT + 24 * kH), At(kT + 48 * kH)};
  auto got = store->ActivityInWindow(w, At(kT + 35 * kH));
  REQUIRE(got.ok());
  const ActivityTotals& act = got.value();
  CHECK(act.responses == 2);
  CHECK(act.score_micros == 14'000'000);
  CHECK(act.shifts.size() == 3);

  Rules rules;
  const RetentionFigures ret = Retention(act, w);
  CHECK(ret.at_start == 2);   // c1, c2
  CHECK(ret.returning == 1);  // c1
  const LaborFigures labor = Labor(act, rules, w);
  CHECK(labor.by_operator.at("ann").pieces == doctest::Approx(4));  // 3 + 1; the fail not
  CHECK(labor.by_operator.at("ann").staff_hours == doctest::Approx(6));
  CHECK(labor.by_operator.at("bob").pieces == doctest::Approx(0));       // voided
  CHECK(labor.by_operator.at("bob").staff_hours == doctest::Approx(4));  // 31 h - now 35 h
  CHECK(*labor.pieces_per_hour == doctest::Approx(4.0 / 10));

  // The whole KPI report agrees (csi 7 from 2 responses).
  KpiAccumulator acc(rules, w);
  REQUIRE(store->VisitOrdersForKpi(w, [&](const OrderSummary& o) { acc.Add(o); }));
  const KpiReport r = acc.Finish({}, act);
  CHECK(*r.csi == doctest::Approx(7));
  CHECK(*r.retention_pct == doctest::Approx(50));
}

TEST_CASE("a design stage apart from the confirmation is found by the KPI query") {
  TempDir dir;
  Rules rules;
  rules.extra_kinds.push_back("design_submitted");
  rules.design_submitted_stage = "design_submitted";
  auto opened = SqliteStore::OpenForWriting(Options(dir.File("ft.db")), rules);
  REQUIRE(opened.ok());
  SqliteStore& store = *opened.value();
  // E: confirmed at 1 h, shipped at 5 h (both before the window), design
  // submitted at 10 h: only the fifth arm of the KPI query finds it.
  // F: design at 11 h, never confirmed. G: design at 2 h (outside).
  MustAppend(store, Event("e-c", "E", "confirmed", kT + 1 * kH));
  MustAppend(store, Event("e-s", "E", "shipped", kT + 5 * kH));
  MustAppend(store, Event("e-d", "E", "design_submitted", kT + 10 * kH));
  MustAppend(store, Event("f-d", "F", "design_submitted", kT + 11 * kH));
  MustAppend(store, Event("g-d", "G", "design_submitted", kT + 2 * kH));
  const Window w{At(kT + 9 * kH), At(kT + 20 * kH)};
  KpiAccumulator acc(rules, w);
  REQUIRE(store.VisitOrdersForKpi(w, [&](const OrderSummary& o) { acc.Add(o); }));
  const KpiReport r = acc.Finish({});
  CHECK(r.designs_submitted == 2);  // E (shipped: converted) and F
  CHECK(*r.design_conversion_pct == doctest::Approx(50));
}

}  // namespace
}  // namespace floortrack
