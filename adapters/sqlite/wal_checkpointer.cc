#include "adapters/sqlite/wal_checkpointer.h"

#include <spdlog/spdlog.h>

namespace floortrack::sqlite {

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::Open(const std::string& path,
                                                               const std::string& vfs,
                                                               int pages) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                                 vfs.empty() ? nullptr : vfs.c_str());
  if (rc != SQLITE_OK) {
    Error error = MakeError(ErrorKind::kIo, path + ": opening the checkpoint connection: " +
                                                (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close_v2(db);
    return error;
  }
  // It must not checkpoint on close either: the writer's connection does
  // that when the store closes.
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  sqlite3_busy_timeout(db, 1000);
  return std::unique_ptr<WalCheckpointer>(new WalCheckpointer(db, pages));
}

WalCheckpointer::WalCheckpointer(sqlite3* db, int pages)
    : db_(db), pages_(pages), thread_([this] { Run(); }) {}

WalCheckpointer::~WalCheckpointer() {
  if (writer_) sqlite3_wal_autocheckpoint(writer_, 1000);  // SQLite's own again
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  sqlite3_close_v2(db_);
}

void WalCheckpointer::Install(sqlite3* writer) {
  writer_ = writer;
  sqlite3_wal_hook(writer, &WalCheckpointer::OnCommit, this);
}

int WalCheckpointer::OnCommit(void* self, sqlite3*, const char*, int wal_pages) {
  auto* c = static_cast<WalCheckpointer*>(self);
  if (wal_pages < c->pages_) return SQLITE_OK;
  {
    std::lock_guard lock(c->mutex_);
    c->due_ = true;
  }
  c->wake_.notify_one();
  return SQLITE_OK;
}

// Nothing escapes: a checkpoint that fails (busy, full) is tried again
// after the next commit past the threshold; the WAL only grows meanwhile.
void WalCheckpointer::Run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return due_ || stop_; });
    if (stop_) return;
    due_ = false;
    lock.unlock();
    int log = 0, done = 0;
    const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
      spdlog::debug("WAL checkpoint: {}", sqlite3_errmsg(db_));
    lock.lock();
  }
}

}  // namespace floortrack::sqlite
