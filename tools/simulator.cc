// floortrack-sim: publishes a seeded, realistic jewelry-workshop shop floor to
// an MQTT broker, for demos, load tests and end-to-end checks of floortrackd.
//
// Orders go confirmed -> print_started/printed (some prints fail and are
// reprinted) -> cast -> polished -> [stone_set] -> qc (some fail, are reworked
// and pass) -> packed -> shipped [-> returned]; about 10% are still open at the
// end. Every event carries a `ts` inside the simulated period (never in the
// future) and a unique event_id. Duplicates and malformed messages are mixed
// in on request. The same --seed and --start publish the same bytes in the
// same order; see docs/events.md for the event format.
//
// With --devices the same workshop publishes the way its devices speak
// (docs/devices.md): the order system confirms and shipping ships with
// canonical events; build plates are printed by an OctoPrint, a Moonraker and
// an SDCP printer in their own formats; casting trees are canonical batch
// events; the benches publish bare scans. --print-config prints the
// [[source]]s floortrackd needs to read that day.
#include <mqtt/async_client.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <numbers>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace floortrack::sim {
namespace {

using json = nlohmann::ordered_json;
using Millis = std::chrono::milliseconds;
using TimePoint = std::chrono::sys_time<Millis>;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // broker unreachable, publish failed, file not writable
constexpr int kExitUsage = 2;    // bad arguments

constexpr double kLateShare = 0.15;         // with --shuffle, events that arrive late
constexpr double kShuffleWindow = 12;       // by up to this many positions
constexpr double kMaxRedeliveryDelay = 60;  // positions a duplicate trails its original
constexpr std::size_t kOversizedBytes = 70 * 1024;
constexpr auto kAckTimeout = std::chrono::seconds(30);

struct Options {
  std::string uri;
  std::string client_id = "floortrack-sim";
  int orders = 200;
  double days = 1;
  std::string start;
  double rate = 0;
  std::uint64_t seed = 1;
  double duplicates_pct = 2;
  double garbage_pct = 1;
  bool shuffle = true;
  std::string topic_prefix = "floor";
  std::string summary_json;
  bool quiet = false;
  int max_inflight = 100;
  bool devices = false;       // publish the device day (devices' own formats)
  bool print_config = false;  // print the device day's [[source]]s and exit
};

// ---------------------------------------------------------------------------
// Deterministic randomness (splitmix64: same sequence on every platform).

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Real() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Real(double lo, double hi) { return lo + (hi - lo) * Real(); }
  // Uniform in [lo, hi].
  std::int64_t Int(std::int64_t lo, std::int64_t hi) {
    auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    return lo + static_cast<std::int64_t>(Next() % span);
  }
  bool Chance(double p) { return Real() < p; }
  const std::string& Pick(const std::vector<std::string>& items) {
    return items[static_cast<std::size_t>(Int(0, static_cast<std::int64_t>(items.size()) - 1))];
  }

 private:
  std::uint64_t state_;
};

double Round1(double x) { return std::round(x * 10) / 10; }
double Round2(double x) { return std::round(x * 100) / 100; }

// ---------------------------------------------------------------------------
// Time (kept local so the simulator does not depend on floortrack_core).

std::int64_t EpochMs(TimePoint t) { return t.time_since_epoch().count(); }

