// bench-load: the benchmark's publisher and live-latency probe.
//
//   bench-load publish --uri URI --count N --tag T [--topic floor/bench/p1]
//       publishes N distinct canonical events (bench_events.h; event ids
//       "<T>-<i>", orders "<T>-<i/8>") at QoS 1 as fast as the broker
//       acknowledges them (1000 in flight), then prints one JSON line.
//
//   bench-load live --uri URI --db PATH --rate R --seconds S --tag T
//       publishes R events/s for S seconds, each carrying its publish time
//       ("bench_t_us", CLOCK_MONOTONIC microseconds) as an unknown extra
//       field, while a second thread polls PATH read-only every --poll-us
//       (default 500) for new rows of `events` (by seq). An event's latency is
//       (time its row was first seen by the poller) - (its bench_t_us): from
//       just before the publish call until the transaction holding it is
//       committed and visible to readers. In WAL mode a commit becomes
//       visible only after its frames are written (and, with synchronous =
//       FULL, fsynced), so this is publish -> durable commit, over-estimated
//       by at most one poll interval plus one query. Prints one JSON line.
#include <mqtt/async_client.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tools/bench/bench_events.h"

namespace {

using floortrack::bench::kEventsPerOrder;
using floortrack::bench::MakeEvent;

long long MonoUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

long long NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Args {
  std::string mode, uri, topic = "floor/bench/p1", tag = "b", db;
  long long count = 0;
  double rate = 2000, seconds = 30;
  int poll_us = 500;
  int inflight = 1000;
};

Args Parse(int argc, char** argv) {
  Args a;
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench-load (publish|live) ...\n");
    std::exit(2);
  }
  a.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n", k.c_str());
      std::exit(2);
    }
    std::string v = argv[++i];
    if (k == "--uri") a.uri = v;
    else if (k == "--topic") a.topic = v;
    else if (k == "--tag") a.tag = v;
    else if (k == "--db") a.db = v;
    else if (k == "--count") a.count = std::atoll(v.c_str());
    else if (k == "--rate") a.rate = std::atof(v.c_str());
    else if (k == "--seconds") a.seconds = std::atof(v.c_str());
    else if (k == "--poll-us") a.poll_us = std::atoi(v.c_str());
    else if (k == "--inflight") a.inflight = std::atoi(v.c_str());
    else {
      std::fprintf(stderr, "unknown argument %s\n", k.c_str());
      std::exit(2);
    }
  }
  return a;
}

// Event i of a run: order i / 8, stage i % 8, stage times an hour apart,
// ending before `base_ms` (never in the future).
std::string EventFor(const Args& a, long long i, long long base_ms, const char* extra = "") {
  const long long order = i / kEventsPerOrder;
  const int stage = static_cast<int>(i % kEventsPerOrder);
  const long long ts = base_ms - (kEventsPerOrder - stage) * 3600000LL;
  return MakeEvent(a.tag + "-" + std::to_string(i), a.tag + "-" + std::to_string(order),
                   static_cast<std::uint64_t>(order), stage, ts, extra);
}

mqtt::connect_options PublisherOptions(int inflight) {
  return mqtt::connect_options_builder()
      .mqtt_version(MQTTVERSION_3_1_1)
      .clean_session(true)
      .max_inflight(inflight)
      .keep_alive_interval(std::chrono::seconds(30))
      .finalize();
}

int Publish(const Args& a) {
  mqtt::async_client client(a.uri, "bench-pub-" + a.tag, 4 * a.inflight,
                            static_cast<mqtt::iclient_persistence*>(nullptr));
  client.connect(PublisherOptions(a.inflight))->wait();
  const long long base = NowMs();
  const long long t0 = MonoUs();
  std::deque<mqtt::delivery_token_ptr> window;
  for (long long i = 0; i < a.count; ++i) {
    std::string payload = EventFor(a, i, base);
    window.push_back(client.publish(a.topic, payload.data(), payload.size(), 1, false));
    if (static_cast<int>(window.size()) >= a.inflight) {
      window.front()->wait();
      window.pop_front();
    }
  }
  for (auto& tok : window) tok->wait();
  const long long t1 = MonoUs();
  client.disconnect()->wait();
  std::printf("{\"published\":%lld,\"seconds\":%.3f}\n", a.count, (t1 - t0) / 1e6);
  return 0;
}

