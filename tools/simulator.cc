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

struct Event {
  TimePoint ts;
  std::uint64_t seq = 0;  // generation order, breaks ts ties
  Device device;
  json body;  // without event_id and ts
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
    out.push_back(Event{ts, out.size(), std::move(d.device), std::move(d.body)});
  }
  return outcome;
}

struct Floor {
  std::vector<Event> events;  // sorted by ts
  std::vector<OrderOutcome> orders;
};

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
  std::sort(floor.events.begin(), floor.events.end(), [](const Event& a, const Event& b) {
    return a.ts != b.ts ? a.ts < b.ts : a.seq < b.seq;
  });
  return floor;
}

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
  void AddEvents(const std::vector<Event>& events) {
    for (const Event& e : events) {
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
  void AddDuplicates() {
    std::size_t valid = messages_.size();
    auto count = static_cast<std::size_t>(std::llround(valid * o_.duplicates_pct / 100));
    for (std::size_t i = 0; i < count && valid > 0; ++i) {
      Message copy = messages_[static_cast<std::size_t>(rng_.Int(0, valid - 1))];
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
    double span = static_cast<double>(tally_.valid);
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
  return json{{"uri", o.uri},
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
  app.add_option("--uri", o.uri, "broker, e.g. tcp://127.0.0.1:1883")->required();
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
}

int Fail(const std::string& message, int code = kExitFailure) {
  std::fprintf(stderr, "floortrack-sim: %s\n", message.c_str());
  return code;
}

int Run(const Options& o) {
  std::string error;
  if (!(o.days > 0)) return Fail("--days must be greater than 0", kExitUsage);
  if (o.topic_prefix.empty() || o.topic_prefix.find_first_of("+#") != std::string::npos)
    return Fail("--topic-prefix must be a non-empty topic without wildcards", kExitUsage);
  auto period = ResolvePeriod(o, error);
  if (!period) return Fail(error, kExitUsage);
  Rng rng(o.seed);
  Floor floor = GenerateFloor(o, *period, rng);
  MessageBuilder builder(o, rng);
  std::vector<Message> messages = builder.Build(floor, *period);
  const Tally& t = builder.tally();
  auto summary = OpenSummary(o.summary_json);
  auto begin = std::chrono::steady_clock::now();
  PublishAll(o, messages);
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - begin;
  WriteSummary(summary, o.summary_json, SummaryJson(o, *period, floor, t, messages.size()));
  if (!o.quiet)
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
