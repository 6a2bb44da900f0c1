#include "core/event_identity.h"

#include <charconv>
#include <optional>

namespace floortrack {
namespace {

void Put(std::string& out, char tag, std::string_view value) {
  out += tag;
  out += std::to_string(value.size());
  out += ':';
  out += value;
}

// Shortest text that reads back as the same double.
void PutReal(std::string& out, char tag, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  Put(out, tag, ec == std::errc() ? std::string_view(buf, end - buf) : "?");
}

void PutTime(std::string& out, char tag, const std::optional<TimePoint>& t) {
  if (t) Put(out, tag, std::to_string(ToEpochMs(*t)));
}

}  // namespace

Identity IdentityOf(const StageEvent& event) {
  if (!event.event_key.empty()) return Identity::kEventId;
  if (event.device_ts) return Identity::kContent;
  return Identity::kDelivery;
}

std::string CanonicalContent(const StageEvent& e, bool with_topic) {
  std::string out;
  if (with_topic) Put(out, 'T', e.topic);
  Put(out, 'o', e.order_id);
  Put(out, 's', e.stage);
  PutTime(out, 't', e.device_ts);
  Put(out, 'S', e.station);
  Put(out, 'O', e.operator_name);
  Put(out, 'r', ToString(e.result));
  Put(out, 'd', e.defect);
  Put(out, 'R', e.reason);
  if (e.material) {
    Put(out, 'm', e.material->type);
    PutReal(out, 'u', e.material->used_g);
    PutReal(out, 'x', e.material->scrap_g);
  }
  if (e.value) PutReal(out, 'v', *e.value);
  Put(out, 'c', e.currency);
  Put(out, 'C', e.customer_id);
  Put(out, 'p', e.product);
  if (e.personalized) Put(out, 'P', *e.personalized ? "1" : "0");
  PutTime(out, 'D', e.promised_at);
  // Only when present, so every other event keeps the content it always had.
  if (!e.voids.empty()) Put(out, 'V', e.voids);
  if (e.items) Put(out, 'n', std::to_string(*e.items));
  if (e.score) PutReal(out, 'k', *e.score);
  return out;
}

}  // namespace floortrack
