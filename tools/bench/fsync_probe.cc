// bench-fsync-probe: what the disk under a directory can do, for comparing
// SQLite's commit rate with the floor set by the hardware. Appends records of
// --bytes to a file in --dir, with an fdatasync after each (the cost of one
// durable append, as an append-only journal would pay), for --seconds; prints
// one JSON line with the rate.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  std::string dir = "/tmp";
  long bytes = 300;
  double seconds = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--dir") dir = v;
    else if (k == "--bytes") bytes = std::atol(v.c_str());
    else if (k == "--seconds") seconds = std::atof(v.c_str());
  }
  const std::string path = dir + "/fsync-probe.tmp";
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_APPEND, 0600);
  if (fd < 0) {
    std::perror("open");
    return 1;
  }
  std::vector<char> buf(static_cast<std::size_t>(bytes), 'x');
  const auto t0 = std::chrono::steady_clock::now();
  long n = 0;
  double elapsed = 0;
  while (elapsed < seconds) {
    if (::write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size()) || ::fdatasync(fd) != 0) {
      std::perror("write/fdatasync");
      return 1;
    }
    ++n;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  ::close(fd);
  ::unlink(path.c_str());
  std::printf("{\"bytes\":%ld,\"appends\":%ld,\"seconds\":%.2f,\"per_s\":%.0f}\n", bytes, n, elapsed,
              n / elapsed);
  return 0;
}
