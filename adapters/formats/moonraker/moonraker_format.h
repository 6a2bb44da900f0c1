// The "moonraker" device format: the Klipper printer status that Moonraker's
// [mqtt] component publishes, turned into print_started and printed stage
// events.
//
// `<instance>/klipper/status` carries {"eventtime": <Klipper's monotonic
// seconds>, "status": {"print_stats": {...}, ...}}: the first message after a
// (re)connect holds every field, later ones only the fields that changed. The
// format keeps each printer's last print_stats (filename, state,
// filament_used, message) and reads the state's transitions: into "printing"
// from standby/complete/error/cancelled starts a job (from "paused" it is a
// resume); into "complete" ends it with result "pass"; into "error" or
// "cancelled" with "fail" and that state (and Klipper's message) as defect;
// back to "standby" with no file from a job (Klipper restarted or the file
// was reset mid-print) with "fail", defect "interrupted". filament_used (mm) becomes
// grams of the source's material when its density is configured. The payload
// has no wall-clock time, so events carry no ts (the receive time is used).
// `<instance>/moonraker/status` ({"server": "online"}) and messages without
// print_stats are valid and produce nothing; the split-status topics
// (`<instance>/klipper/state/...`) are not supported and are errors.
//
// Each printer (device "moonraker:<station>") keeps a small JSON state it
// owns: a job counter, the merged print_stats and the eventtimes of the last
// 128 statuses it saved. It is saved by a status naming the state, file or
// message, or when filament_used has moved 10 mm since the saved value (not
// on each 250 ms status of a print). Event ids are
// "moonraker:<station>:<job number>:<stage>". A status whose eventtime was
// saved already is a redelivery and changes nothing. See docs/devices.md.
//
// The format object is immutable and shared; Decode() is a pure function that
// never throws and may run on any thread.
#pragma once

#include "core/device_format.h"

namespace floortrack {

// The process-wide "moonraker" format.
const DeviceFormat& MoonrakerFormat();

}  // namespace floortrack
