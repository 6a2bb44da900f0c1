// StoreProgress: what a long store operation (a schema migration, a rebuild
// of order summaries) reports while it runs, so the daemon can log it and
// ask systemd for more start time. A plain value.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace floortrack {

struct StoreProgress {
  std::string step;        // e.g. "migrating schema 1 -> 2: settings table"
  std::uint64_t done = 0;  // units of the step done so far (0 when not counted)
  std::uint64_t total = 0;
};

// Called on the thread doing the work; must not call back into the store.
using StoreProgressHandler = std::function<void(const StoreProgress&)>;

}  // namespace floortrack