int Live(const Args& a) {
  const long long total = static_cast<long long>(a.rate * a.seconds);
  std::vector<long long> latency_us;
  latency_us.reserve(static_cast<std::size_t>(total));
  std::atomic<bool> publishing_done{false};
  long long publish_late_max_us = 0;  // how far behind schedule the publisher fell

  sqlite3* db = nullptr;
  if (sqlite3_open_v2(a.db.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "bench-load: cannot open %s\n", a.db.c_str());
    return 1;
  }
  sqlite3_busy_timeout(db, 1000);
  sqlite3_stmt* q = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT seq, raw FROM events WHERE seq > ?1 ORDER BY seq", -1, &q,
                         nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "bench-load: %s\n", sqlite3_errmsg(db));
    return 1;
  }
  long long last_seq = 0;
  {  // start after whatever is already stored
    sqlite3_stmt* m = nullptr;
    sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(seq), 0) FROM events", -1, &m, nullptr);
    if (sqlite3_step(m) == SQLITE_ROW) last_seq = sqlite3_column_int64(m, 0);
    sqlite3_finalize(m);
  }

  std::thread poller([&] {
    const char* key = "\"bench_t_us\":";
    const std::size_t key_len = std::strlen(key);
    long long idle_since = 0;
    while (true) {
      sqlite3_bind_int64(q, 1, last_seq);
      long long now = 0;
      int rc;
      bool any = false;
      while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (!now) now = MonoUs();
        any = true;
        last_seq = sqlite3_column_int64(q, 0);
        const char* raw = static_cast<const char*>(sqlite3_column_blob(q, 1));
        const int n = sqlite3_column_bytes(q, 1);
        std::string_view s(raw ? raw : "", static_cast<std::size_t>(n));
        auto pos = s.find(key);
        if (pos == std::string_view::npos) continue;
        latency_us.push_back(now - std::atoll(std::string(s.substr(pos + key_len, 20)).c_str()));
      }
      sqlite3_reset(q);
      if (static_cast<long long>(latency_us.size()) >= total) break;
      const long long t = MonoUs();
      if (any || !publishing_done) idle_since = t;
      if (publishing_done && t - idle_since > 10000000) break;  // 10 s without progress
      std::this_thread::sleep_for(std::chrono::microseconds(a.poll_us));
    }
  });

  mqtt::async_client client(a.uri, "bench-live-" + a.tag, 4 * a.inflight,
                            static_cast<mqtt::iclient_persistence*>(nullptr));
  client.connect(PublisherOptions(a.inflight))->wait();
  std::deque<mqtt::delivery_token_ptr> window;
  const long long start = MonoUs() + 20000;
  const double interval_us = 1e6 / a.rate;
  for (long long i = 0; i < total; ++i) {
    const long long due = start + static_cast<long long>(i * interval_us);
    long long now = MonoUs();
    if (now < due) {
      std::this_thread::sleep_for(std::chrono::microseconds(due - now));
      now = MonoUs();
    }
    publish_late_max_us = std::max(publish_late_max_us, now - due);
    char extra[48];
    std::snprintf(extra, sizeof extra, ",\"bench_t_us\":%lld", MonoUs());
    std::string payload = EventFor(a, i, NowMs(), extra);  // stage times in the past
    window.push_back(client.publish(a.topic, payload.data(), payload.size(), 1, false));
    while (!window.empty() && window.front()->is_complete()) window.pop_front();
    if (static_cast<int>(window.size()) >= a.inflight) {
      window.front()->wait();
      window.pop_front();
    }
  }
  for (auto& tok : window) tok->wait();
  publishing_done = true;
  poller.join();
  client.disconnect()->wait();
  sqlite3_finalize(q);
  sqlite3_close(db);

  std::vector<long long> sorted = latency_us;
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double p) -> double {
    if (sorted.empty()) return -1;
    std::size_t rank = static_cast<std::size_t>(std::ceil(p / 100.0 * sorted.size()));
    if (rank < 1) rank = 1;
    return sorted[rank - 1] / 1000.0;
  };
  std::printf(
      "{\"published\":%lld,\"measured\":%zu,\"rate\":%.0f,\"seconds\":%.1f,\"poll_us\":%d,"
      "\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,\"p999_ms\":%.2f,\"max_ms\":%.2f,"
      "\"publisher_late_max_ms\":%.2f}\n",
      total, sorted.size(), a.rate, a.seconds, a.poll_us, pct(50), pct(90), pct(99), pct(99.9),
      sorted.empty() ? -1.0 : sorted.back() / 1000.0, publish_late_max_us / 1000.0);
  return static_cast<long long>(sorted.size()) == total ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args a = Parse(argc, argv);
  try {
    if (a.mode == "publish") return Publish(a);
    if (a.mode == "live") return Live(a);
  } catch (const mqtt::exception& e) {
    std::fprintf(stderr, "bench-load: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "bench-load: unknown mode %s\n", a.mode.c_str());
  return 2;
}
