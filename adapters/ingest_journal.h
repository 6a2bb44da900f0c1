// IngestJournal: the append-only file that makes a received message durable
// before the broker is acknowledged, ahead of its (batched) apply to the
// database.
//
// Why: Paho acknowledges a message when its callback returns, so whatever
// the callback does per message bounds ingest. Writing the raw message here
// (one write(2), plus fdatasync in "full" mode) costs a fraction of a SQLite
// transaction; another thread then applies the records to the database in
// large transactions (daemon/ingest_applier.h). docs/reliability.md says
// what this guarantees; docs/performance.md what it buys.
//
// On disk: a directory of segment files named by the sequence number of
// their first record (00000000000000000001.seg, ...). A record is a header
// (body length, CRC-32 of the body) and a body (sequence number, the
// delivery's connection and place in it, the receive time, topic, payload).
// Sequence numbers grow by one per record across segments and restarts.
// The database records the highest sequence number it has applied, in the
// same transaction as the records' events (EventStore::CommitBatch), so a
// record is applied exactly once: Open() keeps only the records above it.
// A record cut short by a crash (the last one written) fails its length or
// CRC check and is cut off at Open(); a bad record before the end of the
// journal is corruption, refused with an error.
//
// Bounded: records not yet released may take at most `max_bytes`
// (WaitForRoom() blocks the appender meanwhile), so memory and disk stay
// bounded when the database falls behind or is held. Released segments are
// deleted.
//
// Thread-safety: Append() and WaitForRoom() from one thread (the message
// source's); NextBatch() and Release() from one other thread (the applier);
// Interrupt() and the accessors from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace floortrack {

struct JournalRecord {
  std::uint64_t seq = 0;         // the journal's sequence number
  std::uint64_t connection = 0;  // DeliveryMark::connection
  std::uint64_t sequence = 0;    // DeliveryMark::sequence
  std::int64_t received_ms = 0;  // Unix ms when the message was received
  std::string topic;
  std::string payload;
  // In memory only: when Append() wrote it (steady clock); empty when read
  // back at Open().
  std::optional<std::chrono::steady_clock::time_point> appended_at;

  std::size_t Size() const;  // bytes on disk
};

struct JournalOptions {
  std::string dir;         // created if missing (its parent must exist)
  bool sync = true;        // fdatasync each record ("full"); false: write only ("normal")
  std::size_t max_bytes = 4u << 20;       // unreleased records, at most (one larger record passes)
  std::size_t segment_bytes = 1u << 20;   // a new segment starts past this size
};

class IngestJournal {
 public:
  // Opens the directory and reads back every record above `applied_through`
  // (the database's AppliedThrough()): they are NextBatch()'s first.
  static Result<std::unique_ptr<IngestJournal>> Open(const JournalOptions& options,
                                                     std::uint64_t applied_through);
  ~IngestJournal();
  IngestJournal(const IngestJournal&) = delete;
  IngestJournal& operator=(const IngestJournal&) = delete;

  // Writes one record (its seq assigned here) and returns once it is durable
  // to the configured level. On an error (kFull, kIo, kReadOnly) nothing of
  // it stays in the journal and the call may be retried.
  Status Append(std::uint64_t connection, std::uint64_t sequence, std::int64_t received_ms,
                std::string_view topic, std::string_view payload);
  // Blocks until a record of `bytes` fits the bound; false once Interrupt()ed.
  bool WaitForRoom(std::size_t bytes);

  // Up to `max_records` records after those already handed out, waiting up
  // to `wait_ms` for the first; empty on timeout or Interrupt().
  std::vector<JournalRecord> NextBatch(std::size_t max_records, int wait_ms);
  // The records up to `seq` are in the database: frees their room and
  // deletes the segments holding only such records. Failure to delete a
  // file is reported but loses nothing (it is skipped at the next Open).
  Status Release(std::uint64_t seq);

  void Interrupt();  // wakes WaitForRoom() and NextBatch() for good
  std::size_t PendingRecords() const;  // appended, not released
  std::size_t Unhanded() const;        // appended, not yet handed out by NextBatch()
  std::size_t PendingBytes() const;
  // The largest delivery connection among the records Open() read back (0:
  // none): a new process numbers its connections above it, so the replayed
  // records' connections stay distinct from its own (core/event_identity.h).
  std::uint64_t ReplayedConnectionMax() const { return replayed_connection_max_; }
  const std::string& dir() const { return options_.dir; }
  std::size_t max_bytes() const { return options_.max_bytes; }
  bool synced() const { return options_.sync; }

 private:
  explicit IngestJournal(JournalOptions options);
  Status Replay(std::uint64_t applied_through);
  Status StartSegment();
  Status SyncDir();

  JournalOptions options_;
  int dir_fd_ = -1;
  int fd_ = -1;                    // the segment being appended to (Append's thread)
  std::uint64_t segment_first_ = 0;
  std::size_t segment_size_ = 0;
  std::uint64_t next_seq_ = 1;     // Append's thread
  std::uint64_t replayed_connection_max_ = 0;
  std::string buffer_;             // Append's thread: the record being written

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<JournalRecord> pending_;  // appended, not released, in seq order
  std::size_t handed_out_ = 0;         // of pending_, the first this many went to NextBatch
  std::size_t pending_bytes_ = 0;
  std::deque<std::uint64_t> segments_;  // first seq of each segment file, oldest first
  bool interrupted_ = false;
};

}  // namespace floortrack
