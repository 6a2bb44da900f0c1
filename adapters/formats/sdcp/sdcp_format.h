// SdcpFormat: the `sdcp` device format. Reads the status an Elegoo resin
// printer speaking SDCP v1 publishes when told to connect to the shop broker
// (`/sdcp/status/<MainboardID>`), and turns its job's start and end into
// `print_started` and `printed` events (docs/devices.md says which status
// codes mean what, and which of that is reverse-engineered).
//
// The printer's state (device "sdcp:<MainboardID>") holds the job counter,
// whether a job is under way, its file name, the last error it reported and
// the fingerprints of the last status messages; Ingest stores it with the
// events, so a daemon restart or a broker redelivery neither misses nor
// doubles a start or an end. Event ids are
// "sdcp:<MainboardID>:job-<n>:print_started" / ":printed".
//
// The format owns nothing but the text of that state. Decode() is a pure
// function of its inputs, never throws, and is safe on any thread.
#pragma once

#include "core/device_format.h"

namespace floortrack {

// The process-wide "sdcp" format.
const DeviceFormat& SdcpFormat();

}  // namespace floortrack
