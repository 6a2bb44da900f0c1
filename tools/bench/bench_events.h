// Canonical floortrack events for the benchmark (docs/events.md): one order is
// eight events in process order, confirmed ... shipped. Shared by the
// publisher (bench_load.cc) and the history generator (generate_history.cc)
// so both exercise the same payload shapes floortrackd sees from devices.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace floortrack::bench {

inline constexpr int kEventsPerOrder = 8;
inline constexpr const char* kStages[kEventsPerOrder] = {
    "confirmed", "print_started", "printed", "cast", "polished", "qc", "packed", "shipped"};

// splitmix64: cheap, deterministic.
inline std::uint64_t Mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Event `stage` (0..7) of order `order` with stage time ts_ms: confirmed
// carries the order facts, printed and cast carry material, about 4% of QC
// events fail (so first-pass yield is below 100%). No returns. `extra` is
// inserted verbatim before the closing brace (e.g. ,"bench_t_us":123): an
// unknown field, which floortrack ignores but keeps in the raw payload.
inline std::string MakeEvent(const std::string& event_id, const std::string& order_id,
                             std::uint64_t order, int stage, std::int64_t ts_ms,
                             const char* extra = "") {
  const std::uint64_t r = Mix(order);
  char buf[768];
  int n = 0;
  const char* station = "";
  switch (stage) {
    case 0:
      n = std::snprintf(buf, sizeof buf,
                        "{\"event_id\":\"%s\",\"order_id\":\"%s\",\"stage\":\"confirmed\","
                        "\"ts\":%lld,\"station\":\"webshop\",\"value\":%llu.%02llu,"
                        "\"currency\":\"EUR\",\"customer_id\":\"C%06llu\",\"product\":\"%s\","
                        "\"personalized\":%s,\"promised_at\":%lld%s}",
                        event_id.c_str(), order_id.c_str(), static_cast<long long>(ts_ms),
                        static_cast<unsigned long long>(40 + r % 900),
                        static_cast<unsigned long long>((r >> 10) % 100),
                        static_cast<unsigned long long>((r >> 20) % 200000),
                        (r >> 40) % 3 == 0 ? "ring" : ((r >> 40) % 3 == 1 ? "pendant" : "earrings"),
                        (r >> 45) % 4 == 0 ? "true" : "false",
                        static_cast<long long>(ts_ms + 5LL * 86400000), extra);
      break;
    case 2:  // printed: resin, some scrap
      n = std::snprintf(buf, sizeof buf,
                        "{\"event_id\":\"%s\",\"order_id\":\"%s\",\"stage\":\"printed\","
                        "\"ts\":%lld,\"station\":\"printer-%llu\",\"operator\":\"op%llu\","
                        "\"result\":\"pass\",\"material\":{\"type\":\"castable-resin\","
                        "\"used_g\":%llu.5,\"scrap_g\":%llu.25}%s}",
                        event_id.c_str(), order_id.c_str(), static_cast<long long>(ts_ms),
                        static_cast<unsigned long long>(r % 40), static_cast<unsigned long long>(r % 7),
                        static_cast<unsigned long long>(3 + r % 9),
                        static_cast<unsigned long long>(r % 2), extra);
      break;
    case 3:  // cast: metal
      n = std::snprintf(buf, sizeof buf,
                        "{\"event_id\":\"%s\",\"order_id\":\"%s\",\"stage\":\"cast\","
                        "\"ts\":%lld,\"station\":\"casting-1\",\"operator\":\"op%llu\","
                        "\"material\":{\"type\":\"silver-925\",\"used_g\":%llu.0,"
                        "\"scrap_g\":%llu.5}%s}",
                        event_id.c_str(), order_id.c_str(), static_cast<long long>(ts_ms),
                        static_cast<unsigned long long>(r % 7),
                        static_cast<unsigned long long>(6 + r % 20),
                        static_cast<unsigned long long>(r % 3), extra);
      break;
    case 5: {  // qc: ~4% fail
      const bool fail = (r >> 50) % 25 == 0;
      n = std::snprintf(buf, sizeof buf,
                        "{\"event_id\":\"%s\",\"order_id\":\"%s\",\"stage\":\"qc\","
                        "\"ts\":%lld,\"station\":\"qc-1\",\"operator\":\"op%llu\","
                        "\"result\":\"%s\"%s%s}",
                        event_id.c_str(), order_id.c_str(), static_cast<long long>(ts_ms),
                        static_cast<unsigned long long>(r % 7), fail ? "fail" : "pass",
                        fail ? ",\"defect\":\"porosity\"" : "", extra);
      break;
    }
    default:
      station = stage == 7 ? "shipping-1" : (stage == 6 ? "packing-1" : "bench-1");
      n = std::snprintf(buf, sizeof buf,
                        "{\"event_id\":\"%s\",\"order_id\":\"%s\",\"stage\":\"%s\","
                        "\"ts\":%lld,\"station\":\"%s\",\"operator\":\"op%llu\"%s}",
                        event_id.c_str(), order_id.c_str(), kStages[stage],
                        static_cast<long long>(ts_ms), station,
                        static_cast<unsigned long long>(r % 7), extra);
  }
  return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

}  // namespace floortrack::bench
