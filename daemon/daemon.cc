#include "daemon/daemon.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>

#include "adapters/event_key.h"
#include "adapters/formats/registry.h"
#include "daemon/logging.h"

namespace floortrack {
namespace {

constexpr std::chrono::seconds kStatsInterval{60};
constexpr std::chrono::seconds kStatusInterval{2};
constexpr std::chrono::milliseconds kRetryMin{50};
constexpr std::chrono::milliseconds kRetryMax{5000};

bool MayClear(ErrorKind kind) {
  return kind == ErrorKind::kBusy || kind == ErrorKind::kFull || kind == ErrorKind::kReadOnly ||
         kind == ErrorKind::kIo;
}

}  // namespace

Daemon::Daemon(asio::io_context& io, Config config, std::string config_path, EventStore& store,
               MessageSource& source)
    : signals_(io, SIGINT, SIGTERM, SIGHUP),
      stats_timer_(io),
      status_timer_(io),
      watchdog_timer_(io),
      config_(std::move(config)),
      config_path_(std::move(config_path)),
      source_(source),
      store_(store),
      ingest_(decoder_, store, clock_, &DeriveEventKey, config_.rules) {
  ingest_.SetDeviceFormats(&FindDeviceFormat);
}

void Daemon::Start() {
  WaitForSignal();
  Every(stats_timer_, kStatsInterval, &Daemon::LogStats);
  Every(status_timer_, kStatusInterval, &Daemon::UpdateStatus);
  if (auto period = notifier_.watchdog_period())
    Every(watchdog_timer_, *period, &Daemon::PingWatchdog);
  source_.OnStateChange([this] { OnSourceState(); });
  if (publisher_) publisher_->Start();  // sets the source's connect handler
  if (monitor_) monitor_->Start();
  if (journal_) StartApplier();
  source_.Start([this](const Delivery& delivery) { return HandleMessage(delivery); });
}

void Daemon::StartApplier() {
  connection_base_ = journal_->ReplayedConnectionMax();
  if (const auto left = journal_->PendingRecords())
    spdlog::info("ingest journal: {} received messages not yet in the database; applying them",
                 left);
  IngestApplier::Hooks hooks;
  hooks.before_batch = [this] { ApplyPendingRules(); };
  hooks.applied = [this](const JournalRecord& record, const IngestOutcome& outcome) {
    Applied(record, outcome);
  };
  hooks.committed = [this] { AfterBatch(); };
  hooks.wait_out = [this](const Error& error, std::chrono::milliseconds& delay) {
    return WaitOutStorageError(error, delay, kDatabasePath);
  };
  hooks.recovered = [this] { StorageWorked(kDatabasePath); };
  hooks.gave_up = [this] {
    // The records stay in the journal for the next start. A message waiting
    // for room in it gives up too (not acknowledged); if this is no stop,
    // the process ends so that systemd restarts it.
    journal_->Interrupt();
    if (stopping_) return;
    spdlog::critical("cannot apply the ingest journal to the database; exiting");
    spdlog::default_logger()->flush();
    std::_Exit(EXIT_FAILURE);
  };
  applier_ = std::make_unique<IngestApplier>(*journal_, store_, ingest_, std::move(hooks),
                                             journal_->synced());
  applier_->Start();
}

// The journal's way: the message is acknowledged once it is in the journal.
bool Daemon::JournalMessage(const Delivery& delivery) {
  const std::uint64_t connection = connection_base_ + delivery.connection;
  if (connection != mark_.connection) mark_ = DeliveryMark{connection, 0};
  ++mark_.sequence;
  const std::int64_t received_ms = ToEpochMs(clock_.Now());
  const std::size_t size = delivery.topic.size() + delivery.payload.size();
  auto delay = kRetryMin;
  for (;;) {
    if (!journal_->WaitForRoom(size)) return false;  // the applier gave up
    auto appended = journal_->Append(mark_.connection, mark_.sequence, received_ms,
                                     delivery.topic, delivery.payload);
    if (appended) {
      StorageWorked(kJournalPath);
      return true;
    }
    if (!WaitOutStorageError(appended.error(), delay, kJournalPath)) return false;
  }
}

// With the journal, a message's ingest time runs from its receipt to the
// commit of its batch (what a reader waits for).
void Daemon::Applied(const JournalRecord& record, const IngestOutcome& outcome) {
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  if (outcome.status != IngestStatus::kRejected)
    ObserveCommit(record.appended_at
                      ? std::chrono::steady_clock::now() - *record.appended_at
                      : std::chrono::milliseconds(std::max<std::int64_t>(0, now_ms - record.received_ms)));
  if (outcome.status == IngestStatus::kStored)
    last_event_ms_.store(now_ms, std::memory_order_relaxed);
  LogOutcome(record.topic, outcome);
  if (monitor_ && outcome.status == IngestStatus::kStored) monitor_->EventStored(record.topic);
}

void Daemon::AfterBatch() {
  const IngestCounters& c = ingest_.counters();
  if (monitor_) {
    const auto rejected = c.rejected.load(std::memory_order_relaxed);
    monitor_->CountMessages(c.stored.load(std::memory_order_relaxed) +
                                c.duplicates.load(std::memory_order_relaxed) + rejected,
                            rejected);
  }
  if (publisher_) {
    const auto shipped = c.shipped.load(std::memory_order_relaxed);
    if (shipped != shipments_seen_) {
      shipments_seen_ = shipped;
      publisher_->ShipmentStored();  // never waits for a computation
    }
  }
}

// Also while stopping: until the source's Stop() returns it may deliver, and
// each message is stored before it is acknowledged. Only a storage condition
// during a stop makes it give up (false), so the stop does not wait for it.
bool Daemon::HandleMessage(const Delivery& delivery) {
  if (journal_) return JournalMessage(delivery);
  const std::string_view topic = delivery.topic;
  ApplyPendingRules();
  // The message's place in its connection (core/event_identity.h); a retry
  // below keeps it.
  if (delivery.connection != mark_.connection) mark_ = DeliveryMark{delivery.connection, 0};
  ++mark_.sequence;
  auto delay = kRetryMin;
  for (;;) {
    const auto started = std::chrono::steady_clock::now();
    auto outcome = ingest_.OnMessage(topic, delivery.payload, mark_);
    if (outcome) {
      if (outcome.value().status != IngestStatus::kRejected)
        ObserveCommit(std::chrono::steady_clock::now() - started);
      if (outcome.value().status == IngestStatus::kStored)
        last_event_ms_.store(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count(),
                             std::memory_order_relaxed);
      StorageWorked(kDatabasePath);
      LogOutcome(topic, outcome.value());
      if (monitor_) {
        const IngestCounters& c = ingest_.counters();
        const auto rejected = c.rejected.load(std::memory_order_relaxed);
        monitor_->CountMessages(c.stored.load(std::memory_order_relaxed) +
                                    c.duplicates.load(std::memory_order_relaxed) + rejected,
                                rejected);
        if (outcome.value().status == IngestStatus::kStored) monitor_->EventStored(delivery.topic);
      }
      if (publisher_) {
        const auto shipped = ingest_.counters().shipped.load(std::memory_order_relaxed);
        if (shipped != shipments_seen_) {
          shipments_seen_ = shipped;
          publisher_->ShipmentStored();  // never waits for a computation
        }
      }
      return true;
    }
    if (!WaitOutStorageError(outcome.error(), delay, kDatabasePath)) return false;
  }
}

// Logs the condition once, then sleeps with backoff. False: give up (the
// caller must not acknowledge the message).
bool Daemon::WaitOutStorageError(const Error& error, std::chrono::milliseconds& delay,
                                 StoragePath path) {
  if (!MayClear(error.kind)) {
    spdlog::critical("storage failed ({}): {}", ToString(error.kind), error.message);
    return false;
  }
  {
    // One line per condition, whichever path meets it first.
    std::lock_guard condition_lock(condition_mutex_);
    if (storage_conditions_[0] != error.kind && storage_conditions_[1] != error.kind) {
      if (path == kDatabasePath && journal_)
        spdlog::error(
            "storage unavailable ({}): {}; retrying; received messages wait in the ingest "
            "journal (acknowledged while it has room)",
            ToString(error.kind), error.message);
      else
        spdlog::error(
            "storage unavailable ({}): {}; holding ingest and retrying, nothing is acknowledged "
            "until it is stored",
            ToString(error.kind), error.message);
    }
    storage_conditions_[path] = error.kind;
    storage_ok_ = false;
  }
  std::unique_lock lock(stop_mutex_);
  if (stop_cv_.wait_for(lock, delay, [this] { return stopping_.load(); })) return false;
  delay = std::min(delay * 2, kRetryMax);
  return true;
}

void Daemon::StorageWorked(StoragePath path) {
  std::lock_guard lock(condition_mutex_);
  if (!storage_conditions_[path]) return;
  storage_conditions_[path].reset();
  if (storage_conditions_[0] || storage_conditions_[1]) return;
  spdlog::info("storage recovered; ingest resumed");
  storage_ok_ = true;
}

void Daemon::ApplyPendingRules() {
  std::optional<Rules> rules;
  {
    std::lock_guard lock(pending_mutex_);
    rules.swap(pending_rules_);
  }
  if (rules) ingest_.SetRules(std::move(*rules));
}

void Daemon::LogOutcome(std::string_view topic, const IngestOutcome& outcome) {
  switch (outcome.status) {
    case IngestStatus::kStored:
      if (!outcome.reused_event_id_key.empty())
        spdlog::warn("event_id {} reused with different content on {}; stored as its own event",
                     outcome.reused_event_id_key, topic);
      spdlog::debug("stored event for order {} from {}", outcome.detail, topic);
      break;
    case IngestStatus::kDuplicate:
      spdlog::debug("duplicate event for order {} from {} ignored", outcome.detail, topic);
      break;
    case IngestStatus::kRejected: {
      std::uint64_t suppressed = 0;
      bool log = reject_log_.Allow(LogThrottle::Clock::now(), suppressed);
      if (suppressed > 0)
        spdlog::warn("{} more rejected messages not logged (see floortrack rejects)", suppressed);
      if (log) spdlog::warn("rejected message on {}: {}", topic, outcome.detail);
      break;
    }
  }
}

// Nothing escapes an Asio handler: a reload or a timer tick that throws is
// logged and the daemon carries on; a stop that throws ends the process (the
// source may not have disconnected, and _Exit returns from no callback, so
// nothing unstored is acknowledged).
void Daemon::WaitForSignal() {
  signals_.async_wait([this](const std::error_code& ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      try {
        Reload();
      } catch (const std::exception& e) {
        spdlog::error("reload failed: {}", e.what());
      }
      WaitForSignal();
      return;
    }
    try {
      spdlog::info("received signal {}; shutting down", signo);
      Shutdown();
    } catch (const std::exception& e) {
      spdlog::critical("stop failed: {}; exiting", e.what());
      spdlog::default_logger()->flush();
      std::_Exit(EXIT_FAILURE);
    } catch (...) {
      std::_Exit(EXIT_FAILURE);
    }
  });
}

