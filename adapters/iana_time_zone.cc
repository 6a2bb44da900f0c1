#include "adapters/iana_time_zone.h"

#include <date/tz.h>

#include <exception>

namespace floortrack {

Result<std::shared_ptr<const ShopTimeZone>> IanaTimeZone::Load(const std::string& name) {
  if (name.empty() || name == "UTC")
    return std::shared_ptr<const ShopTimeZone>(new FixedOffsetZone());
  try {
    const date::time_zone* zone = date::locate_zone(name);
    return std::shared_ptr<const ShopTimeZone>(new IanaTimeZone(zone, name));
  } catch (const std::exception& e) {
    return MakeError(ErrorKind::kInvalid,
                     "unknown time zone '" + name +
                         "' (an IANA name such as \"Europe/Berlin\"; is tzdata installed?)");
  }
}

std::chrono::minutes IanaTimeZone::OffsetAt(TimePoint utc) const {
  try {
    const date::sys_info info = zone_->get_info(date::sys_time<Millis>(utc.time_since_epoch()));
    return std::chrono::duration_cast<std::chrono::minutes>(info.offset);
  } catch (...) {
    return std::chrono::minutes(0);  // outside the database's range: UTC
  }
}

}  // namespace floortrack
