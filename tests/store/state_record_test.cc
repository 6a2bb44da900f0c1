// StateRecord on a real file, beside a writing event store: the subscribed
// filters and the rules survive a reopen.
#include "adapters/sqlite/state_record.h"

#include <doctest/doctest.h>

#include "tests/store/store_fixture.h"

namespace floortrack {
namespace {

TEST_CASE("subscribed filters and reloaded rules are kept across a restart") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  auto events = MustOpen(Options(path));
  {
    auto record = StateRecord::Open(path, 1000);
    REQUIRE(record.ok());
    CHECK(record.value()->Load().value().empty());
    REQUIRE(record.value()->Save({"floor/#", "octoPrint/#"}).ok());
    MustAppend(*events, Event("a", "O-1", "confirmed", 1000));  // the other connection writes too
    Rules reloaded;
    reloaded.kpi_currency = "EUR";
    REQUIRE(record.value()->RecordRules(reloaded).ok());
  }
  auto record = StateRecord::Open(path, 1000);
  REQUIRE(record.ok());
  CHECK(record.value()->Load().value() == std::vector<std::string>{"floor/#", "octoPrint/#"});
  CHECK(events->RecordedRules().value()->kpi_currency == "EUR");
}

TEST_CASE("a state record needs the event store to have created the file") {
  TempDir dir;
  auto record = StateRecord::Open(dir.File("ft.db"), 1000);
  CHECK_FALSE(record.ok());
}

}  // namespace
}  // namespace floortrack
