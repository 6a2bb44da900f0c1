// Ingest's device path end to end over a real SQLite file: a [[source]]
// routes topics to a format (a small fake one here; the real formats have
// their own fixture tests), job names give orders and plates, scanned codes
// resolve to orders or batches, and the device state is kept.
#include <doctest/doctest.h>

#include <string>

#include "adapters/event_key.h"
#include "adapters/json_payload_decoder.h"
#include "adapters/sqlite_store.h"
#include "core/ingest.h"
#include "tests/store/store_fixture.h"

namespace floortrack {
namespace {

class FixedClock final : public Clock {
 public:
  TimePoint Now() const override { return now; }
  TimePoint now = FromEpochMs(1'795'421'700'000);
};

// "start <job>", "done <job>", "scan <code>", "tick": a printer that counts
// its jobs in its state, and a scanner.
class FakeFormat final : public DeviceFormat {
 public:
  std::string_view name() const override { return "fake"; }
  Result<DeviceOutput> Decode(const DeviceReading& r) const noexcept override {
    const std::string p(r.payload);
    DeviceOutput out;
    const int jobs = r.state.empty() ? 0 : std::stoi(std::string(r.state));
    if (p == "tick") return out;
    DeviceEvent e;
    if (p.rfind("start ", 0) == 0) {
      out.state = std::to_string(jobs + 1);
      e.job = p.substr(6);
      e.fields.stage = "print_started";
      e.fields.event_id = "fake:" + r.station + ":" + std::to_string(jobs + 1) + ":start";
    } else if (p.rfind("done ", 0) == 0) {
      e.job = p.substr(5);
      e.fields.stage = "printed";
      e.fields.result = "pass";
      e.fields.event_id = "fake:" + r.station + ":" + std::to_string(jobs) + ":done";
      e.fields.material = MaterialFields{"castable-resin", 30.0, 0.0, std::nullopt};
    } else if (p.rfind("scan ", 0) == 0) {
      e.code = p.substr(5);
      e.fields.stage = r.source->stage;
    } else {
      return MakeError(ErrorKind::kInvalid, "fake: cannot read '" + p + "'");
    }
    out.events.push_back(std::move(e));
    return out;
  }
};

const DeviceFormat* Lookup(std::string_view name) {
  static const FakeFormat fake;
  return name == "octoprint" || name == "scan" ? &fake : nullptr;
}

struct Shop {
  explicit Shop(const std::string& path) : store(MustOpen(Options(path))) {
    Rules rules;
    Source printer;
    printer.topics = {"printers/+/event"};
    printer.format = "octoprint";
    printer.station = "{2}";
    printer.orders_from_job = "A[0-9]{4,}";
    printer.batch_from_job = "PLATE-[0-9]+";
    Source bench;
    bench.topics = {"floor/+/scan"};
    bench.format = "scan";
    bench.stage = "polished";
    bench.station = "{2}";
    rules.sources = {printer, bench};
    ingest = std::make_unique<Ingest>(decoder, *store, clock, &DeriveEventKey, rules);
    ingest->SetDeviceFormats(&Lookup);
  }
  IngestStatus Send(const std::string& topic, const std::string& payload, std::uint64_t seq) {
    auto r = ingest->OnMessage(topic, payload, DeliveryMark{1, seq});
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    return r.value().status;
  }
  JsonPayloadDecoder decoder;
  FixedClock clock;
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<Ingest> ingest;
};

TEST_CASE("a plate printed by a device: every order on it gets the stage and a share") {
  TempDir dir;
  Shop shop(dir.File("ft.db"));
  CHECK(shop.Send("printers/p1/event", "start PLATE-3_A10001_A10002_A10003.gcode", 1) ==
        IngestStatus::kStored);
  CHECK(shop.Send("printers/p1/event", "tick", 2) == IngestStatus::kDuplicate);  // nothing new
  CHECK(shop.Send("printers/p1/event", "done PLATE-3_A10001_A10002_A10003.gcode", 3) ==
        IngestStatus::kStored);
  for (const char* o : {"A10001", "A10002", "A10003"}) {
    const OrderSummary s = shop.store->FindOrder(o).value();
    CHECK(s.current_stage == "printed");
    CHECK(s.material_used_g == doctest::Approx(10.0));
  }
  auto plate = shop.store->FindBatch("PLATE-3").value();
  CHECK(plate.members.size() == 3);
  REQUIRE(plate.events.size() == 2);
  CHECK(plate.events[1].material->used_g == doctest::Approx(30.0));
  CHECK(shop.store->DeviceState("octoprint:p1").value() == "1");
  // The broker redelivers the last message after a reconnect: one event still.
  CHECK(shop.store->EventCount().value() == 6);
  auto again = shop.ingest->OnMessage("printers/p1/event",
                                      "done PLATE-3_A10001_A10002_A10003.gcode", DeliveryMark{2, 1});
  REQUIRE(again.ok());
  CHECK(shop.store->EventCount().value() == 6);
}

TEST_CASE("scans resolve to an order or a batch; an unknown code is a reject") {
  TempDir dir;
  Shop shop(dir.File("ft.db"));
  shop.Send("printers/p1/event", "start PLATE-9_A20001_A20002.gcode", 1);
  CHECK(shop.Send("floor/bench-2/scan", "scan A20001", 2) == IngestStatus::kStored);
  CHECK(shop.store->FindOrder("A20001").value().current_stage == "polished");
  CHECK(shop.store->FindOrder("A20002").value().current_stage == "print_started");
  CHECK(shop.Send("floor/bench-2/scan", "scan PLATE-9", 3) == IngestStatus::kStored);
  CHECK(shop.store->FindOrder("A20002").value().current_stage == "polished");
  CHECK(shop.Send("floor/bench-2/scan", "scan A9999X", 4) == IngestStatus::kRejected);
  auto rejects = shop.store->RecentRejects(1).value();
  REQUIRE(rejects.size() == 1);
  CHECK(rejects[0].reason == "unknown order or batch 'A9999X'");
  CHECK_FALSE(shop.store->FindOrder("A9999X").ok());  // no phantom order
}

TEST_CASE("a job name that names no order is a reject naming the job") {
  TempDir dir;
  Shop shop(dir.File("ft.db"));
  CHECK(shop.Send("printers/p1/event", "start calibration-cube.gcode", 1) ==
        IngestStatus::kRejected);
  // What the message told about the printer is kept: its job counter moved.
  CHECK(shop.store->DeviceState("octoprint:p1").value() == "1");
  CHECK(shop.store->RecentRejects(1).value()[0].reason.find("calibration-cube.gcode") !=
        std::string::npos);
  CHECK(shop.Send("printers/p1/event", "garbage", 2) == IngestStatus::kRejected);
  CHECK(shop.store->RecentRejects(1).value()[0].reason == "fake: cannot read 'garbage'");
}

}  // namespace
}  // namespace floortrack
