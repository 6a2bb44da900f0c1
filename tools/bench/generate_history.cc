// bench-generate: builds a large floortrack database for the query and
// start-up benchmarks by feeding canonical JSON events through the daemon's
// own ingest path: JsonPayloadDecoder -> Validate -> DeriveEventKey ->
// SqliteStore::Append (floortrack::Ingest::OnMessage), i.e. one transaction
// per event with the same statements, summary refresh and dedup as
// floortrackd. Only the clock is simulated (receive time = stage time + 1.5 s)
// and, by default, storage.synchronous is "normal" (no fsync per commit:
// same SQL and file contents, it only skips waiting for the disk).
//
//   bench-generate --db PATH --orders M [--orders-per-day 1000] [--sync full]
//
// Order i is confirmed at now - M/orders_per_day days + i/orders_per_day
// days; its 8 stages (bench_events.h) follow 6 h apart, with up to 1 h of
// jitter; stages that would lie in the future are not sent, so the newest
// ~2 days of orders are still open. Orders are emitted in blocks of 16 whose
// events interleave, as on a real floor. Prints one JSON line.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "adapters/event_key.h"
#include "adapters/json_payload_decoder.h"
#include "adapters/sqlite_store.h"
#include "core/clock.h"
#include "core/ingest.h"
#include "tools/bench/bench_events.h"

namespace {

using namespace floortrack;
using bench::kEventsPerOrder;

class SimClock final : public Clock {
 public:
  TimePoint Now() const override { return now; }
  TimePoint now{};
};

long long MonoUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string db;
  long long orders = 0;
  double orders_per_day = 1000;
  bool full_sync = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--db") db = v;
    else if (k == "--orders") orders = std::atoll(v.c_str());
    else if (k == "--orders-per-day") orders_per_day = std::atof(v.c_str());
    else if (k == "--sync") full_sync = v == "full";
    else {
      std::fprintf(stderr, "unknown argument %s\n", k.c_str());
      return 2;
    }
  }
  if (db.empty() || orders <= 0) {
    std::fprintf(stderr, "usage: bench-generate --db PATH --orders M [--orders-per-day N] [--sync full]\n");
    return 2;
  }

  Rules rules;
  rules.material_cost_per_g = {{"castable-resin", 0.30}, {"silver-925", 0.90}};
  StoreOptions options;
  options.path = db;
  options.sync = full_sync ? StoreOptions::Sync::kFull : StoreOptions::Sync::kNormal;
  auto store = SqliteStore::OpenForWriting(options, rules);
  if (!store) {
    std::fprintf(stderr, "bench-generate: %s\n", store.error().message.c_str());
    return 1;
  }
  JsonPayloadDecoder decoder;
  SimClock clock;
  Ingest ingest(decoder, *store.value(), clock, &DeriveEventKey, rules);

  const long long day_ms = 86400000LL;
  const long long now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  const double span_ms = static_cast<double>(orders) / orders_per_day * day_ms;
  const long long first_ms = now_ms - static_cast<long long>(span_ms);
  const long long kBlock = 16;
  const std::string topic = "floor/gen/history";
  long long events = 0, skipped = 0, open_orders = 0;
  const long long t0 = MonoUs();
  long long next_report = 1000000;
  for (long long b = 0; b < orders; b += kBlock) {
    const long long end = std::min(orders, b + kBlock);
    for (int stage = 0; stage < kEventsPerOrder; ++stage) {
      for (long long o = b; o < end; ++o) {
        const long long confirmed = first_ms + static_cast<long long>(o * span_ms / orders);
        const long long jitter =
            stage == 0 ? 0 : static_cast<long long>(bench::Mix(o * 8 + stage) % 3600000);
        const long long ts = confirmed + stage * 6 * 3600000LL + jitter;
        if (ts > now_ms) {
          ++skipped;
          if (stage == kEventsPerOrder - 1) ++open_orders;
          continue;
        }
        char id[32], order_id[24];
        std::snprintf(order_id, sizeof order_id, "O%08lld", o);
        std::snprintf(id, sizeof id, "g-%08lld-%d", o, stage);
        std::string payload = bench::MakeEvent(id, order_id, static_cast<std::uint64_t>(o), stage, ts);
        clock.now = FromEpochMs(ts + 1500);
        auto outcome = ingest.OnMessage(topic, payload);
        if (!outcome || outcome.value().status != IngestStatus::kStored) {
          std::fprintf(stderr, "bench-generate: event %s not stored: %s\n", id,
                       outcome ? outcome.value().detail.c_str() : outcome.error().message.c_str());
          return 1;
        }
        if (++events == next_report) {
          std::fprintf(stderr, "bench-generate: %lld events, %.0f/s\n", events,
                       events / ((MonoUs() - t0) / 1e6));
          next_report += 1000000;
        }
      }
    }
  }
  const double seconds = (MonoUs() - t0) / 1e6;
  store.value().reset();  // close: checkpoint
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(db, ec);
  std::printf(
      "{\"orders\":%lld,\"events\":%lld,\"open_orders\":%lld,\"seconds\":%.1f,"
      "\"events_per_s\":%.0f,\"db_bytes\":%llu,\"sync\":\"%s\",\"last_order\":\"O%08lld\"}\n",
      orders, events, open_orders, seconds, events / seconds,
      static_cast<unsigned long long>(ec ? 0 : bytes), full_sync ? "full" : "normal", orders - 1);
  return 0;
}