void Daemon::Shutdown() {
  if (stopping_) return;
  notifier_.Stopping();
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (publisher_) publisher_->Stop();
  if (monitor_) monitor_->Stop();
  source_.Stop();
  // Nothing is journaled any more: what is in the journal goes to the
  // database now (unless storage is held: then it stays for the next start).
  if (applier_) applier_->Finish();
  stats_timer_.cancel();
  status_timer_.cancel();
  watchdog_timer_.cancel();
  signals_.cancel();
  LogStats();
}

void Daemon::Reload() {
  notifier_.Reloading();
  auto loaded = LoadConfig(config_path_);
  if (!loaded) {
    spdlog::error("reload refused, keeping the running config: {}", loaded.error().message);
    notifier_.Ready(StatusLine(0));
    return;
  }
  Config next = std::move(loaded).value();
  for (const std::string& key : RestartOnlyChanges(config_, next))
    spdlog::warn("reload: {} changed; takes effect after a restart", key);
  SetLogLevel(next.log.level);
  {
    std::lock_guard lock(pending_mutex_);
    pending_rules_ = next.rules;
  }
  if (SubscribedFilters(next) != SubscribedFilters(config_))
    source_.SetTopics(SubscribedFilters(next));
  // Broker credentials/TLS files (password re-read by LoadConfig): used from the next connect.
  if (apply_reload_) apply_reload_(next);
  for (const auto& warning : SecurityWarnings(next, config_path_))
    spdlog::warn("reload: {}", warning);
  config_.rules = next.rules;
  config_.mqtt.topics = next.mqtt.topics;
  config_.log = next.log;
  if (publisher_) publisher_->SetConfig(next.publish);
  if (monitor_) monitor_->SetRules(next.alerts);
  config_.publish = next.publish;
  spdlog::info("reloaded {}", config_path_);
  notifier_.Ready(StatusLine(0));
}

