#include "tests/store/fault_vfs.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace floortrack::testing {

namespace {

constexpr int kFileKinds = 3;  // kDatabase, kWal, kOther
constexpr int kOps = 2;        // kWrite, kSync

// The newest sqlite3_vfs / sqlite3_io_methods layouts this file fills in.
constexpr int kMaxVfsVersion = 3;
constexpr int kMaxIoVersion = 3;

}  // namespace

struct FaultVfsState {
  std::string name;
  sqlite3_vfs vfs{};
  sqlite3_vfs* base = nullptr;  // the default VFS, wrapped

  mutable std::mutex mu;
  bool armed = false;
  Fault fault;
  int seen = 0;  // matching calls since Arm()
  int injected = 0;
  std::array<std::array<int, kOps>, kFileKinds> calls{};

  // Counts the call; the error code to return instead of making it, or
  // SQLITE_OK to make it.
  int Check(FaultFile file, FaultOp op) {
    std::lock_guard<std::mutex> lock(mu);
    ++calls[static_cast<int>(file)][static_cast<int>(op)];
    if (!armed || fault.op != op || (fault.file != FaultFile::kAny && fault.file != file)) {
      return SQLITE_OK;
    }
    const int n = seen++;
    if (n < fault.skip) return SQLITE_OK;
    if (fault.times != Fault::kUntilCleared && n - fault.skip >= fault.times) return SQLITE_OK;
    ++injected;
    return fault.rc;
  }
};

namespace {

// A file opened through the shim: our sqlite3_file, then (at kRealOffset in
// the same block of szOsFile bytes SQLite allocates) the default VFS's file.
struct ShimFile {
  sqlite3_file base;  // first: SQLite sees a ShimFile as a sqlite3_file
  FaultVfsState* state;
  FaultFile kind;
  sqlite3_file* real;
};

constexpr std::size_t kRealOffset = (sizeof(ShimFile) + alignof(std::max_align_t) - 1) /
                                    alignof(std::max_align_t) * alignof(std::max_align_t);

ShimFile* Shim(sqlite3_file* file) { return reinterpret_cast<ShimFile*>(file); }
sqlite3_file* Real(sqlite3_file* file) { return Shim(file)->real; }
FaultVfsState* StateOf(sqlite3_vfs* vfs) { return static_cast<FaultVfsState*>(vfs->pAppData); }
sqlite3_vfs* Base(sqlite3_vfs* vfs) { return StateOf(vfs)->base; }

FaultFile KindOf(int open_flags) {
  if (open_flags & SQLITE_OPEN_MAIN_DB) return FaultFile::kDatabase;
  if (open_flags & SQLITE_OPEN_WAL) return FaultFile::kWal;
  return FaultFile::kOther;
}

// --- sqlite3_io_methods: pass through, except for an armed fault.

int Close(sqlite3_file* f) { return Real(f)->pMethods->xClose(Real(f)); }
int Read(sqlite3_file* f, void* buf, int n, sqlite3_int64 offset) {
  return Real(f)->pMethods->xRead(Real(f), buf, n, offset);
}
int Write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 offset) {
  if (int rc = Shim(f)->state->Check(Shim(f)->kind, FaultOp::kWrite); rc != SQLITE_OK) return rc;
  return Real(f)->pMethods->xWrite(Real(f), buf, n, offset);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  return Real(f)->pMethods->xTruncate(Real(f), size);
}
int Sync(sqlite3_file* f, int flags) {
  if (int rc = Shim(f)->state->Check(Shim(f)->kind, FaultOp::kSync); rc != SQLITE_OK) return rc;
  return Real(f)->pMethods->xSync(Real(f), flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int Lock(sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); }
int Unlock(sqlite3_file* f, int level) { return Real(f)->pMethods->xUnlock(Real(f), level); }
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int ShmMap(sqlite3_file* f, int page, int page_size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), page, page_size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int delete_flag) {
  return Real(f)->pMethods->xShmUnmap(Real(f), delete_flag);
}
int Fetch(sqlite3_file* f, sqlite3_int64 offset, int n, void** out) {
  return Real(f)->pMethods->xFetch(Real(f), offset, n, out);
}
int Unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  return Real(f)->pMethods->xUnfetch(Real(f), offset, p);
}

// One table per io-methods version: SQLite decides from iVersion whether a
// file has shared memory (>= 2, needed for WAL without exclusive locking)
// and mmap (>= 3), so the shim must claim exactly what the wrapped file has.
// Fields beyond a table's iVersion are never read; they stay filled in.
constexpr sqlite3_io_methods MethodsOfVersion(int version) {
  return sqlite3_io_methods{
      version,
      Close,
      Read,
      Write,
      Truncate,
      Sync,
      FileSize,
      Lock,
      Unlock,
      CheckReservedLock,
      FileControl,
      SectorSize,
      DeviceCharacteristics,
      ShmMap,
      ShmLock,
      ShmBarrier,
      ShmUnmap,
      Fetch,
      Unfetch,
  };
}
constexpr std::array<sqlite3_io_methods, kMaxIoVersion> kMethods = {
    MethodsOfVersion(1), MethodsOfVersion(2), MethodsOfVersion(3)};

// --- sqlite3_vfs: pass through; xOpen wraps the opened file.

