// bench-bare-subscriber: the reference point of the drain benchmark. A Paho
// MQTT C++ subscriber with the same connection settings as floortrackd
// (MQTT 3.1.1, persistent session, QoS 1, direct message callback, no client
// persistence) and an empty callback: it only counts.
//
//   bench-bare-subscriber --uri tcp://127.0.0.1:P --client-id ID --register
//       connect, subscribe, disconnect: leaves the session for the backlog
//   bench-bare-subscriber --uri ... --client-id ID --count N [--timeout S]
//       resume the session, receive N messages, print one JSON line with the
//       CLOCK_MONOTONIC time (ns) of the first and the Nth message
#include <mqtt/async_client.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>

namespace {

long long MonoNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

}  // namespace

int main(int argc, char** argv) {
  std::string uri, client_id = "bench-bare", topic = "floor/#";
  long long count = 0;
  int timeout_s = 600;
  bool register_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--uri") uri = next();
    else if (a == "--client-id") client_id = next();
    else if (a == "--topic") topic = next();
    else if (a == "--count") count = std::atoll(next().c_str());
    else if (a == "--timeout") timeout_s = std::atoi(next().c_str());
    else if (a == "--register") register_only = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (uri.empty() || (!register_only && count <= 0)) {
    std::fprintf(stderr, "usage: bench-bare-subscriber --uri URI [--client-id ID] (--register | --count N)\n");
    return 2;
  }

  mqtt::async_client client(uri, client_id, static_cast<mqtt::iclient_persistence*>(nullptr));
  std::mutex m;
  std::condition_variable cv;
  std::atomic<long long> received{0};
  long long first_ns = 0, last_ns = 0;
  // Empty callback: count, and note the time of the first and the Nth message.
  client.set_message_callback([&](mqtt::const_message_ptr) {
    long long n = received.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n == 1) first_ns = MonoNs();
    if (n == count) {
      last_ns = MonoNs();
      std::lock_guard lock(m);
      cv.notify_all();
    }
  });
  auto options = mqtt::connect_options_builder()
                     .mqtt_version(MQTTVERSION_3_1_1)
                     .clean_session(false)
                     .keep_alive_interval(std::chrono::seconds(30))
                     .automatic_reconnect(false)
                     .finalize();
  try {
    client.connect(options)->wait();
    client.subscribe(topic, 1)->wait();
    if (register_only) {
      client.disconnect()->wait();
      std::printf("{\"registered\":\"%s\"}\n", client_id.c_str());
      return 0;
    }
    std::unique_lock lock(m);
    bool done = cv.wait_for(lock, std::chrono::seconds(timeout_s),
                            [&] { return received.load() >= count; });
    lock.unlock();
    client.disconnect()->wait();
    std::printf("{\"received\":%lld,\"first_ns\":%lld,\"last_ns\":%lld,\"complete\":%s}\n",
                received.load(), first_ns, last_ns, done ? "true" : "false");
    return done ? 0 : 1;
  } catch (const mqtt::exception& e) {
    std::fprintf(stderr, "bench-bare-subscriber: %s\n", e.what());
    return 1;
  }
}