// READY=1 once the subscription is in place, or once something is known to
// be wrong with the link (broker unreachable, subscription refused; the
// database is open by then); STATUS= on every change.
void Daemon::OnSourceState() {
  SourceHealth link = source_.Health();
  if (!ready_) {
    if (!link.subscribed && link.problems.empty()) return;  // still connecting or subscribing
    ready_ = true;
    notifier_.Ready(StatusLine(0));
    spdlog::info("ready{}", link.subscribed  ? ""
                            : link.connected ? "; the MQTT subscription is not in place"
                                             : "; waiting for the MQTT broker");
    return;
  }
  notifier_.Status(StatusLine(0));
}

void Daemon::ObserveCommit(std::chrono::steady_clock::duration took) {
  const double seconds = std::chrono::duration<double>(took).count();
  std::size_t bucket = 0;
  while (bucket < DaemonMetrics::kCommitBounds.size() &&
         seconds > DaemonMetrics::kCommitBounds[bucket])
    ++bucket;
  commit_buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  commit_sum_ns_.fetch_add(static_cast<std::uint64_t>(
                               std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()),
                           std::memory_order_relaxed);
}

DaemonMetrics Daemon::Metrics() const {
  const IngestCounters& c = ingest_.counters();
  DaemonMetrics m;
  m.stored = c.stored.load(std::memory_order_relaxed);
  m.duplicates = c.duplicates.load(std::memory_order_relaxed);
  m.rejected = c.rejected.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < kRejectClasses; ++i)
    m.rejected_by_class[i] = c.rejected_by_class[i].load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < kTsFlags; ++i)
    m.flagged_by_reason[i] = c.flagged_by_reason[i].load(std::memory_order_relaxed);
  const SourceHealth link = source_.Health();
  m.connected = link.connected;
  m.subscribed = link.subscribed;
  m.storage_ok = storage_ok_.load();
  if (journal_) m.journal_pending = journal_->PendingRecords();
  if (const auto ms = last_event_ms_.load(std::memory_order_relaxed); ms != 0)
    m.last_event_seconds = static_cast<double>(ms) / 1000.0;
  for (std::size_t i = 0; i < m.commit_buckets.size(); ++i)
    m.commit_buckets[i] = commit_buckets_[i].load(std::memory_order_relaxed);
  m.commit_sum_seconds = static_cast<double>(commit_sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return m;
}

