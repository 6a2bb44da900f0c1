// The device formats floortrack can read, by the name a `[[source]]` gives
// in `format` (docs/devices.md).
//
// Each format lives in adapters/formats/<name>/ and registers itself with one
// line in registry.cc. "canonical" is not a device format: it is the event of
// docs/events.md, decoded by the payload decoder. The formats are immutable
// process-wide objects; both functions are thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "core/device_format.h"

namespace floortrack {

// The format called `name`, or nullptr when there is none (also for
// "canonical").
const DeviceFormat* FindDeviceFormat(std::string_view name);

// The names of every format, in registration order.
std::vector<std::string_view> DeviceFormatNames();

}  // namespace floortrack
