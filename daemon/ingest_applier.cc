#include "daemon/ingest_applier.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <exception>
#include <utility>

#include "core/time.h"

namespace floortrack {
namespace {

constexpr std::chrono::milliseconds kRetryMin{50};
constexpr int kIdleWaitMs = 100;  // how often an idle thread looks at finishing_

}  // namespace

IngestApplier::IngestApplier(IngestJournal& journal, EventStore& store, Ingest& ingest,
                             Hooks hooks, std::size_t max_batch)
    : journal_(journal), store_(store), ingest_(ingest), hooks_(std::move(hooks)),
      max_batch_(max_batch) {}

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
  for (;;) {
    std::vector<JournalRecord> batch = journal_.NextBatch(max_batch_, kIdleWaitMs);
    if (batch.empty()) {
      if (finishing_ && journal_.PendingRecords() == 0) return;
      continue;
    }
    if (hooks_.before_batch) hooks_.before_batch();
    auto delay = kRetryMin;
    bool failed = false;
    for (;;) {
      outcomes.clear();
      const Status applied = Apply(batch, outcomes);
      if (applied) break;
      failed = true;
      if (!hooks_.wait_out(applied.error(), delay)) {
        if (hooks_.gave_up) hooks_.gave_up();
        return;
      }
    }
    batches_.fetch_add(1, std::memory_order_relaxed);
    if (failed && hooks_.recovered) hooks_.recovered();
    for (std::size_t i = 0; i < batch.size(); ++i) hooks_.applied(batch[i], outcomes[i]);
    if (hooks_.committed) hooks_.committed();
    if (auto released = journal_.Release(batch.back().seq); !released)
      spdlog::warn("{}", released.error().message);  // skipped at the next start
  }
}

Status IngestApplier::Apply(const std::vector<JournalRecord>& batch,
                            std::vector<IngestOutcome>& outcomes) {
  if (auto begun = store_.BeginBatch(); !begun) return begun;
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
  if (auto committed = store_.CommitBatch(batch.back().seq); !committed) {
    store_.AbortBatch();
    ingest_.EndBatch(false);
    return committed;
  }
  ingest_.EndBatch(true);
  return Ok{};
}

}  // namespace floortrack
