// AlertMonitor: evaluates the alert rules ([alerts], core/alerts.h) and
// tells people when something fires or resolves (docs/alerts.md).
//
// An evaluation runs every [alerts] interval_s and, coalesced, within
// kMinEventGap of a stored event. Each change is logged (fired: warning,
// resolved: info), published retained on floortrack/alerts/<id> (a JSON
// object while firing; a retained empty payload clears it when resolved)
// and the state recorded in the database (settings "alerts"), from which
// `floortrack alerts` and GET /api/v1/alerts list what is firing and a
// restart resumes.
//
// Threads: evaluations run on a worker thread of the monitor's own, with
// its own read-only database connection and its own writing connection for
// the record (the production Inputs and Record), never on the ingest
// thread nor on the io_context thread. EventStored() and CountMessages() are
// what the ingest thread calls: they take a short mutex, never block on the
// database or the broker. Publishing goes through the MessageSink, which
// never blocks.
//
// Ownership: borrows the io_context and the sink (which the KPI publisher
// starts and stops), both of which must outlive it; owns its timer and
// worker. Start(), SetRules() and Stop() on the io_context thread; the
// destructor joins the worker.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "adapters/alert_record.h"
#include "core/alerts.h"
#include "core/kpi.h"
#include "core/message_sink.h"
#include "core/result.h"
#include "core/rules.h"

namespace floortrack {

// What one evaluation reads from the database.
struct AlertInputs {
  Rules rules;                     // as recorded (targets, time zone, working hours)
  std::vector<OrderSummary> open;  // open orders
  std::optional<KpiReport> kpis;   // over the rolling window
  std::optional<LateReport> late;  // late and at-risk orders now
};

class AlertMonitor {
 public:
  using Inputs = std::function<Result<AlertInputs>(TimePoint now, const AlertRules& rules)>;
  using Record = std::function<Status(const std::string& state)>;
  static constexpr std::chrono::seconds kMinEventGap{5};
  static constexpr const char* kTopicPrefix = "floortrack/alerts/";

  // `restored`: the recorded state from the last run, if any.
  AlertMonitor(asio::io_context& io, AlertRules rules, MessageSink& sink, Inputs inputs,
               Record record, std::optional<AlertState> restored);
  ~AlertMonitor();
  AlertMonitor(const AlertMonitor&) = delete;
  AlertMonitor& operator=(const AlertMonitor&) = delete;

  // The production Inputs and Record on the database at `path`.
  static Inputs ReadOnlyDatabase(std::string path);
  static Record StateRecordAt(std::string path, int busy_timeout_ms);

  void Start();
  void Stop();
  void SetRules(AlertRules rules);
  // A stored event that arrived on `topic`: its watched device was heard,
  // and an evaluation is due within kMinEventGap. Any thread.
  void EventStored(std::string_view topic);
  // The ingest counters now (messages = stored + duplicates + rejected),
  // sampled for the reject rate. Any thread.
  void CountMessages(std::uint64_t messages, std::uint64_t rejected);

  // Evaluations that ran, for tests. Any thread.
  std::uint64_t evaluations() const;

 private:
  using Steady = std::chrono::steady_clock;
  void ScheduleTick();
  void Work();
  void Evaluate();

  asio::io_context& io_;
  asio::steady_timer timer_;
  MessageSink& sink_;
  Inputs inputs_;
  Record record_;
  std::thread worker_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  AlertRules rules_;                             // guarded
  std::map<std::string, TimePoint> last_event_;  // guarded; by watch name
  std::uint64_t messages_ = 0;                   // guarded; latest CountMessages
  std::uint64_t rejected_ = 0;                   // guarded
  struct Sample {
    TimePoint at;
    std::uint64_t messages, rejected;
  };
  std::deque<Sample> samples_;             // worker only: one per evaluation
  std::optional<Steady::time_point> due_;  // guarded
  Steady::time_point last_run_{};          // guarded
  bool stop_ = false;                      // guarded
  std::uint64_t evaluations_ = 0;          // guarded
  AlertBook book_;                         // worker only
  std::string recorded_;                   // worker only: last state recorded
  TimePoint watching_since_;               // worker only
  bool running_ = false;                   // io_context thread
};

}  // namespace floortrack
