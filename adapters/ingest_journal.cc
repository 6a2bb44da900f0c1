#include "adapters/ingest_journal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace floortrack {
namespace {

// Header: body length (u32), CRC-32 of the body (u32). Body: seq, connection,
// sequence (u64 each), received_ms (i64), topic length (u32), topic, payload.
constexpr std::size_t kHeaderBytes = 8;
constexpr std::size_t kFixedBodyBytes = 4 * 8 + 4;
constexpr std::uint32_t kMaxBodyBytes = 16u << 20;  // far above any accepted payload

ErrorKind KindOf(int err) {
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return ErrorKind::kFull;
    case EROFS:
    case EACCES:
    case EPERM:
      return ErrorKind::kReadOnly;
    default:
      return ErrorKind::kIo;
  }
}

Error SysError(int err, const std::string& what) {
  return MakeError(KindOf(err), "ingest journal: " + what + ": " + std::strerror(err));
}

template <class T>
void Put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

template <class T>
T Get(const char*& p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  p += sizeof v;
  return v;
}

std::string SegmentName(std::uint64_t first) {
  char name[32];
  std::snprintf(name, sizeof name, "%020" PRIu64 ".seg", first);
  return name;
}

bool ParseSegmentName(const char* name, std::uint64_t& first) {
  const std::size_t len = std::strlen(name);
  if (len != 24 || std::strcmp(name + 20, ".seg") != 0) return false;
  first = 0;
  for (int i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    first = first * 10 + static_cast<std::uint64_t>(name[i] - '0');
  }
  return true;
}

Result<std::string> ReadWhole(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return SysError(errno, "opening " + path);
  std::string data;
  char chunk[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return SysError(err, "reading " + path);
    }
    if (n == 0) break;
    data.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return data;
}

}  // namespace

std::size_t JournalRecord::Size() const {
  return kHeaderBytes + kFixedBodyBytes + topic.size() + payload.size();
}

IngestJournal::IngestJournal(JournalOptions options) : options_(std::move(options)) {}

