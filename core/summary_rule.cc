#include "core/summary_rule.h"

#include <utility>

namespace floortrack {

Status UpdateSummary(SummaryStorage& storage, const StageEvent& event, const Rules& rules) {
  auto stored = storage.LoadSummary(event.order_id);
  if (!stored) return stored.error();
  if (const std::optional<OrderSummary>& previous = stored.value()) {
    OrderSummary next = *previous;
    if (AppendToSummary(next, event, rules)) return storage.SaveSummary(next, &*previous);
  }
  return RebuildSummary(storage, event.order_id, rules);
}

Status RebuildSummary(SummaryStorage& storage, const std::string& order_id, const Rules& rules) {
  auto events = storage.LoadEventsForSummary(order_id);
  if (!events) return events.error();
  if (events.value().empty())
    return MakeError(ErrorKind::kNotFound, "no events for order " + order_id);
  return storage.SaveSummary(SummarizeOrder(std::move(events).value(), rules), nullptr);
}

std::string SummaryVersion(const Rules& rules) {
  // Each stage as "<byte length>:<name>", so no stage name can be ambiguous.
  std::string version = "logic " + std::to_string(kSummaryLogicVersion) + "; stages ";
  for (const std::string& stage : rules.stages) version += std::to_string(stage.size()) + ":" + stage;
  // Which kinds are extra and which stage submits a design change what a
  // summary holds (production stage, engaged, submitted_at).
  version += "; extra ";
  for (const std::string& kind : rules.extra_kinds)
    version += std::to_string(kind.size()) + ":" + kind;
  version += "; design " + rules.design_submitted_stage;
  return version;
}

}  // namespace floortrack
