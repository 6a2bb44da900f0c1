// FaultVfs: a SQLite VFS for tests that passes every call through to the
// default VFS and, on demand, fails chosen xWrite or xSync calls, so a store
// test can meet an I/O error, a full disk or a read-only file at a precise
// moment (typically COMMIT). It plays the part leveldb's EnvWrapper-based
// fault injection plays there.
//
// Constructing a FaultVfs registers it (never as the default VFS) under its
// name; a store opens its file through it with StoreOptions::vfs = name().
// Each file it opens wraps a file of the default VFS ("unix"): every method is
// passed through, and the io-methods table has the wrapped file's iVersion, so
// WAL shared memory (xShm*) and memory-mapped reads (xFetch/xUnfetch) work as
// without the shim, and connections through the shim and through the default
// VFS share the same locks and -shm file. While a Fault is armed, a matching
// call returns the fault's error code without reaching the file (nothing is
// written or synced). In WAL mode a COMMIT writes the transaction's frames to
// the -wal file (two xWrite calls per frame: header, page) and, with
// synchronous = FULL, then xSyncs it; a fault on FaultFile::kWal therefore
// hits the commit and nothing else the store does in a small transaction.
//
// Ownership: the FaultVfs owns its sqlite3_vfs and its state; every
// connection opened through it must be closed before it is destroyed (the
// destructor unregisters it). The wrapped default VFS belongs to SQLite.
// Thread-safety: Arm, Clear and the counters may be called from any thread,
// also while connections on other threads call into the VFS (one mutex
// guards the plan and the counters).
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>

namespace floortrack::testing {

struct FaultVfsState;  // the sqlite3_vfs, the wrapped VFS, the plan and counters

// Which of a database's files a call was made on.
enum class FaultFile {
  kDatabase,  // the main database file
  kWal,       // its -wal file
  kOther,     // anything else (rollback journal, temporary files)
  kAny,       // in a Fault or a counter query: any of the above
};

enum class FaultOp { kWrite, kSync };

// What to fail: the matching calls after the first `skip` of them, `times`
// of them (kUntilCleared: every one until Clear() or the next Arm()).
struct Fault {
  static constexpr int kUntilCleared = -1;

  FaultFile file = FaultFile::kWal;
  FaultOp op = FaultOp::kWrite;
  int rc = SQLITE_IOERR_WRITE;  // returned instead of calling the file
  int skip = 0;
  int times = kUntilCleared;
};

class FaultVfs {
 public:
  static constexpr const char* kDefaultName = "floortrack-fault";

  // Registers the VFS. Throws std::logic_error when `name` is already taken
  // or SQLite refuses the registration.
  explicit FaultVfs(std::string name = kDefaultName);
  ~FaultVfs();
  FaultVfs(const FaultVfs&) = delete;
  FaultVfs& operator=(const FaultVfs&) = delete;

  const std::string& name() const;

  // Replaces the plan with `fault` and zeroes injected().
  void Arm(const Fault& fault);
  // No fault from now on; the counters are kept.
  void Clear();

  // Faults returned since the last Arm().
  int injected() const;
  // Calls of `op` on `file` (passed through or failed) since construction or
  // the last ResetCounts().
  int calls(FaultFile file, FaultOp op) const;
  void ResetCounts();

 private:
  std::unique_ptr<FaultVfsState> state_;
};

}  // namespace floortrack::testing
