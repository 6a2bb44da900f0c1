// IanaTimeZone: the ShopTimeZone port (core/shop_time.h) for an IANA zone
// name such as "Europe/Berlin", on Debian's libhowardhinnant-date
// (libdate-tz, built to read the system's /usr/share/zoneinfo, package
// tzdata): GCC 12's <chrono> has no time-zone database. Immutable after
// Load(); thread-safe.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "core/shop_time.h"

namespace date {
class time_zone;
}

namespace floortrack {

class IanaTimeZone final : public ShopTimeZone {
 public:
  // The zone, or an error naming it when the system does not know it.
  static Result<std::shared_ptr<const ShopTimeZone>> Load(const std::string& name);

  std::chrono::minutes OffsetAt(TimePoint utc) const override;
  std::string Name() const override { return name_; }

 private:
  IanaTimeZone(const date::time_zone* zone, std::string name)
      : zone_(zone), name_(std::move(name)) {}
  const date::time_zone* zone_;  // owned by the library's database, lives as long as the process
  std::string name_;
};

}  // namespace floortrack