IngestJournal::~IngestJournal() {
  if (fd_ >= 0) ::close(fd_);
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

Result<std::unique_ptr<IngestJournal>> IngestJournal::Open(const JournalOptions& options,
                                                           std::uint64_t applied_through) {
  std::unique_ptr<IngestJournal> j(new IngestJournal(options));
  if (::mkdir(options.dir.c_str(), 0750) != 0 && errno != EEXIST)
    return SysError(errno, "creating " + options.dir);
  j->dir_fd_ = ::open(options.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (j->dir_fd_ < 0) return SysError(errno, "opening " + options.dir);
  if (auto s = j->Replay(applied_through); !s) return s.error();
  return j;
}

// Reads every segment in order; keeps the records above applied_through;
// cuts a torn last record off; deletes segments holding only applied ones.
Status IngestJournal::Replay(std::uint64_t applied_through) {
  std::vector<std::uint64_t> firsts;
  if (DIR* d = ::opendir(options_.dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::uint64_t first;
      if (ParseSegmentName(e->d_name, first)) firsts.push_back(first);
    }
    ::closedir(d);
  } else {
    return SysError(errno, "listing " + options_.dir);
  }
  std::sort(firsts.begin(), firsts.end());
  std::uint64_t last_seq = applied_through;
  for (std::size_t i = 0; i < firsts.size(); ++i) {
    const std::string path = options_.dir + "/" + SegmentName(firsts[i]);
    auto data = ReadWhole(path);
    if (!data) return data.error();
    const std::string& bytes = data.value();
    std::size_t at = 0;
    std::uint64_t expect = firsts[i];
    bool kept_any = false;
    while (at < bytes.size()) {
      const char* p = bytes.data() + at;
      const std::size_t left = bytes.size() - at;
      std::uint32_t len = 0, crc = 0;
      if (left >= kHeaderBytes) {
        len = Get<std::uint32_t>(p);
        crc = Get<std::uint32_t>(p);
      }
      if (left >= kHeaderBytes && len == 0 && crc == 0) break;  // the zeros after the last record
      const bool fits = left >= kHeaderBytes && left - kHeaderBytes >= len;
      JournalRecord r;
      bool good = fits && len >= kFixedBodyBytes && len <= kMaxBodyBytes &&
                  crc == static_cast<std::uint32_t>(
                             ::crc32(0, reinterpret_cast<const Bytef*>(p), len));
      if (good) {
        r.seq = Get<std::uint64_t>(p);
        r.connection = Get<std::uint64_t>(p);
        r.sequence = Get<std::uint64_t>(p);
        r.received_ms = Get<std::int64_t>(p);
        const auto topic_len = Get<std::uint32_t>(p);
        good = r.seq == expect && topic_len <= len - kFixedBodyBytes;
        if (good) {
          r.topic.assign(p, topic_len);
          r.payload.assign(p + topic_len, len - kFixedBodyBytes - topic_len);
        }
      }
      if (!good) {
        // A bad record with nothing written after it (the rest of the
        // segment is zeros, or the file ends) is the one being written when
        // the process died or the power went, or whose failed write could
        // not be undone: never acknowledged, cut off. Anything else is
        // damage to acknowledged records.
        const bool torn =
            !fits || std::all_of(bytes.begin() + static_cast<std::ptrdiff_t>(at + kHeaderBytes + len),
                                 bytes.end(), [](char c) { return c == 0; });
        if (!torn)
          return MakeError(ErrorKind::kCorrupt, "ingest journal: " + path +
                                                    " is damaged at byte " + std::to_string(at) +
                                                    ": move the journal directory aside to start");
        if (::truncate(path.c_str(), static_cast<off_t>(at)) != 0)
          return SysError(errno, "cutting a torn record off " + path);
        break;
      }
      at += kHeaderBytes + len;
      ++expect;
      last_seq = std::max(last_seq, r.seq);
      if (r.seq > applied_through) {
        replayed_connection_max_ = std::max(replayed_connection_max_, r.connection);
        pending_bytes_ += r.Size();
        pending_.push_back(std::move(r));
        kept_any = true;
      }
    }
    if (!kept_any) {  // applied already (a new segment is started below); best effort
      ::unlink(path.c_str());
      continue;
    }
    segments_.push_back(firsts[i]);
  }
  next_seq_ = last_seq + 1;
  return StartSegment();
}

// Every start and every rotation creates a new segment named by its first
// seq (a file of that name holds no record: every record read back is
// below it), filled with zeros up front: a record then overwrites blocks
// that are already allocated, so its fdatasync writes the record's page
// alone, no file system metadata (ext4 would otherwise commit its journal,
// and with it the database's newly written pages, on every record).
Status IngestJournal::StartSegment() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  const std::string path = options_.dir + "/" + SegmentName(next_seq_);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return SysError(errno, "creating " + path);
  const auto fail = [&](int err, const std::string& what) {
    ::close(fd);
    ::unlink(path.c_str());
    return SysError(err, what + " " + path);
  };
  const std::string zeros(64 << 10, '\0');
  for (std::size_t done = 0; done < options_.segment_bytes;) {
    const std::size_t n = std::min(zeros.size(), options_.segment_bytes - done);
    const ssize_t w = ::pwrite(fd, zeros.data(), n, static_cast<off_t>(done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return fail(w < 0 ? errno : ENOSPC, "preallocating");
    done += static_cast<std::size_t>(w);
  }
  if (options_.sync && ::fdatasync(fd) != 0) return fail(errno, "syncing");
  if (options_.sync) {
    if (auto s = SyncDir(); !s) {
      ::close(fd);
      ::unlink(path.c_str());
      return s;
    }
  }
  fd_ = fd;
  segment_first_ = next_seq_;
  segment_size_ = 0;
  std::lock_guard lock(mutex_);
  if (segments_.empty() || segments_.back() != segment_first_) segments_.push_back(segment_first_);
  return Ok{};
}

Status IngestJournal::SyncDir() {
  if (::fsync(dir_fd_) != 0) return SysError(errno, "syncing " + options_.dir);
  return Ok{};
}

Status IngestJournal::Append(std::uint64_t connection, std::uint64_t sequence,
                             std::int64_t received_ms, std::string_view topic,
                             std::string_view payload) {
  const std::size_t size = kHeaderBytes + kFixedBodyBytes + topic.size() + payload.size();
  if (fd_ < 0 || (segment_size_ > 0 && segment_size_ + size > options_.segment_bytes)) {
    if (auto s = StartSegment(); !s) return s;
  }
  const std::uint64_t seq = next_seq_;
  const std::uint32_t len =
      static_cast<std::uint32_t>(kFixedBodyBytes + topic.size() + payload.size());
  buffer_.clear();
  Put<std::uint32_t>(buffer_, len);
  Put<std::uint32_t>(buffer_, 0);  // the CRC, below
  Put(buffer_, seq);
  Put(buffer_, connection);
  Put(buffer_, sequence);
  Put(buffer_, received_ms);
  Put<std::uint32_t>(buffer_, static_cast<std::uint32_t>(topic.size()));
  buffer_.append(topic);
  buffer_.append(payload);
  const auto crc = static_cast<std::uint32_t>(
      ::crc32(0, reinterpret_cast<const Bytef*>(buffer_.data() + kHeaderBytes), len));
  std::memcpy(buffer_.data() + 4, &crc, sizeof crc);

  std::size_t written = 0;
  while (written < buffer_.size()) {
    const ssize_t n = ::pwrite(fd_, buffer_.data() + written, buffer_.size() - written,
                               static_cast<off_t>(segment_size_ + written));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      // Nothing of the record may stay: a retry appends it whole. If the
      // zeros cannot be put back, the next record starts a new segment and
      // Open() cuts this one's torn tail off.
      const std::string zeros(written, '\0');
      if (written > 0 &&
          ::pwrite(fd_, zeros.data(), written, static_cast<off_t>(segment_size_)) !=
              static_cast<ssize_t>(written)) {
        ::close(fd_);
        fd_ = -1;
        next_seq_ = seq + 1;  // never reuse a seq that may be on disk torn
      }
      return SysError(err, "writing a record");
    }
    written += static_cast<std::size_t>(n);
  }
  if (options_.sync && ::fdatasync(fd_) != 0) {
    const int err = errno;
    // The record may or may not be on disk: treat it as torn.
    ::close(fd_);
    fd_ = -1;
    next_seq_ = seq + 1;
    return SysError(err, "syncing a record");
  }
  segment_size_ += buffer_.size();
  next_seq_ = seq + 1;

  JournalRecord r;
  r.seq = seq;
  r.connection = connection;
  r.sequence = sequence;
  r.received_ms = received_ms;
  r.topic.assign(topic);
  r.payload.assign(payload);
  r.appended_at = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    pending_bytes_ += r.Size();
    pending_.push_back(std::move(r));
  }
  changed_.notify_all();
  return Ok{};
}

bool IngestJournal::WaitForRoom(std::size_t bytes) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] {
    return interrupted_ || pending_.empty() || pending_bytes_ + bytes <= options_.max_bytes;
  });
  return !interrupted_;
}

