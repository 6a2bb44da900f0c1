// ServiceNotifier: tells the service manager (systemd, Type=notify) how
// floortrackd is doing: READY=1, STATUS=, WATCHDOG=1, RELOADING=1, STOPPING=1,
// EXTEND_TIMEOUT_USEC=.
//
// Without a NOTIFY_SOCKET in the environment every call is a no-op, so the
// daemon runs the same under systemd, in a terminal and in tests. The
// watchdog interval comes from WATCHDOG_USEC (WatchdogSec=); pings are sent
// by the daemon's own event loop so a stuck loop stops them. Used from the
// io_context thread only.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace floortrack {

class ServiceNotifier {
 public:
  ServiceNotifier();
  bool enabled() const { return enabled_; }
  // Half the interval systemd expects pings at, or nullopt when off.
  std::optional<std::chrono::milliseconds> watchdog_period() const { return watchdog_period_; }

  // READY=1: at start once the database is open and the subscription is in
  // place (or the broker is known to be down), and again after a reload.
  void Ready(const std::string& status);
  void Status(const std::string& status);
  void Watchdog();
  void Reloading();
  void Stopping();
  // EXTEND_TIMEOUT_USEC=: asks systemd to wait `usec` longer for the start
  // (or stop) in progress, e.g. while a long database migration runs. Send
  // it again before that time runs out to keep extending.
  void ExtendTimeout(std::chrono::microseconds usec);

 private:
  void Send(const std::string& state);

  bool enabled_ = false;
  std::optional<std::chrono::milliseconds> watchdog_period_;
};

}  // namespace floortrack
