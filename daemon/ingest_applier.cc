#include "daemon/ingest_applier.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <exception>
#include <utility>

#include "core/time.h"

namespace floortrack {
namespace {

constexpr std::chrono::milliseconds kRetryMin{50};
constexpr int kIdleWaitMs = 20;  // a pause this long makes the applied batches durable
constexpr std::chrono::milliseconds kDurableEvery{100};

}  // namespace

IngestApplier::IngestApplier(IngestJournal& journal, EventStore& store, Ingest& ingest,
                             Hooks hooks, bool synced_journal, std::size_t max_batch)
    : journal_(journal), store_(store), ingest_(ingest), hooks_(std::move(hooks)),
      synced_journal_(synced_journal), max_batch_(max_batch) {}

IngestApplier::~IngestApplier() { Finish(); }

void IngestApplier::Start() {
  thread_ = std::thread([this] {
    // Nothing escapes the thread: what was not committed stays in the
    // journal, so ending the process loses nothing.
    try {
      Run();
    } catch (const std::exception& e) {
      spdlog::critical("ingest applier failed: {}; exiting", e.what());
      spdlog::default_logger()->flush();
      std::_Exit(EXIT_FAILURE);
    } catch (...) {
      std::_Exit(EXIT_FAILURE);
    }
  });
}

void IngestApplier::Finish() {
  finishing_ = true;
  if (thread_.joinable()) thread_.join();
}

void IngestApplier::Run() {
  std::vector<IngestOutcome> outcomes;
  auto last_durable = std::chrono::steady_clock::now();
  for (;;) {
    std::vector<JournalRecord> batch = journal_.NextBatch(max_batch_, kIdleWaitMs);
    if (batch.empty()) {
      // A pause: what was applied becomes durable and is released.
      if (applied_through_ > released_through_) {
        if (!ApplyWithRetry({}, applied_through_, /*durable=*/true, outcomes)) return;
        last_durable = std::chrono::steady_clock::now();
        Release(applied_through_);
      }
      if (finishing_ && journal_.PendingRecords() == 0) return;
      continue;
    }
    if (hooks_.before_batch) hooks_.before_batch();
    const auto now = std::chrono::steady_clock::now();
    const bool durable = !synced_journal_ || now - last_durable >= kDurableEvery ||
                         2 * journal_.PendingBytes() > journal_.max_bytes();
    if (!ApplyWithRetry(batch, batch.back().seq, durable, outcomes)) return;
    applied_through_ = batch.back().seq;
    batches_.fetch_add(1, std::memory_order_relaxed);
    for (std::size_t i = 0; i < batch.size(); ++i) hooks_.applied(batch[i], outcomes[i]);
    if (hooks_.committed) hooks_.committed();
    if (durable) {
      last_durable = now;
      Release(applied_through_);
    }
  }
}

bool IngestApplier::ApplyWithRetry(const std::vector<JournalRecord>& batch, std::uint64_t through,
                                   bool durable, std::vector<IngestOutcome>& outcomes) {
  auto delay = kRetryMin;
  bool failed = false;
  for (;;) {
    outcomes.clear();
    const Status applied = Apply(batch, through, durable, outcomes);
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
                            bool durable, std::vector<IngestOutcome>& outcomes) {
  if (auto begun = store_.BeginBatch(durable); !begun) return begun;
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