std::vector<JournalRecord> IngestJournal::NextBatch(std::size_t max_records, int wait_ms) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                    [&] { return interrupted_ || handed_out_ < pending_.size(); });
  std::vector<JournalRecord> batch;
  while (handed_out_ < pending_.size() && batch.size() < max_records)
    batch.push_back(pending_[handed_out_++]);
  return batch;
}

Status IngestJournal::Release(std::uint64_t seq) {
  std::vector<std::uint64_t> doomed;
  {
    std::lock_guard lock(mutex_);
    while (!pending_.empty() && pending_.front().seq <= seq) {
      pending_bytes_ -= pending_.front().Size();
      pending_.pop_front();
      if (handed_out_ > 0) --handed_out_;
    }
    // A segment is done when the next one starts at or below seq + 1 and it
    // is not the one being appended to.
    while (segments_.size() >= 2 && segments_[1] <= seq + 1) {
      doomed.push_back(segments_.front());
      segments_.pop_front();
    }
  }
  changed_.notify_all();
  for (std::uint64_t first : doomed) {
    const std::string path = options_.dir + "/" + SegmentName(first);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return SysError(errno, "deleting " + path);
  }
  return Ok{};
}

void IngestJournal::Interrupt() {
  {
    std::lock_guard lock(mutex_);
    interrupted_ = true;
  }
  changed_.notify_all();
}

std::size_t IngestJournal::PendingRecords() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

std::size_t IngestJournal::Unhanded() const {
  std::lock_guard lock(mutex_);
  return pending_.size() - handed_out_;
}

std::size_t IngestJournal::PendingBytes() const {
  std::lock_guard lock(mutex_);
  return pending_bytes_;
}

}  // namespace floortrack
