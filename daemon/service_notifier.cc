#include "daemon/service_notifier.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdlib>

namespace floortrack {

ServiceNotifier::ServiceNotifier() {
  enabled_ = std::getenv("NOTIFY_SOCKET") != nullptr;
  std::uint64_t usec = 0;
  if (enabled_ && sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
    watchdog_period_ = std::chrono::milliseconds(usec / 2000);
}

void ServiceNotifier::Send(const std::string& state) {
  if (!enabled_) return;
  int rc = sd_notify(0, state.c_str());
  if (rc < 0) spdlog::debug("sd_notify failed: {}", rc);
}

void ServiceNotifier::Ready(const std::string& status) { Send("READY=1\nSTATUS=" + status); }

void ServiceNotifier::Status(const std::string& status) { Send("STATUS=" + status); }
void ServiceNotifier::Watchdog() { Send("WATCHDOG=1"); }
void ServiceNotifier::Reloading() { Send("RELOADING=1\nSTATUS=reloading configuration"); }
void ServiceNotifier::Stopping() { Send("STOPPING=1\nSTATUS=stopping"); }
void ServiceNotifier::ExtendTimeout(std::chrono::microseconds usec) {
  Send("EXTEND_TIMEOUT_USEC=" + std::to_string(usec.count()));
}

}  // namespace floortrack
