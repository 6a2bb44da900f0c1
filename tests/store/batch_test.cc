// Batches (a resin build plate, a casting tree) and device readings in the
// SQLite store, on real files, with hand-computed material shares.
#include <doctest/doctest.h>

#include <string>

#include "adapters/sqlite_store.h"
#include "tests/store/store_fixture.h"

namespace floortrack {
namespace {

StageEvent BatchEvent(const std::string& key, const std::string& batch, const std::string& stage,
                      std::int64_t ms) {
  StageEvent e = Event(key, "", stage, ms);
  e.batch_id = batch;
  return e;
}

double Used(SqliteStore& store, const std::string& order) {
  return store.FindOrder(order).value().material_used_g;
}

TEST_CASE("a plate's orders get its stage; a tree's metal is shared by weight") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  // Plate of three orders, printed with 30 g of resin, no weights: 10 g each.
  StageEvent plate = BatchEvent("plate-1-printed", "PLATE-1", "printed", 1000);
  plate.batch_orders = {{"A1", std::nullopt}, {"A2", std::nullopt}, {"A3", std::nullopt}};
  plate.material = Material{"castable-resin", 30, 3, 0};
  MustAppend(*store, plate);
  for (const char* o : {"A1", "A2", "A3"}) {
    CHECK(store->FindOrder(o).value().current_stage == "printed");
    CHECK(Used(*store, o) == doctest::Approx(10.0));
  }
  // Tree: A1 2 g, A2 6 g of wax (and A3 not on it). 80 g silver melted, 20 g
  // sprue and button of which 18 g recovered: A1 a quarter, A2 three quarters.
  StageEvent tree = BatchEvent("tree-7-members", "TREE-7", "cast", 5000);
  tree.batch_orders = {{"A1", 2.0}, {"A2", 6.0}};
  tree.material = Material{"silver-925", 80, 20, 18};
  MustAppend(*store, tree);
  CHECK(Used(*store, "A1") == doctest::Approx(10.0 + 20.0));
  CHECK(Used(*store, "A2") == doctest::Approx(10.0 + 60.0));
  CHECK(Used(*store, "A3") == doctest::Approx(10.0));
  CHECK(store->FindOrder("A3").value().current_stage == "printed");
  auto a2 = store->OrderEvents("A2").value();
  REQUIRE(a2.size() == 2);
  CHECK(a2[1].batch_id == "TREE-7");
  CHECK(a2[1].material->recovered_g == doctest::Approx(13.5));
  // The tree is polished as a whole later: an event of the batch without
  // orders reaches every member.
  MustAppend(*store, BatchEvent("tree-7-polished", "TREE-7", "polished", 9000));
  CHECK(store->FindOrder("A1").value().current_stage == "polished");
  CHECK(store->FindOrder("A2").value().current_stage == "polished");
  CHECK(store->FindOrder("A3").value().current_stage == "printed");
  // A redelivery of a batch event is one event, for every member.
  MustAppend(*store, BatchEvent("tree-7-polished", "TREE-7", "polished", 9000),
             AppendStatus::kDuplicate);
  CHECK(store->EventCount().value() == 3 + 2 + 2);
  auto refs = store->Lookup("TREE-7").value();
  CHECK(refs.batch_members == 2);
  CHECK_FALSE(refs.order_known);
  CHECK(store->Lookup("A3").value().order_known);
}

TEST_CASE("a device reading's events and state are stored together, or not at all") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  CHECK(store->DeviceState("octoprint:octo-1").value().empty());
  std::vector<std::pair<StageEvent, EventIdentity>> reading = {
      {Event("octo:1:started/A1", "A1", "print_started", 1000), EventIdentity{}}};
  auto r = store->AppendReading(reading, "octoprint:octo-1", std::string("{\"job\":1}"));
  REQUIRE(r.ok());
  CHECK(store->DeviceState("octoprint:octo-1").value() == "{\"job\":1}");
  // A reading with no event still saves its state (a progress message that
  // changes what the device knows).
  REQUIRE(store->AppendReading({}, "octoprint:octo-1", std::string("{\"job\":2}")).ok());
  CHECK(store->DeviceState("octoprint:octo-1").value() == "{\"job\":2}");
}

}  // namespace
}  // namespace floortrack