DaemonHealth Daemon::Health() const {
  SourceHealth link = source_.Health();
  DaemonHealth health;
  health.problems = link.problems;
  if (!link.connected && link.problems.empty())
    health.problems.push_back("not connected to the MQTT broker");
  if (link.connected && !link.subscribed && link.problems.empty())
    health.problems.push_back("MQTT subscription not yet confirmed");
  if (!storage_ok_) health.problems.push_back("storage unavailable, holding ingest");
  health.healthy = link.Healthy() && storage_ok_ && health.problems.empty();
  return health;
}

void Daemon::Every(asio::steady_timer& timer, std::chrono::milliseconds period,
                   void (Daemon::*tick)()) {
  timer.expires_after(period);
  timer.async_wait([this, &timer, period, tick](const std::error_code& ec) {
    if (ec || stopping_) return;
    try {
      (this->*tick)();
    } catch (const std::exception& e) {
      spdlog::error("periodic task failed: {}", e.what());
    }
    Every(timer, period, tick);
  });
}

void Daemon::PingWatchdog() { notifier_.Watchdog(); }

void Daemon::UpdateStatus() {
  std::uint64_t stored = ingest_.counters().stored.load();
  double seconds = std::chrono::duration<double>(kStatusInterval).count();
  notifier_.Status(StatusLine(static_cast<double>(stored - last_status_stored_) / seconds));
  last_status_stored_ = stored;
}

std::string Daemon::StatusLine(double events_per_s) const {
  const IngestCounters& c = ingest_.counters();
  SourceHealth link = source_.Health();
  std::string state;
  if (link.Healthy()) {
    state = "connected";
  } else if (!link.connected) {
    state = "waiting for the MQTT broker";
    if (!link.problems.empty()) state += " (" + link.problems.front() + ")";
  } else if (!link.problems.empty()) {
    state = fmt::format("UNHEALTHY: {}", fmt::join(link.problems, "; "));
  } else {
    state = "connected, subscribing";
  }
  return fmt::format(
      "{}; {}; events stored {} ({:.0f}/s), duplicates {}, rejects {}, flagged ts {}, reused ids "
      "{}",
      state, storage_ok_ ? "storage ok" : "storage unavailable, holding ingest", c.stored.load(),
      events_per_s, c.duplicates.load(), c.rejected.load(), c.flagged_ts.load(),
      c.reused_event_ids.load());
}

void Daemon::LogStats() {
  const IngestCounters& c = ingest_.counters();
  std::uint64_t stored = c.stored.load();
  spdlog::info(
      "{}; events stored {} (+{}), duplicates {}, rejects {}, flagged ts {}, reused ids {}",
      source_.Health().connected ? "connected" : "not connected", stored,
      stored - last_logged_stored_, c.duplicates.load(), c.rejected.load(), c.flagged_ts.load(),
      c.reused_event_ids.load());
  last_logged_stored_ = stored;
}

}  // namespace floortrack
