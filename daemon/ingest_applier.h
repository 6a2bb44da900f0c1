// IngestApplier: applies the ingest journal's records to the store, in
// batches, on a thread of its own.
//
// The message source's thread only appends each message to the journal
// (adapters/ingest_journal.h), which is what its acknowledgement waits for.
// This thread takes what has accumulated (up to `max_batch` records), runs
// each record through Ingest in one store batch (EventStore::BeginBatch)
// and commits it together with the journal position it reaches, then lets
// the journal release those records once that commit is as durable as the
// journal was. With a synced journal ("full") batches commit without a sync
// of their own, and a second thread (the syncer) makes them durable every
// 100 ms, or sooner when the journal is half full or ingest pauses
// (EventStore::SyncCommitted, an fdatasync of SQLite's WAL), then releases
// the records they hold: the applier never waits for the disk, and one sync
// covers many batches. A power loss may take undurable batches from the
// database, with their position: their records are still in the journal
// and are applied again. So a record is applied exactly once
// whatever happens (a crash between commit and release leaves records the
// database already has: Open() skips them by that position). A batch that
// fails is rolled back whole and retried from its first record, after
// `wait_out` has waited the condition out; when it gives up (a stop while
// storage is held, or an error that will not clear) the thread ends and
// the records stay in the journal for the next start.
//
// Owns its thread; borrows the journal, the store and the Ingest (used only
// on this thread while it runs). The hooks are called on this thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <cstddef>
#include <functional>
#include <string_view>
#include <thread>
#include <vector>

#include "adapters/ingest_journal.h"
#include "core/event_store.h"
#include "core/ingest.h"

namespace floortrack {

class IngestApplier {
 public:
  struct Hooks {
    std::function<void()> before_batch;  // e.g. rules handed over by a reload
    // Each message of a committed batch, in order.
    std::function<void(const JournalRecord&, const IngestOutcome&)> applied;
    std::function<void()> committed;  // after each committed batch
    // A batch failed: waits, true to retry, false to give up.
    std::function<bool(const Error&, std::chrono::milliseconds& delay)> wait_out;
    std::function<void()> recovered;  // a batch went through after a failure
    std::function<void()> gave_up;    // the thread is ending with records left
  };

  // `synced_journal`: the journal fdatasyncs its records (see above).
  IngestApplier(IngestJournal& journal, EventStore& store, Ingest& ingest, Hooks hooks,
                bool synced_journal, std::size_t max_batch = 2000);
  ~IngestApplier();  // Finish()es
  IngestApplier(const IngestApplier&) = delete;
  IngestApplier& operator=(const IngestApplier&) = delete;

  void Start();
  // Applies every record appended so far, then ends the thread (sooner if
  // it gives up). Call once nothing appends any more.
  void Finish();
  std::uint64_t batches() const { return batches_.load(std::memory_order_relaxed); }

 private:
  void Run();
  // One batch, all or nothing, committed at `through` (its last record's seq).
  Status Apply(const std::vector<JournalRecord>& batch, std::uint64_t through,
               std::vector<IngestOutcome>& outcomes);
  // Apply() until it succeeds; false when wait_out gave up.
  bool ApplyWithRetry(const std::vector<JournalRecord>& batch, std::uint64_t through,
                      std::vector<IngestOutcome>& outcomes);
  void Release(std::uint64_t through);
  void Sync();       // the syncer thread
  void WakeSyncer();

  IngestJournal& journal_;
  EventStore& store_;
  Ingest& ingest_;
  Hooks hooks_;
  bool synced_journal_;
  std::size_t max_batch_;
  std::atomic<std::uint64_t> applied_through_{0};  // last record committed
  std::uint64_t released_through_ = 0;  // the releasing thread's (applier, or syncer when synced)
  std::atomic<bool> finishing_{false};
  std::atomic<std::uint64_t> batches_{0};
  std::mutex sync_mutex_;
  std::condition_variable sync_wake_;
  bool sync_due_ = false, sync_stop_ = false;
  std::thread thread_;
  std::thread syncer_;
};

}  // namespace floortrack
