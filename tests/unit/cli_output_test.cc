// Unit tests for the CLI's renderings (tools/cli_output.h): the status timeline.
//
// tools/cli_output.cc is compiled into the floortrack binary only, so it is
// compiled into this test here; unit_tests links nothing else that defines it.
#include "tools/cli_output.cc"  // NOLINT(bugprone-suspicious-include)

#include <doctest/doctest.h>

#include <string>

namespace floortrack::cli {
namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// One order: a trusted event, one without ts, and one of each flagged kind.
std::vector<StageEvent> Timeline() {
  std::vector<StageEvent> events(5);
  const TimePoint received = FromEpochMs(1'795'421'700'000);  // 2026-11-23T08:15:00Z
  for (StageEvent& e : events) {
    e.order_id = "A-1";
    e.stage = "qc";
    e.received_at = received;
    e.stage_time = received;
  }
  events[0].time_source = TimeSource::kDevice;
  events[0].device_ts = events[0].stage_time = FromEpochMs(1'795'421'400'000);  // 08:10:00Z
  events[1].time_source = TimeSource::kReceivedNoTs;
  events[2].time_source = TimeSource::kReceivedBeforeEarliest;
  events[2].device_ts = FromEpochMs(946'685'100'000);  // 2000-01-01T00:05:00Z
  events[3].time_source = TimeSource::kReceivedTooOld;
  events[3].device_ts = FromEpochMs(1'672'531'200'000);  // 2023-01-01T00:00:00Z
  events[4].time_source = TimeSource::kReceivedFuture;
  events[4].device_ts = FromEpochMs(1'795'425'300'000);  // 09:15:00Z
  events[4].result = StageResult::kPass;
  return events;
}

TEST_CASE("StatusJson: flagged timeline entries carry ts_flag and device_ts, others neither") {
  OrderSummary o;
  o.order_id = "A-1";
  const nlohmann::json j = StatusJson(o, Timeline(), FromEpochMs(1'795'421'700'000));
  const nlohmann::json& tl = j["timeline"];
  REQUIRE(tl.size() == 5);
  for (int i : {0, 1}) {
    CAPTURE(i);
    CHECK_FALSE(tl[i].contains("ts_flag"));
    CHECK_FALSE(tl[i].contains("device_ts"));
  }
  CHECK(tl[0]["time_source"] == "device");
  CHECK(tl[1]["time_source"] == "received");
  CHECK(tl[2]["ts_flag"] == "before_earliest");
  CHECK(tl[2]["device_ts"] == "2000-01-01T00:05:00Z");
  CHECK(tl[2]["stage_time"] == "2026-11-23T08:15:00Z");
  CHECK(tl[2]["time_source"] == "received (device ts before earliest_ts)");
  CHECK(tl[3]["ts_flag"] == "too_old");
  CHECK(tl[3]["device_ts"] == "2023-01-01T00:00:00Z");
  CHECK(tl[3]["time_source"] == "received (device ts too old)");
  CHECK(tl[4]["ts_flag"] == "future");
  CHECK(tl[4]["device_ts"] == "2026-11-23T09:15:00Z");
  CHECK(tl[4]["time_source"] == "received (device ts in the future)");
}

TEST_CASE("StatusTable marks flagged entries with the device ts") {
  OrderSummary o;
  o.order_id = "A-1";
  const std::string t = StatusTable(o, Timeline(), FromEpochMs(1'795'421'700'000));
  CHECK(Contains(t, " -\n"));  // the unflagged entries: no result, no mark
  CHECK(Contains(t, " [flagged: device ts 2000-01-01T00:05:00Z before earliest_ts]\n"));
  CHECK(Contains(t, " [flagged: device ts 2023-01-01T00:00:00Z too old]\n"));
  CHECK(Contains(t, " pass [flagged: device ts 2026-11-23T09:15:00Z in the future]\n"));
}

}  // namespace
}  // namespace floortrack::cli
