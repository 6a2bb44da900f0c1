#include "adapters/formats/registry.h"

#include "adapters/formats/bambu/bambu_format.h"
#include "adapters/formats/moonraker/moonraker_format.h"
#include "adapters/formats/octoprint/octoprint_format.h"
#include "adapters/formats/scan/scan_format.h"
#include "adapters/formats/sdcp/sdcp_format.h"

namespace floortrack {
namespace {

// Every device format, one line each; the name is the format's own name().
constexpr const DeviceFormat& (*kFormats[])() = {
    &OctoPrintFormat,
    &MoonrakerFormat,
    &BambuFormat,
    &SdcpFormat,
    &ScanFormat,
};

}  // namespace

const DeviceFormat* FindDeviceFormat(std::string_view name) {
  for (auto format : kFormats)
    if (format().name() == name) return &format();
  return nullptr;
}

std::vector<std::string_view> DeviceFormatNames() {
  std::vector<std::string_view> names;
  for (auto format : kFormats) names.push_back(format().name());
  return names;
}

}  // namespace floortrack
