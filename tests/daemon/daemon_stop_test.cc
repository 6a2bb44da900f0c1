// Daemon driven by a fake MessageSource over a real SQLite file: every stop
// and reconnect interleaving ends with each acknowledged message stored, and
// none acknowledged before it was stored.
//
// FakeSource behaves like MqttSource towards Paho: each message goes through
// a DeliveryGate on a "transport" thread, and the message counts as
// acknowledged exactly when the gate returns (Paho sends the PUBACK when the
// callback returns). A refusal, which ends the process in production, throws
// here and counts as not acknowledged. At the moment of each acknowledgement
// the test looks the event up in the database through its own connection.
#include <doctest/doctest.h>

#include "tests/daemon/fake_source.h"

namespace floortrack {
namespace {

using namespace std::chrono_literals;

// A daemon over a fresh database in a temporary directory.
struct Fixture {
  Fixture() {
    char dir_template[] = "/tmp/floortrack-daemon-test-XXXXXX";
    dir = ::mkdtemp(dir_template);
    db_path = dir + "/floortrack.db";
    StoreOptions options;
    options.path = db_path;
    options.sync = StoreOptions::Sync::kNormal;
    auto opened = SqliteStore::OpenForWriting(options, Config{}.rules);
    REQUIRE(opened.ok());
    sqlite = std::move(opened).value();
    store = std::make_unique<ControlledStore>(*sqlite);
    source = std::make_unique<FakeSource>(db_path);
    daemon = std::make_unique<Daemon>(io, Config{}, "", *store, *source);
    daemon->Start();
  }
  ~Fixture() {
    daemon.reset();
    source.reset();
    store.reset();
    sqlite.reset();
    std::filesystem::remove_all(dir);
  }

  // The invariant of the whole file: every acknowledged message was stored
  // (exactly once) when it was acknowledged.
  void CheckNothingAcknowledgedUnstored() const {
    for (const auto& r : source->records()) {
      if (!r.acknowledged) continue;
      INFO("order ", r.order_id);
      CHECK(r.stored_at_ack == 1);
    }
  }

  std::string dir;
  std::string db_path;
  asio::io_context io;
  std::unique_ptr<SqliteStore> sqlite;
  std::unique_ptr<ControlledStore> store;
  std::unique_ptr<FakeSource> source;
  std::unique_ptr<Daemon> daemon;
};

TEST_CASE("a message delivered while the source is still connecting is stored, then acknowledged") {
  Fixture f;
  f.source->SetHealth(false, false);
  f.source->ArriveOnTransport({"C1"}, 1);
  f.source->SetHealth(true, false);
  f.source->ArriveOnTransport({"C2"}, 1);  // connected, SUBACK not yet in
  f.source->SetHealth(true, true);
  f.source->ArriveOnTransport({"C3"}, 1);
  f.daemon->Shutdown();
  CHECK(f.source->stops() == 1);
  for (const char* order : {"C1", "C2", "C3"}) {
    INFO(order);
    CHECK(f.source->record(order).acknowledged);
  }
  f.CheckNothingAcknowledgedUnstored();
}

TEST_CASE(
    "stop during a reconnect: the backlog the completing connection delivers is stored "
    "before it is acknowledged; what arrives after the stop is never acknowledged") {
  Fixture f;
  f.source->SetHealth(true, true);
  f.source->ArriveOnTransport({"R1"}, 1);
  f.source->SetHealth(false, false);  // connection lost; the reconnect is under way

  // SIGTERM now. While the source stops, the reconnect completes and the
  // broker resumes the session with its backlog.
  f.source->during_stop = [&] {
    f.source->SetHealth(true, false);
    f.source->ArriveOnTransport({"R2", "R3", "R4", "R5"}, 2);
  };
  f.daemon->Shutdown();
  // A connection the stop did not end (what 0.1.0 left behind: it skipped the
  // disconnect while not connected) delivers after Stop() returned.
  f.source->ArriveOnTransport({"R6", "R7"}, 3);

  for (const char* order : {"R1", "R2", "R3", "R4", "R5"}) {
    INFO(order);
    CHECK(f.source->record(order).acknowledged);
  }
  for (const char* order : {"R6", "R7"}) {
    INFO(order);
    auto r = f.source->record(order);
    CHECK_FALSE(r.acknowledged);
    CHECK(r.refused == "it arrived after the source stopped");
    CHECK(StoredCount(f.db_path, order) == 0);
  }
  f.CheckNothingAcknowledgedUnstored();
}

TEST_CASE(
    "stop while storage is held: the held message is not acknowledged, and the stop "
    "does not wait for storage") {
  Fixture f;
  f.source->SetHealth(true, true);
  f.source->ArriveOnTransport({"H1"}, 1);
  f.store->Hold(true);
  std::thread transport([&] { f.source->Arrive("H2", 1); });
  while (f.store->held_attempts() < 2) std::this_thread::sleep_for(1ms);  // retrying with backoff
  CHECK_FALSE(f.daemon->Health().healthy);

  // More arrives while the stop runs (a message read before the disconnect).
  f.source->during_stop = [&] { f.source->ArriveOnTransport({"H3"}, 1); };
  auto started = std::chrono::steady_clock::now();
  f.daemon->Shutdown();
  transport.join();
  CHECK(std::chrono::steady_clock::now() - started < 3s);

  CHECK(f.source->record("H1").acknowledged);
  for (const char* order : {"H2", "H3"}) {
    INFO(order);
    auto r = f.source->record(order);
    CHECK_FALSE(r.acknowledged);
    CHECK(r.refused == "it could not be stored");
    CHECK(StoredCount(f.db_path, order) == 0);
  }
  f.CheckNothingAcknowledgedUnstored();
}

TEST_CASE(
    "stop while a message is being stored: the stop waits for it, and it is stored "
    "before it is acknowledged") {
  Fixture f;
  f.source->SetHealth(true, true);
  f.store->BlockNextAppend();
  std::thread transport([&] { f.source->Arrive("S1", 1); });
  f.store->WaitUntilBlocked();
  std::atomic<bool> stopped{false};
  std::atomic<bool> stopped_before_commit{true};
  std::thread releaser([&] {
    std::this_thread::sleep_for(100ms);
    stopped_before_commit = stopped.load();
    f.store->Unblock();
  });
  f.daemon->Shutdown();
  stopped = true;
  releaser.join();
  transport.join();
  CHECK_FALSE(stopped_before_commit.load());  // Shutdown() waited for the commit
  CHECK(f.source->record("S1").acknowledged);
  f.CheckNothingAcknowledgedUnstored();
}

TEST_CASE("health: the source's problems and held storage make the daemon unhealthy") {
  Fixture f;
  CHECK_FALSE(f.daemon->Health().healthy);
  f.source->SetHealth(true, true);
  CHECK(f.daemon->Health().healthy);
  CHECK(f.daemon->Health().problems.empty());
  f.source->SetHealth(true, false, {"broker granted floor/# only QoS 0"});
  auto health = f.daemon->Health();
  CHECK_FALSE(health.healthy);
  REQUIRE(health.problems.size() == 1);
  CHECK(health.problems[0] == "broker granted floor/# only QoS 0");
  f.daemon->Shutdown();
}

}  // namespace
}  // namespace floortrack
