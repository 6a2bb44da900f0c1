// BambuFormat: the `bambu` device format. Reads the status reports a Bambu
// Lab printer publishes on its own broker (`device/<serial>/report`, bridged
// to the shop broker) and turns its job's start and end into
// `print_started` and `printed` events (docs/devices.md).
//
// P1 and A1 printers send deltas (only the fields that changed), so the
// fields that matter (gcode_state, subtask_name, gcode_file, task_id) are
// merged into the printer's state (device "bambu:<serial>"), together with
// the job counter, whether a job is under way and its failure reason so
// far. Ingest stores that state with the events, so a daemon restart or a
// broker redelivery neither misses nor doubles a start or an end; event ids
// are "bambu:<serial>:job-<n>:print_started" / ":printed".
//
// The format owns nothing but the text of that state, which it reads and
// writes as JSON. Decode() is a pure function of its inputs, never throws,
// and is safe to call from any thread.
#pragma once

#include "core/device_format.h"

namespace floortrack {

// The process-wide "bambu" format.
const DeviceFormat& BambuFormat();

}  // namespace floortrack