int Open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  ShimFile* shim = Shim(file);
  shim->base.pMethods = nullptr;
  shim->state = StateOf(vfs);
  shim->kind = KindOf(flags);
  shim->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  shim->real->pMethods = nullptr;
  const int rc = Base(vfs)->xOpen(Base(vfs), name, shim->real, flags, out_flags);
  // SQLite calls xClose whenever pMethods is set after xOpen, even after a
  // failed open; mirror the wrapped file so its xClose runs exactly then.
  if (const sqlite3_io_methods* real = shim->real->pMethods) {
    const int version = std::clamp(real->iVersion, 1, kMaxIoVersion);
    shim->base.pMethods = &kMethods[static_cast<std::size_t>(version - 1)];
  }
  return rc;
}
int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return Base(vfs)->xDelete(Base(vfs), name, sync_dir);
}
int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return Base(vfs)->xAccess(Base(vfs), name, flags, out);
}
int FullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return Base(vfs)->xFullPathname(Base(vfs), name, n, out);
}
void* DlOpen(sqlite3_vfs* vfs, const char* name) { return Base(vfs)->xDlOpen(Base(vfs), name); }
void DlError(sqlite3_vfs* vfs, int n, char* out) { Base(vfs)->xDlError(Base(vfs), n, out); }
void (*DlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return Base(vfs)->xDlSym(Base(vfs), handle, symbol);
}
void DlClose(sqlite3_vfs* vfs, void* handle) { Base(vfs)->xDlClose(Base(vfs), handle); }
int Randomness(sqlite3_vfs* vfs, int n, char* out) {
  return Base(vfs)->xRandomness(Base(vfs), n, out);
}
int Sleep(sqlite3_vfs* vfs, int microseconds) { return Base(vfs)->xSleep(Base(vfs), microseconds); }
int CurrentTime(sqlite3_vfs* vfs, double* out) { return Base(vfs)->xCurrentTime(Base(vfs), out); }
int GetLastError(sqlite3_vfs* vfs, int n, char* out) {
  return Base(vfs)->xGetLastError(Base(vfs), n, out);
}
int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return Base(vfs)->xCurrentTimeInt64(Base(vfs), out);
}
int SetSystemCall(sqlite3_vfs* vfs, const char* name, sqlite3_syscall_ptr call) {
  return Base(vfs)->xSetSystemCall(Base(vfs), name, call);
}
sqlite3_syscall_ptr GetSystemCall(sqlite3_vfs* vfs, const char* name) {
  return Base(vfs)->xGetSystemCall(Base(vfs), name);
}
const char* NextSystemCall(sqlite3_vfs* vfs, const char* name) {
  return Base(vfs)->xNextSystemCall(Base(vfs), name);
}

}  // namespace

FaultVfs::FaultVfs(std::string name) : state_(std::make_unique<FaultVfsState>()) {
  FaultVfsState& s = *state_;
  s.name = std::move(name);
  s.base = sqlite3_vfs_find(nullptr);
  if (s.base == nullptr) throw std::logic_error("FaultVfs: SQLite has no default VFS");
  if (sqlite3_vfs_find(s.name.c_str()) != nullptr) {
    throw std::logic_error("FaultVfs: a VFS named " + s.name + " is already registered");
  }
  sqlite3_vfs& v = s.vfs;
  // Only the members the wrapped VFS has (by its iVersion) are offered.
  v.iVersion = std::min(s.base->iVersion, kMaxVfsVersion);
  v.szOsFile = static_cast<int>(kRealOffset) + s.base->szOsFile;
  v.mxPathname = s.base->mxPathname;
  v.zName = s.name.c_str();
  v.pAppData = &s;
  v.xOpen = Open;
  v.xDelete = Delete;
  v.xAccess = Access;
  v.xFullPathname = FullPathname;
  v.xDlOpen = DlOpen;
  v.xDlError = DlError;
  v.xDlSym = DlSym;
  v.xDlClose = DlClose;
  v.xRandomness = Randomness;
  v.xSleep = Sleep;
  v.xCurrentTime = CurrentTime;
  v.xGetLastError = GetLastError;
  if (v.iVersion >= 2) v.xCurrentTimeInt64 = CurrentTimeInt64;
  if (v.iVersion >= 3) {
    v.xSetSystemCall = SetSystemCall;
    v.xGetSystemCall = GetSystemCall;
    v.xNextSystemCall = NextSystemCall;
  }
  if (int rc = sqlite3_vfs_register(&v, /*makeDflt=*/0); rc != SQLITE_OK) {
    throw std::logic_error("FaultVfs: registering " + s.name + ": " + sqlite3_errstr(rc));
  }
}

FaultVfs::~FaultVfs() { sqlite3_vfs_unregister(&state_->vfs); }

const std::string& FaultVfs::name() const { return state_->name; }

void FaultVfs::Arm(const Fault& fault) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->armed = true;
  state_->fault = fault;
  state_->seen = 0;
  state_->injected = 0;
}

void FaultVfs::Clear() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->armed = false;
}

int FaultVfs::injected() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->injected;
}

int FaultVfs::calls(FaultFile file, FaultOp op) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  const auto& by_file = state_->calls;
  if (file != FaultFile::kAny) return by_file[static_cast<int>(file)][static_cast<int>(op)];
  int total = 0;
  for (const auto& row : by_file) total += row[static_cast<int>(op)];
  return total;
}

void FaultVfs::ResetCounts() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->calls = {};
}

}  // namespace floortrack::testing