std::string FormatRfc3339(TimePoint t) {
  auto day = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day ymd{day};
  std::chrono::hh_mm_ss hms{t - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

bool ReadDigits(const std::string& s, std::size_t& i, int count, int& out) {
  out = 0;
  for (int k = 0; k < count; ++k, ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool Expect(const std::string& s, std::size_t& i, const char* accepted) {
  if (i >= s.size() || std::string_view(accepted).find(s[i]) == std::string_view::npos)
    return false;
  ++i;
  return true;
}

// Offset in minutes east of UTC, from "Z" or "+hh:mm"/"-hh:mm".
std::optional<int> ParseOffset(const std::string& s, std::size_t& i) {
  if (Expect(s, i, "Zz")) return 0;
  if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return std::nullopt;
  int sign = s[i++] == '-' ? -1 : 1, hh, mm;
  if (!ReadDigits(s, i, 2, hh) || !Expect(s, i, ":") || !ReadDigits(s, i, 2, mm))
    return std::nullopt;
  return sign * (hh * 60 + mm);
}

// "YYYY-MM-DDThh:mm:ss[.fff...](Z|+hh:mm)"; digits beyond milliseconds are dropped.
std::optional<TimePoint> ParseRfc3339(const std::string& s) {
  std::size_t i = 0;
  int y, mo, d, h, mi, sec, ms = 0;
  bool ok = ReadDigits(s, i, 4, y) && Expect(s, i, "-") && ReadDigits(s, i, 2, mo) &&
            Expect(s, i, "-") && ReadDigits(s, i, 2, d) && Expect(s, i, "Tt ") &&
            ReadDigits(s, i, 2, h) && Expect(s, i, ":") && ReadDigits(s, i, 2, mi) &&
            Expect(s, i, ":") && ReadDigits(s, i, 2, sec);
  if (!ok) return std::nullopt;
  if (i < s.size() && s[i] == '.') {
    int scale = 100, digits = 0;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits, scale /= 10)
      ms += (s[i] - '0') * scale;
    if (digits == 0) return std::nullopt;
  }
  auto offset = ParseOffset(s, i);
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(mo)},
                                  std::chrono::day{unsigned(d)}};
  if (!offset || i != s.size() || !ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  auto t = std::chrono::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi - *offset} +
           std::chrono::seconds{sec} + Millis{ms};
  return std::chrono::time_point_cast<Millis>(t);
}

struct Period {
  TimePoint start;
  TimePoint end;  // never after the moment the simulator started
  Millis Length() const { return end - start; }
};

// ---------------------------------------------------------------------------
// The workshop: devices, products, materials, people.

struct Device {
  std::string topic;      // below the prefix, e.g. "printer/p3"
  std::string station;    // e.g. "p3"
  bool epoch_ts = false;  // the shipping scanners send epoch milliseconds
};

Device MakeDevice(const std::string& kind, const std::string& station, bool epoch_ts = false) {
  return Device{kind + "/" + station, station, epoch_ts};
}

const std::vector<std::string> kOperators = {"ana",   "bruno", "chloe", "dmitri", "emma",
                                             "farid", "greta", "hiro",  "ines",   "jonas"};
const std::vector<std::string> kPrintDefects = {"layer_shift", "support_failure", "warping",
                                                "resin_starvation"};
const std::vector<std::string> kQcDefects = {"porosity", "surface_scratch", "loose_stone",
                                             "engraving_error", "dimension_off"};
const std::vector<std::string> kReturnReasons = {"not_as_designed", "wrong_size", "changed_mind",
                                                 "damaged_in_transit", "wrong_engraving"};

struct Product {
  std::string name;
  double min_value, max_value;  // EUR
  double min_metal_g, max_metal_g;
  double stone_chance;
};

const std::vector<Product> kProducts = {
    {"ring", 80, 600, 3, 9, 0.5},        {"signet-ring", 150, 900, 8, 20, 0.2},
    {"pendant", 60, 450, 2, 8, 0.4},     {"earrings", 40, 380, 2, 6, 0.5},
    {"bracelet", 90, 700, 8, 25, 0.2},   {"charm", 40, 180, 1, 4, 0.1},
    {"cufflinks", 120, 500, 6, 14, 0.1},
};

std::string PickMetal(Rng& rng) {
  double r = rng.Real();
  if (r < 0.60) return "silver-925";
  if (r < 0.85) return "gold-14k";
  if (r < 0.95) return "gold-18k";
  return "platinum-950";
}

json Material(const std::string& type, double used_g, double scrap_g) {
  return json{{"type", type}, {"used_g", Round1(used_g)}, {"scrap_g", Round1(scrap_g)}};
}

// ---------------------------------------------------------------------------
// One order's events, timed relative to its confirmation.

struct Draft {
  Millis at{0};  // since confirmation
  Device device;
  json body;
  std::optional<Millis> promised_in;  // confirmed only
};

struct OrderSpec {
  std::string order_id;
  std::string customer_id;
  double scale = 1;  // compresses the workshop's durations into short periods
};

class OrderBuilder {
 public:
  OrderBuilder(Rng& rng, OrderSpec spec) : rng_(rng), spec_(std::move(spec)) {}

  std::vector<Draft> Build() {
    const Product& product = kProducts[static_cast<std::size_t>(rng_.Int(0, kProducts.size() - 1))];
    Confirm(product);
    Print();
    Cast(product);
    Gap(60, 240);
    Polish();
    bool stones = rng_.Chance(product.stone_chance);
    if (stones) SetStones();
    Inspect(stones);
    Ship();
    if (rng_.Chance(0.05)) Return();
    return std::move(drafts_);
  }

 private:
  void Gap(double min_minutes, double max_minutes) {
    double minutes = rng_.Real(min_minutes, max_minutes) * spec_.scale;
    clock_ += Millis{std::llround(minutes * 60000)};
  }

  void Emit(const Device& device, const char* stage, json extra = json::object()) {
    json body{{"order_id", spec_.order_id}, {"stage", stage}, {"station", device.station}};
    body.update(extra);
    drafts_.push_back(Draft{clock_, device, std::move(body), std::nullopt});
  }

  json Operator() { return json{{"operator", rng_.Pick(kOperators)}}; }

  void Confirm(const Product& product) {
    Emit(MakeDevice("shop", "web"), "confirmed",
         {{"value", Round2(rng_.Real(product.min_value, product.max_value))},
          {"currency", "EUR"},
          {"customer_id", spec_.customer_id},
          {"product", product.name},
          {"personalized", rng_.Chance(0.7)}});
    // About 18 h of nominal work; promise between 0.8x and 1.6x of it.
    double promised_minutes = rng_.Real(0.8, 1.6) * 18 * 60 * spec_.scale;
    drafts_.back().promised_in = Millis{std::llround(promised_minutes * 60000)};
  }

  void Print() {
    Device printer = MakeDevice("printer", "p" + std::to_string(rng_.Int(1, 4)));
    Gap(30, 240);
    for (int attempt = 1;; ++attempt) {
      Emit(printer, "print_started");
      Gap(60, 180);
      double used = rng_.Real(2.0, 12.0);
      if (attempt < 3 && rng_.Chance(0.08)) {  // a failed print wastes all its resin
        Emit(printer, "printed",
             {{"result", "fail"},
              {"defect", rng_.Pick(kPrintDefects)},
              {"material", Material("castable-resin", used, used)}});
        Gap(10, 60);
        continue;
      }
      double scrap = rng_.Real(0.1, std::min(1.5, used * 0.3));
      Emit(printer, "printed",
           {{"result", "pass"}, {"material", Material("castable-resin", used, scrap)}});
      return;
    }
  }

  void Cast(const Product& product) {
    Gap(60, 300);
    double used = rng_.Real(product.min_metal_g, product.max_metal_g);
    double scrap = rng_.Real(0.05, 0.15) * used;
    Emit(MakeDevice("casting", "cast-1"), "cast",
         {{"material", Material(PickMetal(rng_), used, scrap)}});
  }

  void Polish() {
    Emit(MakeDevice("station", "polish-" + std::to_string(rng_.Int(1, 3))), "polished", Operator());
  }

  void SetStones() {
    Gap(30, 180);
    Emit(MakeDevice("station", "setting-" + std::to_string(rng_.Int(1, 2))), "stone_set",
         Operator());
  }

  // QC; a failure is reworked (re-polished or re-set) and inspected again.
  void Inspect(bool stones) {
    Device qc = MakeDevice("station", "qc-1");
    Gap(20, 120);
    for (int attempt = 1; attempt < 3 && rng_.Chance(0.10); ++attempt) {
      const std::string& defect = rng_.Pick(kQcDefects);
      json fail = Operator();
      fail.update(json{{"result", "fail"}, {"defect", defect}});
      Emit(qc, "qc", fail);
      Gap(30, 180);
      if (stones && defect == "loose_stone")
        SetStones();
      else
        Polish();
      Gap(20, 60);
    }
    json pass = Operator();
    pass["result"] = "pass";
    Emit(qc, "qc", pass);
  }

  void Ship() {
    Gap(10, 90);
    Emit(MakeDevice("shipping", "pack-1"), "packed", Operator());
    Gap(30, 300);
    Emit(MakeDevice("shipping", "scanner-1", true), "shipped");
  }

  void Return() {
    Gap(6 * 60, 30 * 60);
    Emit(MakeDevice("shipping", "returns"), "returned", {{"reason", rng_.Pick(kReturnReasons)}});
  }

  Rng& rng_;
  OrderSpec spec_;
  Millis clock_{0};
  std::vector<Draft> drafts_;
};

// ---------------------------------------------------------------------------
// Placing orders on the timeline.

// What a device-day message tells the summary (--devices).
struct Note {
  enum Kind { kNone, kPrintStarted, kPrintPassed, kPrintFailed, kTreeCast, kScan, kMisread };
  Kind kind = kNone;
  std::size_t index = 0;  // the plate or tree
  std::string text;       // a scan's stage; a misread's code
  bool rework = false;    // a scan: the polish after a failed QC
};

struct Event {
  TimePoint ts;
  std::uint64_t seq = 0;  // generation order, breaks ts ties
  Device device;          // who published it (topic below the prefix)
  json body;              // a canonical event, without event_id and ts
  std::string format;     // a device message: its format (octoprint, scan...); "" = canonical
  std::string payload;    // a device message: the bytes as the device sends them
  Note note;
};

struct OrderOutcome {
  std::string order_id;
  bool shipped = false;
  bool returned = false;
};

std::size_t IndexOfStage(const std::vector<Draft>& drafts, const char* stage) {
  for (std::size_t i = 0; i < drafts.size(); ++i)
    if (drafts[i].body["stage"] == stage) return i;
  return drafts.size();
}

// Chooses the confirmation time; open orders are cut before shipping. Events
// after the end of the period have not happened yet and are dropped.
OrderOutcome PlaceOrder(std::vector<Draft> drafts, const Period& period, Rng& rng,
                        std::vector<Event>& out) {
  OrderOutcome outcome{drafts.front().body["order_id"].get<std::string>()};
  std::size_t shipped = IndexOfStage(drafts, "shipped");
  double period_ms = static_cast<double>(period.Length().count());
  // Start early enough for the whole flow to fit, else for shipping to fit.
  double slack_ms = period_ms - static_cast<double>(drafts.back().at.count());
  if (slack_ms <= 0) slack_ms = period_ms - static_cast<double>(drafts[shipped].at.count());
  bool stays_open = rng.Chance(0.10);
  if (stays_open) drafts.resize(static_cast<std::size_t>(rng.Int(1, shipped)));
  if (stays_open || slack_ms <= 0) slack_ms = period_ms;
  TimePoint confirmed = period.start + Millis{std::llround(rng.Real() * slack_ms)};
  for (Draft& d : drafts) {
    TimePoint ts = confirmed + d.at;
    if (ts > period.end) break;
    if (d.promised_in) d.body["promised_at"] = FormatRfc3339(confirmed + *d.promised_in);
    outcome.shipped |= d.body["stage"] == "shipped";
    outcome.returned |= d.body["stage"] == "returned";
    out.push_back(Event{ts, out.size(), std::move(d.device), std::move(d.body), "", "", Note{}});
  }
  return outcome;
}

struct Floor {
  std::vector<Event> events;  // sorted by ts
  std::vector<OrderOutcome> orders;
  json devices;  // --devices: what the summary adds (plates, trees, scans...); else null
};

// Extra kinds (docs/events.md): the pieces in each order, what customers
// say after delivery (feedback with a score, reviews, shares, referrals)
// and, `with_shifts`, the operators' shifts. Drawn from their own
// generator, so a seed's production events stay exactly what they were
// before extra kinds.
void AddExtraKinds(const Options& o, const Period& period, bool with_shifts,
                   std::vector<Event>& events) {
  Rng rng(o.seed * 0x9E3779B97F4A7C15ULL + 0x5EED);
  const Device web = MakeDevice("shop", "web");
  std::vector<Event> extra;
  auto add = [&](TimePoint ts, const Device& device, json body) {
    if (ts > period.end) return;  // has not happened yet
    body["station"] = device.station;
    extra.push_back(Event{ts, 0, device, std::move(body), "", "", Note{}});
  };
  for (Event& e : events) {
    if (!e.format.empty() || !e.body.is_object() || !e.body.contains("stage")) continue;
    const std::string stage = e.body["stage"].get<std::string>();
    if (stage == "confirmed") e.body["items"] = rng.Chance(0.7) ? 1 : rng.Int(2, 4);
    if (stage != "shipped") continue;
    const std::string order = e.body["order_id"].get<std::string>();
    auto after = [&](double min_h, double max_h) {
      return e.ts + Millis{std::llround(rng.Real(min_h, max_h) * 3'600'000)};
    };
    if (rng.Chance(0.5))
      add(after(24, 96), web,
          {{"order_id", order},
           {"stage", "feedback"},
           {"score", rng.Chance(0.8) ? rng.Int(8, 10) : rng.Int(3, 7)}});
    if (rng.Chance(0.25)) add(after(24, 120), web, {{"order_id", order}, {"stage", "review"}});
    if (rng.Chance(0.10)) add(after(2, 48), web, {{"order_id", order}, {"stage", "share"}});
    if (rng.Chance(0.05)) add(after(48, 240), web, {{"order_id", order}, {"stage", "referral"}});
  }
  // Each operator clocks in around 07:00-08:00 UTC and out around
  // 15:30-16:30 on every day of the period; a shift the period cuts is
  // still open.
  const Device clock = MakeDevice("station", "timeclock");
  const auto first_day = std::chrono::floor<std::chrono::days>(period.start);
  for (auto day = first_day; with_shifts && day <= period.end; day += std::chrono::days(1)) {
    for (const std::string& name : kOperators) {
      const TimePoint in = day + Millis{std::llround(rng.Real(7, 8) * 3'600'000)};
      const TimePoint out = day + Millis{std::llround(rng.Real(15.5, 16.5) * 3'600'000)};
      if (in < period.start) continue;
      add(in, clock, {{"stage", "shift_start"}, {"operator", name}});
      add(out, clock, {{"stage", "shift_end"}, {"operator", name}});
    }
  }
  for (Event& e : extra) {
    e.seq = events.size();
    events.push_back(std::move(e));
  }
}

Floor GenerateFloor(const Options& o, const Period& period, Rng& rng) {
  Floor floor;
  std::vector<std::string> customers;
  double days = static_cast<double>(period.Length().count()) / 86'400'000.0;
  double scale = std::clamp(days / 2, 0.02, 1.0);
  for (int n = 1; n <= o.orders; ++n) {
    OrderSpec spec{"ord-" + std::to_string(o.seed) + "-" + std::to_string(n), "", scale};
    if (!customers.empty() && rng.Chance(0.25)) {
      spec.customer_id = rng.Pick(customers);
    } else {
      customers.push_back("cust-" + std::to_string(o.seed) + "-" + std::to_string(n));
      spec.customer_id = customers.back();
    }
    auto drafts = OrderBuilder(rng, spec).Build();
    floor.orders.push_back(PlaceOrder(std::move(drafts), period, rng, floor.events));
  }
  AddExtraKinds(o, period, /*with_shifts=*/true, floor.events);
  std::sort(floor.events.begin(), floor.events.end(), [](const Event& a, const Event& b) {
    return a.ts != b.ts ? a.ts < b.ts : a.seq < b.seq;
  });
  return floor;
}

// ---------------------------------------------------------------------------
// The device day (--devices): the same workshop, published the way its
// devices speak (docs/devices.md). The order system confirms orders, the
// caster records its trees and shipping ships (canonical events); build
// plates are printed by three printers in their own formats; the benches
// publish bare scans.

constexpr const char* kOrdersFromJob = "ord-[0-9]+-[0-9]+";
constexpr const char* kBatchFromJob = "PLATE-[0-9]+";
constexpr const char* kResin = "castable-resin";
constexpr double kResinDensity = 1.1;  // g/ml: [material_density_g_per_ml]
constexpr double kFilamentDiameterMm = 1.75;
constexpr double kSilverDensity = 10.4;  // g/ml of silver-925
constexpr double kMisreadShare = 0.03;   // scans preceded by a misread of their code
constexpr const char* kSdcpMainboard = "5A7E3C9D1B2F4068";
constexpr const char* kSdcpConnection = "0d6c6a1f3e2b4c59a8e7f1b2c3d4e5f6";  // SDCP's "Id"
constexpr double kKlipperClockAtStart = 4000;  // Klipper's monotonic clock at the period start, s

const std::vector<std::string> kKlipperErrors = {
    "Move out of range: 312.000 10.000 0.200 [35.120]",
    "MCU 'mcu' shutdown: Timer too close",
    "Heater extruder not heating at expected rate",
};

// The benches: the topic level after the prefix, the stage a scan there
// records, and how many benches of that kind there are.
struct Bench {
  const char* kind;
  const char* stage;
  int count;
};
const std::vector<Bench> kBenches = {
    {"polish", "polished", 3}, {"setting", "stone_set", 2}, {"qc", "qc", 1}, {"pack", "packed", 1}};

std::string TomlString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::size_t TopicLevelCount(const std::string& topic) {
  return static_cast<std::size_t>(std::count(topic.begin(), topic.end(), '/')) + 1;
}

// The [[source]]s (and densities) floortrackd needs to read the device day
// published under `prefix`.
std::string DeviceSourcesToml(const std::string& prefix) {
  const std::string p = prefix + "/";
  const std::string station = "\"{" + std::to_string(TopicLevelCount(prefix) + 2) + "}\"";
  std::string out;
  auto line = [&out](const std::string& text) { out += text + "\n"; };
  auto jobs = [&line] {
    line("orders_from_job = " + TomlString(kOrdersFromJob));
    line("batch_from_job = " + TomlString(kBatchFromJob));
  };
  line("# The sources of a `floortrack-sim --devices` day (topic prefix " + TomlString(prefix) +
       "): append");
  line("# them to floortrackd's config (docs/events.md, \"Testing with the simulator\").");
  line("[material_density_g_per_ml]");
  line(TomlString(kResin) + " = " + json(kResinDensity).dump());
  line("");
  line("# OctoPrint with OctoPrint-MQTT, base topic " + p + "octoprint/octo-1/");
  line("[[source]]");
  line("topics = [" + TomlString(p + "octoprint/+/#") + "]");
  line("format = \"octoprint\"");
  line("station = " + station);
  jobs();
  line("");
  line("# Klipper through Moonraker, instance_name " + p + "moonraker/voron-1");
  line("[[source]]");
  line("topics = [" + TomlString(p + "moonraker/+/klipper/status") + ", " +
       TomlString(p + "moonraker/+/moonraker/status") + "]");
  line("format = \"moonraker\"");
  line("station = " + station);
  jobs();
  line("material = " + TomlString(kResin));
  line("filament_diameter_mm = " + json(kFilamentDiameterMm).dump());
  line("");
  line(std::string("# An Elegoo resin printer (SDCP v1) through the relay's bridge, MainboardID ") +
       kSdcpMainboard);
  line("[[source]]");
  line("topics = [" + TomlString(p + "elegoo/sdcp/+/" + kSdcpMainboard) + "]");
  line("format = \"sdcp\"");
  line("station = \"saturn-1\"");
  jobs();
  line("");
  line("# Bench scanners. A real bench keeps debounce_s at its default (5); the simulator");
  line("# publishes a day's scans within seconds, where debouncing would swallow rework scans.");
  for (const Bench& b : kBenches) {
    line("[[source]]");
    line("topics = [" + TomlString(p + b.kind + "/+/scan") + "]");
    line("format = \"scan\"");
    line(std::string("stage = \"") + b.stage + "\"");
    line("station = " + station);
    line("debounce_s = 0");
    if (&b != &kBenches.back()) line("");
  }
  return out;
}

// One order of the device day.
struct DayOrder {
  std::string order_id;
  TimePoint confirmed;
  double metal_g = 0;  // its pieces on the casting tree, silver
  double resin_g = 0;  // its share of a build plate, supports included
  bool stones = false;
  std::optional<TimePoint> cast;
};

struct Plate {
  std::string batch_id;
  std::vector<std::size_t> orders;  // indexes into the day's orders
  TimePoint ready;
  std::string printer, format, job;
};

struct Tree {
  std::string batch_id;
  json orders;    // [{"order_id", "weight_g"}]
  json material;  // {"type", "used_g", "scrap_g", "recovered_g"}
};

class DeviceDay {
 public:
  DeviceDay(const Options& o, const Period& period, Rng& rng) : o_(o), period_(period), rng_(rng) {
    double days = static_cast<double>(period.Length().count()) / 86'400'000.0;
    scale_ = std::clamp(days / 2, 0.02, 1.0);
  }

  Floor Generate() {
    Greet();
    ConfirmOrders();
    PrintPlates();
    CastTrees();
    FinishOrders();
    AddMisreads();
    // No shifts: the benches' bare scans name no operator, so staff-hours
    // would meet no pieces (labor_pieces_per_hour stays "no data").
    AddExtraKinds(o_, period_, /*with_shifts=*/false, events_);
    return Publishable();
  }

 private:
  enum class Kind { kOctoPrint, kMoonraker, kSdcp };
  struct Printer {
    Kind kind;
    std::string station, format, extension;
    TimePoint free_at;
  };

  Millis Gap(double min_minutes, double max_minutes) {
    return Millis{std::llround(rng_.Real(min_minutes, max_minutes) * scale_ * 60000)};
  }

  void Canonical(TimePoint ts, Device device, json body, Note note = {}) {
    events_.push_back(
        Event{ts, events_.size(), std::move(device), std::move(body), "", "", std::move(note)});
  }

  void Raw(TimePoint ts, const std::string& topic, const char* format, std::string payload,
           Note note = {}) {
    events_.push_back(Event{ts, events_.size(), Device{topic, "", false}, json(), format,
                            std::move(payload), std::move(note)});
  }

  static std::int64_t UnixSeconds(TimePoint t) { return EpochMs(t) / 1000; }

  double KlipperClock(TimePoint t) const {
    double s = kKlipperClockAtStart + static_cast<double>((t - period_.start).count()) / 1000.0;
    return std::round(s * 1000) / 1000;
  }

  // What each printer says when the day begins (connected, idle).
  void Greet() {
    printers_ = {{Kind::kOctoPrint, "octo-1", "octoprint", ".gcode", period_.start},
                 {Kind::kMoonraker, "voron-1", "moonraker", ".gcode", period_.start},
                 {Kind::kSdcp, "saturn-1", "sdcp", ".goo", period_.start}};
    TimePoint t = period_.start;
    Raw(t, "octoprint/octo-1/event/Connected", "octoprint",
        json{{"_event", "Connected"},
             {"_timestamp", UnixSeconds(t)},
             {"port", "/dev/ttyACM0"},
             {"baudrate", 115200}}
            .dump());
    Raw(t, "moonraker/voron-1/moonraker/status", "moonraker", json{{"server", "online"}}.dump());
    Raw(t, "moonraker/voron-1/klipper/status", "moonraker",
        json{{"eventtime", KlipperClock(t)},
             {"status",
              {{"print_stats",
                {{"filename", ""},
                 {"total_duration", 0.0},
                 {"print_duration", 0.0},
                 {"filament_used", 0.0},
                 {"state", "standby"},
                 {"message", ""},
                 {"info", {{"total_layer", nullptr}, {"current_layer", nullptr}}}}}}}}
            .dump());
    Raw(t, SdcpTopic(), "sdcp", SdcpStatus(t, 0, 0, 0, 0, 0, 0, ""));
  }

  void ConfirmOrders() {
    std::vector<std::string> customers;
    const double length_ms = static_cast<double>(period_.Length().count());
    for (int n = 1; n <= o_.orders; ++n) {
      DayOrder order;
      order.order_id = "ord-" + std::to_string(o_.seed) + "-" + std::to_string(n);
      std::string customer;
      if (!customers.empty() && rng_.Chance(0.25)) {
        customer = rng_.Pick(customers);
      } else {
        customers.push_back("cust-" + std::to_string(o_.seed) + "-" + std::to_string(n));
        customer = customers.back();
      }
      const Product& product =
          kProducts[static_cast<std::size_t>(rng_.Int(0, kProducts.size() - 1))];
      // Most orders come early enough to be shipped within the period.
      double at = rng_.Chance(0.10) ? rng_.Real(0.6, 1.0) : rng_.Real(0.0, 0.6);
      order.confirmed = period_.start + Millis{std::llround(at * length_ms)};
      json body{{"order_id", order.order_id},
                {"stage", "confirmed"},
                {"station", "web"},
                {"value", Round2(rng_.Real(product.min_value, product.max_value))},
                {"currency", "EUR"},
                {"customer_id", customer},
                {"product", product.name},
                {"personalized", rng_.Chance(0.7)}};
      double promised_minutes = rng_.Real(0.8, 1.6) * 18 * 60 * scale_;
      body["promised_at"] =
          FormatRfc3339(order.confirmed + Millis{std::llround(promised_minutes * 60000)});
      order.metal_g = Round1(rng_.Real(product.min_metal_g, product.max_metal_g));
      order.resin_g = order.metal_g / kSilverDensity * kResinDensity * rng_.Real(1.4, 1.8);
      order.stones = rng_.Chance(product.stone_chance);
      Canonical(order.confirmed, MakeDevice("shop", "web"), std::move(body));
      orders_.push_back(std::move(order));
    }
  }

  // Orders go onto build plates of 2-5 in the order they came in; each plate
  // goes to a printer that is free (else the one free first). A failed print
  // is printed again on the same printer.
  void PrintPlates() {
    std::vector<std::size_t> by_time(orders_.size());
    for (std::size_t i = 0; i < by_time.size(); ++i) by_time[i] = i;
    std::stable_sort(by_time.begin(), by_time.end(), [this](std::size_t a, std::size_t b) {
      return orders_[a].confirmed < orders_[b].confirmed;
    });
    for (std::size_t i = 0; i < by_time.size();) {
      std::size_t remaining = by_time.size() - i;
      auto k = static_cast<std::size_t>(rng_.Int(2, 5));
      k = std::min(k, remaining);
      if (remaining - k == 1) k = k < 5 ? k + 1 : k - 1;  // no plate of one
      Plate plate;
      plate.batch_id = "PLATE-" + std::to_string(plates_.size() + 1);
      plate.orders.assign(by_time.begin() + static_cast<std::ptrdiff_t>(i),
                          by_time.begin() + static_cast<std::ptrdiff_t>(i + k));
      plate.ready = orders_[plate.orders.back()].confirmed + Gap(30, 240);  // slicing, supports
      plates_.push_back(std::move(plate));
      i += k;
    }
    std::vector<std::size_t> by_ready(plates_.size());
    for (std::size_t i = 0; i < by_ready.size(); ++i) by_ready[i] = i;
    std::stable_sort(by_ready.begin(), by_ready.end(), [this](std::size_t a, std::size_t b) {
      return plates_[a].ready < plates_[b].ready;
    });
    for (std::size_t index : by_ready) Print(index);
  }

  Printer& PrinterFor(TimePoint ready) {
    std::vector<std::size_t> free;
    for (std::size_t i = 0; i < printers_.size(); ++i)
      if (printers_[i].free_at <= ready) free.push_back(i);
    if (!free.empty())
      return printers_[free[static_cast<std::size_t>(rng_.Int(0, free.size() - 1))]];
    return *std::min_element(
        printers_.begin(), printers_.end(),
        [](const Printer& a, const Printer& b) { return a.free_at < b.free_at; });
  }

  void Print(std::size_t index) {
    Plate& plate = plates_[index];
    Printer& printer = PrinterFor(plate.ready);
    plate.printer = printer.station;
    plate.format = printer.format;
    plate.job = plate.batch_id;
    double resin_g = 0;
    for (std::size_t o : plate.orders) {
      plate.job += "_" + orders_[o].order_id;
      resin_g += orders_[o].resin_g;
    }
    plate.job += printer.extension;
    TimePoint ready = plate.ready;
    for (int attempt = 1;; ++attempt) {
      TimePoint start = std::max(ready, printer.free_at);
      Millis full = std::max(Gap(40, 120), Millis{60'000});
      bool fail = attempt < 3 && rng_.Chance(0.12);
      double done = fail ? rng_.Real(0.1, 0.8) : 1.0;  // the share printed
      TimePoint end = start + std::max(Millis{std::llround(done * full.count())}, Millis{6'000});
      Job job{index, plate.job, start, end, full, resin_g, done, fail};
      switch (printer.kind) {
        case Kind::kOctoPrint:
          OctoPrintJob(printer, job);
          break;
        case Kind::kMoonraker:
          MoonrakerJob(printer, job);
          break;
        case Kind::kSdcp:
          SdcpJob(job);
          break;
      }
      printer.free_at = end + std::max(Gap(5, 20), Millis{10'000});  // plate off, vat cleaned
      if (!fail) {
        for (std::size_t o : plate.orders) printed_.emplace_back(end, o);
        return;
      }
      ready = end + Gap(10, 60);
    }
  }

  struct Job {
    std::size_t plate;
    std::string file;
    TimePoint start, end;
    Millis full;     // how long the whole print takes
    double resin_g;  // the whole plate's
    double done;     // the share printed before it ended
    bool fail;
  };

  static Note PrintNote(Note::Kind kind, const Job& job) {
    return Note{kind, job.plate, "", false};
  }

  // OctoPrint-MQTT: <base>event/<Event> with _timestamp in whole seconds; a
  // cancel is PrintCancelled then PrintFailed (reason "cancelled").
  void OctoPrintJob(const Printer& printer, const Job& job) {
    const std::string base = "octoprint/" + printer.station + "/";
    const std::string user = rng_.Pick(kOperators);
    const std::int64_t size = rng_.Int(400'000, 3'000'000);
    auto payload = [&](const char* event, TimePoint t) {
      return json{{"_event", event},   {"_timestamp", UnixSeconds(t)},
                  {"name", job.file},  {"path", "plates/" + job.file},
                  {"origin", "local"}, {"size", size},
                  {"owner", user},     {"user", user}};
    };
    Raw(job.start, base + "event/PrintStarted", "octoprint",
        payload("PrintStarted", job.start).dump(), PrintNote(Note::kPrintStarted, job));
    TimePoint mid = job.start + (job.end - job.start) / 2;
    Raw(mid, base + "progress/printing", "octoprint",
        json{{"_timestamp", UnixSeconds(mid)},
             {"progress", std::lround(50 * job.done)},
             {"location", "local"},
             {"path", "plates/" + job.file}}
            .dump());
    double seconds = Round2(static_cast<double>((job.end - job.start).count()) / 1000.0);
    if (!job.fail) {
      json done = payload("PrintDone", job.end);
      done["time"] = seconds;
      Raw(job.end, base + "event/PrintDone", "octoprint", done.dump(),
          PrintNote(Note::kPrintPassed, job));
      return;
    }
    bool cancel = rng_.Chance(0.5);
    if (cancel) {
      json cancelled = payload("PrintCancelled", job.end);
      cancelled["time"] = seconds;
      Raw(job.end, base + "event/PrintCancelled", "octoprint", cancelled.dump(),
          PrintNote(Note::kPrintFailed, job));
    }
    // OctoPrint fires PrintFailed after PrintCancelled, at times a second later.
    TimePoint failed_at = cancel && rng_.Chance(0.5) ? job.end + Millis{1000} : job.end;
    json failed = payload("PrintFailed", failed_at);
    failed["time"] = seconds;
    failed["reason"] = cancel ? "cancelled" : "error";
    Raw(failed_at, base + "event/PrintFailed", "octoprint", failed.dump(),
        cancel ? Note{} : PrintNote(Note::kPrintFailed, job));
  }

  // Moonraker: <instance>/klipper/status, print_stats deltas timed by
  // Klipper's own clock (eventtime); filament_used in mm.
  void MoonrakerJob(const Printer& printer, const Job& job) {
    const std::string topic = "moonraker/" + printer.station + "/klipper/status";
    // The plate's resin as 1.75 mm filament: g / (g/ml) * 1000 = mm³, / cross-section.
    const double area = std::numbers::pi * (kFilamentDiameterMm / 2) * (kFilamentDiameterMm / 2);
    const double filament_mm = job.resin_g / kResinDensity * 1000 / area;
    auto status = [&](TimePoint t, json print_stats) {
      return json{{"eventtime", KlipperClock(t)}, {"status", {{"print_stats", print_stats}}}}
          .dump();
    };
    auto since_start = [&](TimePoint t) {
      return Round2(static_cast<double>((t - job.start).count()) / 1000.0);
    };
    // SDCARD_PRINT_FILE: the file is loaded (print_stats reset), then printing.
    Raw(job.start, topic, "moonraker",
        status(job.start, {{"filename", job.file},
                           {"total_duration", 0.0},
                           {"print_duration", 0.0},
                           {"filament_used", 0.0},
                           {"state", "standby"},
                           {"message", ""}}));
    TimePoint printing = job.start + Millis{250};
    Raw(printing, topic, "moonraker",
        status(printing, {{"state", "printing"}, {"total_duration", 0.25}}),
        PrintNote(Note::kPrintStarted, job));
    TimePoint mid = job.start + (job.end - job.start) / 2;
    Raw(mid, topic, "moonraker",
        status(mid, {{"filament_used", Round1(filament_mm * job.done / 2)},
                     {"print_duration", since_start(mid)},
                     {"total_duration", since_start(mid)}}));
    json end{{"filament_used", Round1(filament_mm * job.done)},
             {"print_duration", since_start(job.end)},
             {"total_duration", since_start(job.end)}};
    if (!job.fail) {
      end["state"] = "complete";
    } else if (rng_.Chance(0.5)) {
      end["state"] = "cancelled";
    } else {
      end["state"] = "error";
      end["message"] = rng_.Pick(kKlipperErrors);
    }
    Raw(job.end, topic, "moonraker", status(job.end, end),
        PrintNote(job.fail ? Note::kPrintFailed : Note::kPrintPassed, job));
  }

  static std::string SdcpTopic() { return std::string("elegoo/sdcp/status/") + kSdcpMainboard; }

  // An SDCP v1 status as the relay's bridge delivers it; TimeStamp in Unix
  // seconds (so the events carry the printer's time).
  static std::string SdcpStatus(TimePoint t, int current, int previous, int status,
                                std::int64_t layer, std::int64_t layers,
                                std::int64_t ticks_per_layer, const std::string& file) {
    json print_info{{"Status", status},
                    {"CurrentLayer", layer},
                    {"TotalLayer", layers},
                    {"CurrentTicks", layer * ticks_per_layer},
                    {"TotalTicks", layers * ticks_per_layer},
                    {"ErrorNumber", 0},
                    {"Filename", file}};
    json transfer{{"Status", 0},
                  {"DownloadOffset", 0},
                  {"CheckOffset", 0},
                  {"FileTotalSize", 0},
                  {"Filename", ""}};
    return json{{"Id", kSdcpConnection},
                {"Data",
                 {{"Status",
                   {{"CurrentStatus", current},
                    {"PreviousStatus", previous},
                    {"PrintInfo", std::move(print_info)},
                    {"FileTransferInfo", std::move(transfer)}}},
                  {"MainboardID", kSdcpMainboard},
                  {"TimeStamp", UnixSeconds(t)}}}}
        .dump();
  }

  // SDCP: homing (1), exposing (2), then complete (16), or stopping (7) and
  // stopped (8) when the operator stops a failed print.
  void SdcpJob(const Job& job) {
    const std::int64_t layers = rng_.Int(150, 420);
    const std::int64_t ticks = 7400;
    const auto reached = std::max<std::int64_t>(1, std::llround(layers * job.done));
    Raw(job.start, SdcpTopic(), "sdcp", SdcpStatus(job.start, 1, 0, 1, 0, layers, ticks, job.file),
        PrintNote(Note::kPrintStarted, job));
    TimePoint mid = job.start + (job.end - job.start) / 2;
    Raw(mid, SdcpTopic(), "sdcp",
        SdcpStatus(mid, 1, 0, 2, std::max<std::int64_t>(1, reached / 2), layers, ticks, job.file));
    if (!job.fail) {
      Raw(job.end, SdcpTopic(), "sdcp",
          SdcpStatus(job.end, 0, 1, 16, layers, layers, ticks, job.file),
          PrintNote(Note::kPrintPassed, job));
      return;
    }
    TimePoint stopping = job.end - Millis{2000};
    Raw(stopping, SdcpTopic(), "sdcp",
        SdcpStatus(stopping, 1, 0, 7, reached, layers, ticks, job.file));
    Raw(job.end, SdcpTopic(), "sdcp",
        SdcpStatus(job.end, 0, 1, 8, reached, layers, ticks, job.file),
        PrintNote(Note::kPrintFailed, job));
  }

  // Printed orders go onto casting trees of 4-10 in the order their plates
  // came off the printers; one caster casts one tree at a time, in silver.
  void CastTrees() {
    std::stable_sort(printed_.begin(), printed_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    TimePoint caster_free = period_.start;
    for (std::size_t i = 0; i < printed_.size();) {
      auto k = std::min(static_cast<std::size_t>(rng_.Int(4, 10)), printed_.size() - i);
      TimePoint last = printed_[i + k - 1].first;
      TimePoint at = std::max(last + Gap(60, 300), caster_free);  // investing, burnout
      caster_free = at + Gap(30, 90);
      Tree tree;
      tree.batch_id = "TREE-" + std::to_string(trees_.size() + 1);
      tree.orders = json::array();
      double pieces = 0;
      for (std::size_t j = i; j < i + k; ++j) {
        DayOrder& order = orders_[printed_[j].second];
        order.cast = at;
        tree.orders.push_back({{"order_id", order.order_id}, {"weight_g", order.metal_g}});
        pieces += order.metal_g;
      }
      // Melted: the pieces, the sprues and the button; all but the pieces
      // is scrap, most of it back to stock.
      double used = Round1(pieces * rng_.Real(1.35, 1.7));
      double scrap = Round1(used - pieces);
      double recovered = Round1(scrap * rng_.Real(0.88, 0.97));
      tree.material = {
          {"type", "silver-925"}, {"used_g", used}, {"scrap_g", scrap}, {"recovered_g", recovered}};
      Canonical(at, MakeDevice("casting", "cast-1"),
                json{{"batch_id", tree.batch_id},
                     {"stage", "cast"},
                     {"station", "cast-1"},
                     {"orders", tree.orders},
                     {"material", tree.material}},
                Note{Note::kTreeCast, trees_.size(), "", false});
      trees_.push_back(std::move(tree));
      i += k;
    }
  }

  void Scan(TimePoint t, const Bench& bench, const DayOrder& order, bool rework = false) {
    std::string station = std::string(bench.kind) + "-" + std::to_string(rng_.Int(1, bench.count));
    Raw(t, std::string(bench.kind) + "/" + station + "/scan", "scan", order.order_id + "\r\n",
        Note{Note::kScan, 0, bench.stage, rework});
  }

  // From the tree to the customer: polish, stones, QC (a failure is polished
  // again and inspected again), packing (scans); shipping and returns
  // (canonical).
  void FinishOrders() {
    const Bench& polish = kBenches[0];
    const Bench& setting = kBenches[1];
    const Bench& qc = kBenches[2];
    const Bench& pack = kBenches[3];
    for (const DayOrder& order : orders_) {
      if (!order.cast) continue;
      TimePoint t = *order.cast + Gap(60, 240);
      Scan(t, polish, order);
      if (order.stones) {
        t += Gap(30, 180);
        Scan(t, setting, order);
      }
      t += Gap(20, 120);
      for (int attempt = 1; attempt < 3 && rng_.Chance(0.10); ++attempt) {
        Scan(t, qc, order);  // failed: back to the polishing bench
        t += Gap(30, 180);
        Scan(t, polish, order, true);
        t += Gap(20, 60);
      }
      Scan(t, qc, order);
      t += Gap(10, 90);
      Scan(t, pack, order);
      t += Gap(30, 300);
      Canonical(t, MakeDevice("shipping", "scanner-1", true),
                json{{"order_id", order.order_id}, {"stage", "shipped"}, {"station", "scanner-1"}});
      if (rng_.Chance(0.05)) {
        t += Gap(6 * 60, 30 * 60);
        Canonical(t, MakeDevice("shipping", "returns"),
                  json{{"order_id", order.order_id},
                       {"stage", "returned"},
                       {"station", "returns"},
                       {"reason", rng_.Pick(kReturnReasons)}});
      }
    }
  }

  // A code the scanner got wrong: still made of code characters, so it is
  // rejected as an unknown order rather than as an unreadable code.
  std::string Misread(const std::string& code, const std::vector<std::string>& known) {
    std::string wrong = code;
    switch (rng_.Int(0, 2)) {
      case 0:
        break;
      case 1:  // the last character lost
        wrong.pop_back();
        break;
      default:  // the last two swapped
        std::swap(wrong[wrong.size() - 1], wrong[wrong.size() - 2]);
        break;
    }
    if (wrong == code || wrong.empty() ||
        std::find(known.begin(), known.end(), wrong) != known.end()) {
      wrong = code;
      auto o = wrong.find('o');
      if (o != std::string::npos)
        wrong[o] = '0';  // "0rd-...": O read as zero
      else
        wrong = "X" + wrong;
    }
    return wrong;
  }

  // A few scans within the period are preceded by a misread of their code
  // at the same bench (the operator scans again).
  void AddMisreads() {
    std::vector<std::size_t> scans;
    for (std::size_t i = 0; i < events_.size(); ++i)
      if (events_[i].note.kind == Note::kScan && events_[i].ts <= period_.end) scans.push_back(i);
    if (scans.empty()) return;
    auto count = std::max<std::size_t>(
        1,
        static_cast<std::size_t>(std::llround(static_cast<double>(scans.size()) * kMisreadShare)));
    std::vector<std::string> known;
    for (const DayOrder& order : orders_) known.push_back(order.order_id);
    for (const Plate& plate : plates_) known.push_back(plate.batch_id);
    for (const Tree& tree : trees_) known.push_back(tree.batch_id);
    for (std::size_t k = 0; k < count && k < scans.size(); ++k) {
      std::swap(scans[k], scans[static_cast<std::size_t>(rng_.Int(k, scans.size() - 1))]);
      const Event scan = events_[scans[k]];
      std::string code = scan.payload.substr(0, scan.payload.size() - 2);  // without "\r\n"
      std::string wrong = Misread(code, known);
      TimePoint at = scan.ts - Millis{std::llround(rng_.Real(2, 10) * 1000)};
      Raw(at, scan.device.topic, "scan", wrong + "\r\n", Note{Note::kMisread, 0, wrong, false});
    }
  }

  // What happened by the end of the period, in time order, and its summary.
  Floor Publishable() {
    Floor floor;
    for (Event& e : events_)
      if (e.ts <= period_.end) floor.events.push_back(std::move(e));
    std::sort(floor.events.begin(), floor.events.end(), [](const Event& a, const Event& b) {
      return a.ts != b.ts ? a.ts < b.ts : a.seq < b.seq;
    });
    std::map<std::string, std::size_t> order_index;
    for (const DayOrder& order : orders_) {
      order_index[order.order_id] = floor.orders.size();
      floor.orders.push_back(OrderOutcome{order.order_id});
    }
    struct PlateTally {
      int prints = 0, failed = 0;
      bool printed = false;
    };
    std::map<std::size_t, PlateTally> plates;
    std::vector<std::size_t> trees;
    std::map<std::string, std::size_t> messages, scans_by_stage;
    std::size_t scans = 0, reworks = 0;
    json misreads = json::array(), shipped = json::array();
    for (const Event& e : floor.events) {
      if (!e.format.empty()) ++messages[e.format];
      if (e.format.empty() && e.body.contains("order_id")) {
        OrderOutcome& outcome = floor.orders[order_index.at(e.body["order_id"].get<std::string>())];
        if (e.body["stage"] == "shipped") {
          outcome.shipped = true;
          shipped.push_back(outcome.order_id);
        }
        outcome.returned |= e.body["stage"] == "returned";
      }
      switch (e.note.kind) {
        case Note::kPrintStarted:
          ++plates[e.note.index].prints;
          break;
        case Note::kPrintPassed:
          plates[e.note.index].printed = true;
          break;
        case Note::kPrintFailed:
          ++plates[e.note.index].failed;
          break;
        case Note::kTreeCast:
          trees.push_back(e.note.index);
          break;
        case Note::kScan:
          ++scans;
          ++scans_by_stage[e.note.text];
          reworks += e.note.rework;
          break;
        case Note::kMisread:
          misreads.push_back(e.note.text);
          break;
        case Note::kNone:
          break;
      }
    }
    json plate_list = json::array(), tree_list = json::array();
    for (const auto& [index, tally] : plates) {
      const Plate& plate = plates_[index];
      json orders = json::array();
      for (std::size_t o : plate.orders) orders.push_back(orders_[o].order_id);
      plate_list.push_back({{"batch_id", plate.batch_id},
                            {"printer", plate.printer},
                            {"format", plate.format},
                            {"job", plate.job},
                            {"orders", orders},
                            {"prints", tally.prints},
                            {"failed", tally.failed},
                            {"printed", tally.printed}});
    }
    for (std::size_t index : trees)
      tree_list.push_back({{"batch_id", trees_[index].batch_id},
                           {"orders", trees_[index].orders},
                           {"material", trees_[index].material}});
    floor.devices =
        json{{"devices", true},
             {"device_messages", messages},
             {"plates", plate_list},
             {"trees", tree_list},
             {"scans", {{"total", scans}, {"by_stage", scans_by_stage}, {"qc_reworks", reworks}}},
             {"misreads", misreads},
             {"shipped_order_ids", shipped}};
    return floor;
  }

  const Options& o_;
  const Period& period_;
  Rng& rng_;
  double scale_ = 1;
  std::vector<Event> events_;
  std::vector<DayOrder> orders_;
  std::vector<Plate> plates_;
  std::vector<Printer> printers_;
  std::vector<std::pair<TimePoint, std::size_t>> printed_;  // plate off the printer, order
  std::vector<Tree> trees_;
};

// ---------------------------------------------------------------------------
// Messages: valid events, duplicates and garbage, in publish order.

struct Message {
  double key = 0;  // publish position; sorted before publishing
  std::string topic;
  std::string payload;
};

struct Tally {
  std::size_t valid = 0;
  std::size_t duplicate_identical = 0;
  std::size_t duplicate_same_event_id = 0;
  std::map<std::string, std::size_t> garbage;
  std::map<std::string, std::size_t> stages;
  std::size_t Garbage() const {
    std::size_t n = 0;
    for (const auto& [kind, count] : garbage) n += count;
    return n;
  }
};

class MessageBuilder {
 public:
  MessageBuilder(const Options& o, Rng& rng) : o_(o), rng_(rng) {}

  std::vector<Message> Build(const Floor& floor, const Period& period) {
    AddEvents(floor.events);
    AddDuplicates();
    AddGarbage(floor, period);
    std::stable_sort(messages_.begin(), messages_.end(),
                     [](const Message& a, const Message& b) { return a.key < b.key; });
    return std::move(messages_);
  }

  const Tally& tally() const { return tally_; }

 private:
  std::string Topic(const std::string& device_topic) const {
    return o_.topic_prefix + "/" + device_topic;
  }

  // Valid events keep their time order; with --shuffle some arrive a few places late.
  // Device messages (--devices) are published as the device sends them.
  void AddEvents(const std::vector<Event>& events) {
    for (const Event& e : events) {
      if (!e.format.empty()) {
        messages_.push_back(
            Message{static_cast<double>(messages_.size()), Topic(e.device.topic), e.payload});
        continue;
      }
      canonical_.push_back(messages_.size());
      json body{
          {"event_id", "sim-" + std::to_string(o_.seed) + "-" + std::to_string(++tally_.valid)}};
      body.update(e.body);
      if (e.device.epoch_ts)
        body["ts"] = EpochMs(e.ts);
      else
        body["ts"] = FormatRfc3339(e.ts);
      double jitter = o_.shuffle && rng_.Chance(kLateShare) ? rng_.Real(1, kShuffleWindow) : 0;
      messages_.push_back(Message{static_cast<double>(messages_.size()) + jitter,
                                  Topic(e.device.topic), body.dump()});
      ++tally_.stages[e.body["stage"].get<std::string>()];
    }
  }

  // Redeliveries: byte-identical copies, or the same event_id re-serialized
  // (different bytes, same event). Each arrives somewhat after its original.
  // Only canonical events are copied: a bare scan sent twice is two scans.
  void AddDuplicates() {
    primary_ = messages_.size();
    std::size_t valid = canonical_.size();
    auto count = static_cast<std::size_t>(std::llround(valid * o_.duplicates_pct / 100));
    for (std::size_t i = 0; i < count && valid > 0; ++i) {
      Message copy = messages_[canonical_[static_cast<std::size_t>(rng_.Int(0, valid - 1))]];
      copy.key += rng_.Real(0.5, kMaxRedeliveryDelay);
      if (rng_.Chance(0.5)) {
        ++tally_.duplicate_identical;
      } else {
        copy.payload = json::parse(copy.payload).dump(1);
        ++tally_.duplicate_same_event_id;
      }
      messages_.push_back(std::move(copy));
    }
  }

  void AddGarbage(const Floor& floor, const Period& period) {
    auto count = static_cast<std::size_t>(std::llround(tally_.valid * o_.garbage_pct / 100));
    double span = static_cast<double>(primary_);
    for (std::size_t i = 0; i < count; ++i) {
      std::string order_id = floor.orders.empty()
                                 ? "ord-unknown"
                                 : floor.orders[rng_.Int(0, floor.orders.size() - 1)].order_id;
      TimePoint ts = period.start + Millis{std::llround(rng_.Real() * period.Length().count())};
      auto [kind, topic, payload] = Garbage(i, order_id, ts);
      messages_.push_back(Message{rng_.Real(0, span), Topic(topic), std::move(payload)});
      ++tally_.garbage[kind];
    }
  }

  struct Bad {
    std::string kind, topic, payload;
  };

  // The i-th malformed message; kinds rotate so small runs still see each.
  Bad Garbage(std::size_t i, const std::string& order_id, TimePoint ts) {
    json base{{"event_id", "sim-" + std::to_string(o_.seed) + "-g" + std::to_string(i + 1)},
              {"order_id", order_id},
              {"ts", FormatRfc3339(ts)}};
    auto with = [&base](json extra) {
      json j = base;
      j.update(extra);
      return j;
    };
    switch (i % 8) {
      case 0:
        return {"not_json", "printer/p2", "PRINT OK order=" + order_id + " layers=412/412"};
      case 1:
        return {"json_array", "station/polish-1", "[" + with({{"stage", "polished"}}).dump() + "]"};
      case 2: {
        json j = with({{"stage", "packed"}});
        j.erase("order_id");
        return {"missing_order_id", "shipping/pack-1", j.dump()};
      }
      case 3:
        return {"unknown_stage", "station/engrave-1", with({{"stage", "engraved"}}).dump()};
      case 4:
        return {
            "negative_used_g", "printer/p4",
            with({{"stage", "printed"}, {"material", Material("castable-resin", -3.5, 0)}}).dump()};
      case 5:
        return {"scrap_exceeds_used", "casting/cast-1",
                with({{"stage", "cast"}, {"material", Material("silver-925", 4.0, 6.5)}}).dump()};
      case 6: {
        std::string j = with({{"stage", "polished"}, {"operator", "@@"}}).dump();
        j.replace(j.find("@@"), 2, "Jo\xC3\x28l\xFF");  // truncated sequence + 0xFF
        return {"invalid_utf8", "station/polish-2", j};
      }
      default:
        return {"oversized", "station/qc-1",
                with({{"stage", "qc"}, {"note", std::string(kOversizedBytes, 'x')}}).dump()};
    }
  }

  const Options& o_;
  Rng& rng_;
  std::vector<Message> messages_;
  std::vector<std::size_t> canonical_;  // indexes of the canonical events in messages_
  std::size_t primary_ = 0;             // messages before duplicates and garbage
  Tally tally_;
};

// ---------------------------------------------------------------------------
// Publishing.

class Publisher {
 public:
  explicit Publisher(const Options& o)
      : client_(o.uri, o.client_id), max_inflight_(static_cast<std::size_t>(o.max_inflight)) {}

  // Throws mqtt::exception when the broker cannot be reached or refuses us.
  void Connect() {
    auto options = mqtt::connect_options_builder()
                       .clean_session(true)
                       .connect_timeout(std::chrono::seconds(10))
                       .keep_alive_interval(std::chrono::seconds(30))
                       .max_inflight(static_cast<int>(max_inflight_) + 10)
                       .finalize();
    client_.connect(options)->wait();
  }

  // QoS 1; blocks while max_inflight publishes await their PUBACK.
  void Publish(const Message& m) {
    while (inflight_.size() >= max_inflight_) WaitOldest();
    inflight_.push_back(client_.publish(m.topic, m.payload.data(), m.payload.size(), 1, false));
  }

  void Finish() {
    while (!inflight_.empty()) WaitOldest();
    client_.disconnect()->wait_for(std::chrono::seconds(10));
  }

 private:
  void WaitOldest() {
    if (!inflight_.front()->wait_for(kAckTimeout))
      throw std::runtime_error("no acknowledgement from the broker within 30 s");
    inflight_.pop_front();
  }

  mqtt::async_client client_;
  std::size_t max_inflight_;
  std::deque<mqtt::delivery_token_ptr> inflight_;
};

void PublishAll(const Options& o, const std::vector<Message>& messages) {
  std::optional<Publisher> publisher;
  try {
    publisher.emplace(o);
    publisher->Connect();
  } catch (const mqtt::exception& e) {
    throw std::runtime_error("cannot connect to " + o.uri + ": " + e.what());
  }
  auto begin = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (o.rate > 0)
      std::this_thread::sleep_until(begin + std::chrono::duration<double>(i / o.rate));
    publisher->Publish(messages[i]);
  }
  publisher->Finish();
}

// ---------------------------------------------------------------------------
// Reporting and main.

json SummaryJson(const Options& o, const Period& period, const Floor& floor, const Tally& t,
                 std::size_t published) {
  json order_ids = json::array(), open_ids = json::array();
  std::size_t shipped = 0, returned = 0;
  for (const OrderOutcome& order : floor.orders) {
    order_ids.push_back(order.order_id);
    if (!order.shipped) open_ids.push_back(order.order_id);
    shipped += order.shipped;
    returned += order.returned;
  }
  json summary{{"uri", o.uri},
               {"seed", o.seed},
               {"start", FormatRfc3339(period.start)},
               {"end", FormatRfc3339(period.end)},
               {"published", published},
               {"valid_events", t.valid},
               {"duplicates",
                {{"total", t.duplicate_identical + t.duplicate_same_event_id},
                 {"byte_identical", t.duplicate_identical},
                 {"same_event_id", t.duplicate_same_event_id}}},
               {"garbage", {{"total", t.Garbage()}, {"by_kind", t.garbage}}},
               {"stages", t.stages},
               {"orders", floor.orders.size()},
               {"shipped", shipped},
               {"returned", returned},
               {"open", open_ids.size()},
               {"order_ids", order_ids},
               {"open_order_ids", open_ids}};
  if (floor.devices.is_object())
    for (const auto& [key, value] : floor.devices.items()) summary[key] = value;
  return summary;
}

// Opened before publishing, so a bad path fails before anything is sent.
std::optional<std::ofstream> OpenSummary(const std::string& path) {
  if (path.empty()) return std::nullopt;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  return out;
}

void WriteSummary(std::optional<std::ofstream>& out, const std::string& path, const json& summary) {
  if (!out) return;
  *out << summary.dump(2) << "\n";
  out->close();
  if (!*out) throw std::runtime_error("cannot write " + path);
}

std::optional<Period> ResolvePeriod(const Options& o, std::string& error) {
  TimePoint now = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  auto length = Millis{std::llround(o.days * 86'400'000.0)};
  TimePoint start = now - length;
  if (!o.start.empty()) {
    auto parsed = ParseRfc3339(o.start);
    if (!parsed)
      error = "--start '" + o.start + "' is not RFC 3339 with offset";
    else if (*parsed >= now)
      error = "--start must be in the past";
    if (!error.empty()) return std::nullopt;
    start = *parsed;
  }
  return Period{start, std::min(start + length, now)};
}

void AddOptions(CLI::App& app, Options& o) {
  app.add_option("--uri", o.uri, "broker, e.g. tcp://127.0.0.1:1883 (required to publish)");
  app.add_option("--client-id", o.client_id, "MQTT client id (default floortrack-sim)");
  app.add_option("--orders", o.orders, "orders to simulate (default 200)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--days", o.days, "length of the simulated period in days (default 1)");
  app.add_option("--start", o.start, "period start, RFC 3339 (default: now minus --days)");
  app.add_option("--rate", o.rate, "messages per second, 0 = as fast as possible (default 0)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--seed", o.seed, "random seed (default 1)");
  app.add_option("--duplicates", o.duplicates_pct, "redeliveries, % of valid events (default 2)")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--garbage", o.garbage_pct, "malformed messages, % of valid events (default 1)")
      ->check(CLI::Range(0.0, 100.0));
  app.add_flag("--shuffle,!--no-shuffle", o.shuffle,
               "publish in a locally shuffled order (default on)");
  app.add_option("--topic-prefix", o.topic_prefix, "first topic level (default floor)");
  app.add_option("--summary-json", o.summary_json, "write what was published to FILE");
  app.add_option("--max-inflight", o.max_inflight, "unacknowledged publishes at once (default 100)")
      ->check(CLI::Range(1, 65535));
  app.add_flag("--quiet", o.quiet, "no summary line on stderr");
  app.add_flag("--devices", o.devices,
               "publish printing and the benches in the devices' own formats (docs/events.md)");
  app.add_flag("--print-config", o.print_config,
               "print the [[source]]s floortrackd needs for --devices, and exit");
}

int Fail(const std::string& message, int code = kExitFailure) {
  std::fprintf(stderr, "floortrack-sim: %s\n", message.c_str());
  return code;
}

int Run(Options o) {
  std::string error;
  if (!(o.days > 0)) return Fail("--days must be greater than 0", kExitUsage);
  if (o.topic_prefix.empty() || o.topic_prefix.find_first_of("+#") != std::string::npos)
    return Fail("--topic-prefix must be a non-empty topic without wildcards", kExitUsage);
  if (o.print_config) {
    std::fputs(DeviceSourcesToml(o.topic_prefix).c_str(), stdout);
    return std::fflush(stdout) == 0 && !std::ferror(stdout) ? kExitOk : kExitFailure;
  }
  if (o.uri.empty()) return Fail("--uri is required", kExitUsage);
  auto period = ResolvePeriod(o, error);
  if (!period) return Fail(error, kExitUsage);
  // Devices publish as the work happens: no reordering (a scan must not
  // arrive before its order is confirmed).
  if (o.devices) o.shuffle = false;
  Rng rng(o.seed);
  Floor floor = o.devices ? DeviceDay(o, *period, rng).Generate() : GenerateFloor(o, *period, rng);
  MessageBuilder builder(o, rng);
  std::vector<Message> messages = builder.Build(floor, *period);
  const Tally& t = builder.tally();
  auto summary = OpenSummary(o.summary_json);
  auto begin = std::chrono::steady_clock::now();
  PublishAll(o, messages);
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - begin;
  WriteSummary(summary, o.summary_json, SummaryJson(o, *period, floor, t, messages.size()));
  if (!o.quiet && o.devices)
    std::fprintf(stderr,
                 "floortrack-sim: published %zu messages to %s in %.1f s: a device day of %zu "
                 "orders, %zu plates, %zu trees, %zu scans, %zu misreads; %zu canonical events, "
                 "%zu duplicates, %zu garbage (seed %llu, %s .. %s)\n",
                 messages.size(), o.uri.c_str(), took.count(), floor.orders.size(),
                 floor.devices["plates"].size(), floor.devices["trees"].size(),
                 floor.devices["scans"]["total"].get<std::size_t>(),
                 floor.devices["misreads"].size(), t.valid,
                 t.duplicate_identical + t.duplicate_same_event_id, t.Garbage(),
                 static_cast<unsigned long long>(o.seed), FormatRfc3339(period->start).c_str(),
                 FormatRfc3339(period->end).c_str());
  else if (!o.quiet)
    std::fprintf(stderr,
                 "floortrack-sim: published %zu messages to %s in %.1f s: %zu events for %zu "
                 "orders, %zu duplicates, %zu garbage (seed %llu, %s .. %s)\n",
                 messages.size(), o.uri.c_str(), took.count(), t.valid, floor.orders.size(),
                 t.duplicate_identical + t.duplicate_same_event_id, t.Garbage(),
                 static_cast<unsigned long long>(o.seed), FormatRfc3339(period->start).c_str(),
                 FormatRfc3339(period->end).c_str());
  return kExitOk;
}

}  // namespace
}  // namespace floortrack::sim

int main(int argc, char** argv) {
  using namespace floortrack::sim;
  CLI::App app{"floortrack-sim: publishes a seeded, realistic shop floor to an MQTT broker"};
  Options o;
  AddOptions(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  try {
    return Run(o);
  } catch (const mqtt::exception& e) {
    return Fail(std::string("MQTT error: ") + e.what());
  } catch (const std::exception& e) {
    return Fail(e.what());
  }
}
