// ScanFormat: the `scan` device format. A bench or shipping scanner's
// message, either the scanned code as the whole payload (a USB scanner
// bridge such as hidscanner2mqtt) or United Manufacturing Hub's barcode
// message {"barcode": "...", "timestamp_ms": N}, becomes one event of the
// source's stage at the source's station, with the code for Ingest to
// resolve as an order or a batch (docs/devices.md).
//
// Debounce: the same code at the same station within the source's
// debounce_s of the last accepted scan is one scan. The station's state
// (device "scan:<station>") holds that last code and its time; the format
// owns nothing else. Events carry no event_id: a bare scan's identity is
// its delivery, a timed one's its ts. Decode() is a pure function of its
// inputs, never throws, and is safe on any thread.
#pragma once

#include "core/device_format.h"

namespace floortrack {

// The process-wide "scan" format.
const DeviceFormat& ScanFormat();

}  // namespace floortrack
