#include "daemon/alert_monitor.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "adapters/iana_time_zone.h"
#include "adapters/sqlite/state_record.h"
#include "adapters/sqlite_store.h"
#include "core/clock.h"
#include "core/topic.h"
#include "tools/cli_output.h"

namespace floortrack {

AlertMonitor::AlertMonitor(asio::io_context& io, AlertRules rules, MessageSink& sink, Inputs inputs,
                           Record record, std::optional<AlertState> restored)
    : io_(io),
      timer_(io),
      sink_(sink),
      inputs_(std::move(inputs)),
      record_(std::move(record)),
      rules_(std::move(rules)),
      book_(rules_.resolve_after),
      watching_since_(SystemClock().Now()) {
  if (restored) {
    book_.Restore(restored->firing);
    last_event_ = restored->last_event;
  }
}

AlertMonitor::~AlertMonitor() {
  Stop();
  if (worker_.joinable()) worker_.join();
}

AlertMonitor::Inputs AlertMonitor::ReadOnlyDatabase(std::string path) {
  auto store = std::make_shared<std::unique_ptr<SqliteStore>>();  // worker thread only
  return [path = std::move(path), store](TimePoint now,
                                         const AlertRules& rules) -> Result<AlertInputs> {
    if (!*store) {
      auto opened = SqliteStore::OpenReadOnly(path);
      if (!opened) return opened.error();
      *store = std::move(opened).value();
    }
    auto fail = [&](const Error& e) -> Result<AlertInputs> {
      store->reset();
      return e;
    };
    AlertInputs in;
    auto recorded = (*store)->RecordedRules();
    if (!recorded) return fail(recorded.error());
    in.rules = recorded.value().value_or(Rules{});
    auto open = (*store)->ListOrders(OrderFilter{true, std::nullopt, 0});
    if (!open) return fail(open.error());
    in.open = std::move(open).value();
    const auto window_ms = static_cast<std::int64_t>(rules.kpi_window_days * 86'400'000.0);
    // The event-level activity (a scan of the window's events) only when a
    // band judges a KPI made from it.
    auto kpis = cli::KpiReportOf(**store, in.rules, Window{now - Millis(window_ms), std::nullopt},
                                 NeedsActivity(in.rules.targets));
    if (!kpis) return fail(kpis.error());
    in.kpis = std::move(kpis).value();
    auto late = cli::LateReportOf(**store, in.rules, now);
    if (!late) return fail(late.error());
    in.late = std::move(late).value();
    return in;
  };
}

AlertMonitor::Record AlertMonitor::StateRecordAt(std::string path, int busy_timeout_ms) {
  auto record = std::make_shared<std::unique_ptr<StateRecord>>();  // worker thread only
  return [path = std::move(path), busy_timeout_ms, record](const std::string& state) -> Status {
    if (!*record) {
      auto opened = StateRecord::Open(path, busy_timeout_ms);
      if (!opened) return opened.error();
      *record = std::move(opened).value();
    }
    auto saved = (*record)->RecordAlerts(state);
    if (!saved) record->reset();
    return saved;
  };
}

void AlertMonitor::Start() {
  worker_ = std::thread([this] { Work(); });
  running_ = true;
  {
    std::lock_guard lock(mutex_);
    due_ = Steady::now();  // a first look at start
  }
  cv_.notify_one();
  ScheduleTick();
}

void AlertMonitor::Stop() {
  running_ = false;
  timer_.cancel();
  std::lock_guard lock(mutex_);
  stop_ = true;
  cv_.notify_one();
}

void AlertMonitor::SetRules(AlertRules rules) {
  std::lock_guard lock(mutex_);
  rules_ = std::move(rules);
  due_ = Steady::now();
  cv_.notify_one();
}

void AlertMonitor::ScheduleTick() {
  double interval_s = 60;
  {
    std::lock_guard lock(mutex_);
    interval_s = rules_.interval_s;
  }
  timer_.expires_after(std::chrono::milliseconds(static_cast<long long>(interval_s * 1000)));
  timer_.async_wait([this](const std::error_code& ec) {
    if (ec || !running_) return;
    try {
      {
        std::lock_guard lock(mutex_);
        due_ = Steady::now();
      }
      cv_.notify_one();
      ScheduleTick();
    } catch (const std::exception& e) {
      spdlog::error("alert timer: {}", e.what());
    }
  });
}

void AlertMonitor::EventStored(std::string_view topic) {
  const TimePoint now = SystemClock().Now();
  std::lock_guard lock(mutex_);
  for (const auto& [name, filter] : rules_.watch)
    if (TopicMatches(filter, topic)) last_event_[name] = now;
  const auto at = std::max(Steady::now(), last_run_ + kMinEventGap);
  if (!due_ || at < *due_) due_ = at;
  cv_.notify_one();
}

void AlertMonitor::CountMessages(std::uint64_t messages, std::uint64_t rejected) {
  std::lock_guard lock(mutex_);
  messages_ = messages;
  rejected_ = rejected;
}

std::uint64_t AlertMonitor::evaluations() const {
  std::lock_guard lock(mutex_);
  return evaluations_;
}

void AlertMonitor::Work() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (!due_) {
      cv_.wait(lock);
      continue;
    }
    if (Steady::now() < *due_) {
      cv_.wait_until(lock, *due_);
      continue;
    }
    due_.reset();
    last_run_ = Steady::now();
    lock.unlock();
    try {
      Evaluate();
    } catch (const std::exception& e) {
      try {
        spdlog::error("alert evaluation failed: {}", e.what());
      } catch (...) {
      }
    } catch (...) {
    }
    lock.lock();
    ++evaluations_;
  }
}

