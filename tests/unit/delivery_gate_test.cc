// DeliveryGate: a message is acknowledged (Deliver returns) only after the
// handler returned true for it; every other path refuses.
#include "core/delivery_gate.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

namespace floortrack {
namespace {

struct Refused {
  std::string why;
};

DeliveryGate TestGate() {
  return DeliveryGate([](const Delivery&, const std::string& why) { throw Refused{why}; });
}

// True when Deliver returned (the transport would acknowledge), else the refusal.
std::string Outcome(DeliveryGate& gate, std::string_view payload) {
  try {
    gate.Deliver(Delivery{"floor/a", payload, false, 1});
    return "acknowledged";
  } catch (const Refused& r) {
    return "refused: " + r.why;
  }
}

TEST_CASE("DeliveryGate returns only for messages the handler made durable") {
  DeliveryGate gate = TestGate();
  std::string seen_topic, seen_payload;
  bool seen_dup = false;
  std::uint64_t seen_connection = 0;
  gate.Open([&](const Delivery& d) {
    seen_topic = d.topic;
    seen_payload = d.payload;
    seen_dup = d.redelivered;
    seen_connection = d.connection;
    return d.payload == "good";
  });
  CHECK(Outcome(gate, "good") == "acknowledged");
  CHECK(seen_topic == "floor/a");
  CHECK(seen_payload == "good");
  CHECK(seen_connection == 1);
  CHECK_FALSE(seen_dup);
  CHECK(Outcome(gate, "bad") == "refused: it could not be stored");
}

TEST_CASE("DeliveryGate refuses when the handler throws") {
  DeliveryGate gate = TestGate();
  gate.Open([](const Delivery&) -> bool { throw std::runtime_error("boom"); });
  CHECK(Outcome(gate, "x") == "refused: the message handler failed: boom");
  gate.Open([](const Delivery&) -> bool { throw 42; });
  CHECK(Outcome(gate, "x") == "refused: the message handler failed");
}

TEST_CASE("DeliveryGate refuses before Open and after Close, without calling the handler") {
  DeliveryGate gate = TestGate();
  CHECK(Outcome(gate, "x") == "refused: it arrived before the source started");
  int calls = 0;
  gate.Open([&](const Delivery&) {
    ++calls;
    return true;
  });
  CHECK(Outcome(gate, "x") == "acknowledged");
  gate.Close();
  CHECK(gate.closed());
  CHECK(Outcome(gate, "late") == "refused: it arrived after the source stopped");
  CHECK(calls == 1);
}

TEST_CASE("DeliveryGate::Close waits for a running handler, which is still acknowledged") {
  DeliveryGate gate = TestGate();
  std::atomic<bool> entered{false}, release{false};
  gate.Open([&](const Delivery&) {
    entered = true;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return true;
  });
  std::string outcome;
  std::thread transport([&] { outcome = Outcome(gate, "slow"); });
  while (!entered) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::atomic<bool> closed{false};
  std::thread owner([&] {
    gate.Close();
    closed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(closed.load());  // still storing
  release = true;
  owner.join();
  transport.join();
  CHECK(closed.load());
  CHECK(outcome == "acknowledged");
}

}  // namespace
}  // namespace floortrack
