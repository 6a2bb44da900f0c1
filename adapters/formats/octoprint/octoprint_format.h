// The "octoprint" device format: what the OctoPrint-MQTT plugin publishes
// about an FDM printer, turned into print_started and printed stage events.
//
// Only `<base>/event/<Event>` topics are read (base usually "octoPrint/"):
// PrintStarted starts a job; PrintDone ends it with result "pass";
// PrintCancelled, and PrintFailed with reason "cancelled" or "error", end it
// with result "fail" and that reason as defect. OctoPrint sends both
// PrintCancelled and PrintFailed for one cancel: the job ends once. Every
// other topic and event (progress, temperature, the plugin's connected/
// disconnected status, ClientOpened...) is valid and produces nothing. The
// event's `_timestamp` (Unix seconds) becomes ts; the file name (`name`,
// else the last part of `path`) becomes the job. OctoPrint reports no
// filament used, so the events carry no material.
//
// Each printer (device "octoprint:<station>") keeps a small JSON state it
// owns: a job counter and the current/last job's file and times. Event ids
// are "octoprint:<station>:<job number>:<stage>"; a redelivered or stale
// message (its `_timestamp` not newer than what the state has seen) changes
// nothing. See docs/devices.md.
//
// The format object is immutable and shared; Decode() is a pure function that
// never throws and may run on any thread.
#pragma once

#include "core/device_format.h"

namespace floortrack {

// The process-wide "octoprint" format.
const DeviceFormat& OctoPrintFormat();

}  // namespace floortrack