void AlertMonitor::Evaluate() {
  const TimePoint now = SystemClock().Now();
  AlertRules rules;
  std::map<std::string, TimePoint> last_event;
  std::uint64_t messages = 0, rejected = 0;
  {
    std::lock_guard lock(mutex_);
    rules = rules_;
    last_event = last_event_;
    messages = messages_;
    rejected = rejected_;
  }
  auto inputs = inputs_(now, rules);
  if (!inputs) {
    spdlog::warn("alerts not evaluated: {}", inputs.error().message);
    return;
  }
  const AlertInputs& in = inputs.value();
  std::vector<Alert> holding = StuckOrders(in.open, now, rules);
  if (in.late) {
    auto late = LateOrders(*in.late);
    holding.insert(holding.end(), late.begin(), late.end());
  }
  if (in.kpis) {
    auto kpi = KpisOffTarget(*in.kpis, rules);
    holding.insert(holding.end(), kpi.begin(), kpi.end());
  }
  if (!rules.watch.empty()) {
    auto zone = IanaTimeZone::Load(in.rules.shop_timezone);
    const FixedOffsetZone utc;
    const ShopTimeZone& z = zone ? *zone.value() : static_cast<const ShopTimeZone&>(utc);
    auto silent = SilentDevices(last_event, watching_since_, now, rules, in.rules.working_hours, z);
    holding.insert(holding.end(), silent.begin(), silent.end());
  }
  samples_.push_back(Sample{now, messages, rejected});
  const auto window = Millis(static_cast<std::int64_t>(rules.reject_window_min * 60'000.0));
  while (samples_.size() > 1 && now - samples_[1].at >= window) samples_.pop_front();
  const Sample& oldest = samples_.front();
  auto rate = RejectRate(messages - oldest.messages, rejected - oldest.rejected, rules);
  holding.insert(holding.end(), rate.begin(), rate.end());

  book_.SetResolveAfter(rules.resolve_after);
  const std::vector<AlertChange> changes = book_.Update(holding, now);
  for (const AlertChange& c : changes) {
    const std::string topic = std::string(kTopicPrefix) + c.alert.id;
    if (c.fired) {
      spdlog::warn("alert {}: {}", c.alert.id, c.alert.message);
      sink_.Publish(topic, AlertPayload(book_.firing().at(c.alert.id)), true);
    } else {
      spdlog::info("alert {} resolved", c.alert.id);
      sink_.Publish(topic, "", true);  // a retained empty payload clears it
    }
  }
  // Recorded when something changed (not on every look: it takes the
  // database's write lock).
  AlertState state{TimePoint{}, book_.firing(), last_event};
  std::string unchanged = EncodeAlertState(state);
  if (unchanged == recorded_) return;
  state.updated_at = now;
  if (auto saved = record_(EncodeAlertState(state)); !saved)
    spdlog::warn("alert state not recorded: {}", saved.error().message);
  else
    recorded_ = std::move(unchanged);
}

}  // namespace floortrack
