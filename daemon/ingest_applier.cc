#include "daemon/ingest_applier.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <exception>
#include <utility>

#include "core/time.h"

namespace floortrack {
namespace {

constexpr std::chrono::milliseconds kRetryMin{50};
constexpr int kIdleWaitMs = 20;  // a pause this long wakes the syncer
constexpr std::chrono::milliseconds kDurableEvery{100};
// A batch found with fewer records waits this long for more: each commit
// writes every page it touched, so a few events per commit instead of one
// cut the pages written per event (and the checkpoints they bring) several
// times, for at most this much more latency.
constexpr std::size_t kFewRecords = 32;
constexpr std::chrono::microseconds kGatherFor{1500};

}  // namespace

IngestApplier::IngestApplier(IngestJournal& journal, EventStore& store, Ingest& ingest,
                             Hooks hooks, bool synced_journal, std::size_t max_batch)
    : journal_(journal), store_(store), ingest_(ingest), hooks_(std::move(hooks)),
      synced_journal_(synced_journal), max_batch_(max_batch) {}

IngestApplier::~IngestApplier() { Finish(); }

void IngestApplier::Start() {
  // Nothing escapes either thread: what was not committed stays in the
  // journal, so ending the process loses nothing.
  const auto guarded = [](const char* what, auto body) {
    return [what, body] {
      try {
        body();
      } catch (const std::exception& e) {
        spdlog::critical("{} failed: {}; exiting", what, e.what());
        spdlog::default_logger()->flush();
        std::_Exit(EXIT_FAILURE);
      } catch (...) {
        std::_Exit(EXIT_FAILURE);
      }
    };
  };
  thread_ = std::thread(guarded("ingest applier", [this] { Run(); }));
  if (synced_journal_) syncer_ = std::thread(guarded("ingest syncer", [this] { Sync(); }));
}

void IngestApplier::Finish() {
  finishing_ = true;
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(sync_mutex_);
    sync_stop_ = true;
  }
  sync_wake_.notify_all();
  if (syncer_.joinable()) syncer_.join();
}

void IngestApplier::WakeSyncer() {
  {
    std::lock_guard lock(sync_mutex_);
    sync_due_ = true;
  }
  sync_wake_.notify_all();
}

void IngestApplier::Run() {
  std::vector<IngestOutcome> outcomes;
  for (;;) {
    std::vector<JournalRecord> batch = journal_.NextBatch(max_batch_, kIdleWaitMs);
    if (batch.empty()) {
      if (synced_journal_ && applied_through_ > 0) WakeSyncer();  // a pause
      if (finishing_ && journal_.Unhanded() == 0) return;  // the syncer's last round follows
      continue;
    }
    if (batch.size() < kFewRecords && !finishing_) {
      std::this_thread::sleep_for(kGatherFor);
      for (auto& r : journal_.NextBatch(max_batch_ - batch.size(), 0)) batch.push_back(std::move(r));
    }
    if (hooks_.before_batch) hooks_.before_batch();
    if (!ApplyWithRetry(batch, batch.back().seq, outcomes)) return;
    applied_through_ = batch.back().seq;
    batches_.fetch_add(1, std::memory_order_relaxed);
    for (std::size_t i = 0; i < batch.size(); ++i) hooks_.applied(batch[i], outcomes[i]);
    if (hooks_.committed) hooks_.committed();
    if (!synced_journal_)
      Release(applied_through_);
    else if (2 * journal_.PendingBytes() > journal_.max_bytes())
      WakeSyncer();
  }
}

// Every kDurableEvery (or when woken): what the applier committed is synced,
// then released. A failed sync releases nothing; the next round tries again.
// Its last round runs after the applier has ended (Finish).
void IngestApplier::Sync() {
  std::unique_lock lock(sync_mutex_);
  for (;;) {
    sync_wake_.wait_for(lock, kDurableEvery, [this] { return sync_due_ || sync_stop_; });
    const bool stop = sync_stop_;
    sync_due_ = false;
    lock.unlock();
    const std::uint64_t through = applied_through_;
    if (through > released_through_) {
      if (auto synced = store_.SyncCommitted(); synced)
        Release(through);
      else
        spdlog::warn("{}; the journal keeps the records until a sync succeeds",
                     synced.error().message);
    }
    lock.lock();
    if (stop) return;
  }
}

bool IngestApplier::ApplyWithRetry(const std::vector<JournalRecord>& batch, std::uint64_t through,
                                   std::vector<IngestOutcome>& outcomes) {
  auto delay = kRetryMin;
  bool failed = false;
  for (;;) {
    outcomes.clear();
    const Status applied = Apply(batch, through, outcomes);
    if (applied) break;
    failed = true;
    if (!hooks_.wait_out(applied.error(), delay)) {
      if (hooks_.gave_up) hooks_.gave_up();
      return false;
    }
  }
  if (failed && hooks_.recovered) hooks_.recovered();
  return true;
}

void IngestApplier::Release(std::uint64_t through) {
  released_through_ = through;
  if (auto released = journal_.Release(through); !released)
    spdlog::warn("{}", released.error().message);  // skipped at the next start
}

Status IngestApplier::Apply(const std::vector<JournalRecord>& batch, std::uint64_t through,
                            std::vector<IngestOutcome>& outcomes) {
  // With a synced journal the syncer makes commits durable; else the
  // configured mode decides (NORMAL there too).
  if (auto begun = store_.BeginBatch(!synced_journal_); !begun) return begun;
  ingest_.BeginBatch();
  for (const JournalRecord& r : batch) {
    auto outcome = ingest_.OnMessage(r.topic, r.payload, DeliveryMark{r.connection, r.sequence},
                                     FromEpochMs(r.received_ms));
    if (!outcome) {
      store_.AbortBatch();
      ingest_.EndBatch(false);
      return outcome.error();
    }
    outcomes.push_back(std::move(outcome).value());
  }
  if (auto committed = store_.CommitBatch(through); !committed) {
    store_.AbortBatch();
    ingest_.EndBatch(false);
    return committed;
  }
  ingest_.EndBatch(true);
  return Ok{};
}

}  // namespace floortrack
