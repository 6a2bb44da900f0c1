// Batch views: what `floortrack batch` and a timeline show of a batch (a
// resin build plate, a casting tree). Plain values, filled by the store.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/stage_event.h"

namespace floortrack {

struct BatchMemberView {
  std::string order_id;
  std::optional<double> weight_g;
  std::string current_stage;  // of the order, "" when it has no summary yet
};

// One event recorded for the batch as a whole, with its material before
// the split among the orders.
struct BatchEventView {
  std::string stage;
  TimePoint stage_time{};
  std::string station;
  StageResult result = StageResult::kNone;
  std::optional<Material> material;
  std::size_t orders = 0;  // the orders it was recorded for
};

struct BatchView {
  std::string batch_id;
  std::vector<BatchMemberView> members;  // by order id
  std::vector<BatchEventView> events;    // by stage time
};

}  // namespace floortrack
