// DeviceFormat: turns one message of a device that does not speak the
// canonical event (a bench scanner, a printer's own status feed) into zero
// or more stage events.
//
// A `[[source]]` in the config maps topic filters to a format; Ingest finds
// the source of each message, resolves its station, hands the format the
// payload and the device's saved state, and applies what comes back: the
// events (each completed with the orders its job name or scanned code
// names) and the device's new state, stored in the same transaction, so a
// daemon restart or a broker redelivery neither misses nor doubles a print
// start or finish. Formats live in adapters/formats/<name>/, one folder each,
// behind this one interface; each is a pure function of its inputs that
// never throws. Thread-safety: Decode() is const and may run on any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event_fields.h"
#include "core/result.h"
#include "core/time.h"

namespace floortrack {

// One `[[source]]` of the config (see config/floortrack.toml).
struct Source {
  std::vector<std::string> topics;  // MQTT filters, subscribed besides [mqtt] topics
  std::string format;               // canonical | scan | octoprint | moonraker | bambu | sdcp
  std::string stage;                // scan: the stage a scan here records
  std::string station;              // the station, literal or with {N} topic levels
  double debounce_s = 5;            // scan: the same code at the same station within this is one scan
  std::string orders_from_job;      // regex: every match in a job/file name is an order id
  std::string batch_from_job;       // regex: the first match in a job/file name is a batch id
  std::string material;             // material type this printer consumes
  double filament_diameter_mm = 1.75;
};

// One message, and what a format may need to decode it.
struct DeviceReading {
  std::string_view topic;
  std::string_view payload;
  TimePoint received_at{};
  std::string station;      // the source's station, {N} resolved from the topic
  const Source* source = nullptr;
  std::string_view state;   // the device's saved state (DeviceOutput::state), "" when none
  // [material_density_g_per_ml]: grams per ml of each material type.
  const std::map<std::string, double>* density_g_per_ml = nullptr;
};

// One stage event a reading produced.
struct DeviceEvent {
  // Canonical fields: stage, ts (the device's time when it sends one),
  // station, result, defect, material (in grams). event_id must be set when
  // the event has no other identity: derived from the device and the job so
  // that a redelivery gives the same id and the next job on the same device
  // a new one (e.g. "octoprint:octo-1:job-17:printed"). order_id stays
  // empty: Ingest fills it from `job` or `code`.
  EventFields fields;
  std::string job;   // the job or file name (orders_from_job / batch_from_job apply to it)
  std::string code;  // scan: the scanned code (an order id or a batch id)
};

struct DeviceOutput {
  std::string device;                // the key its state is kept under ("" = keeps no state)
  std::optional<std::string> state;  // the device's new state; nullopt = unchanged
  std::vector<DeviceEvent> events;   // none for a status without a transition
};

class DeviceFormat {
 public:
  virtual ~DeviceFormat() = default;
  virtual std::string_view name() const = 0;
  // An Error is a message that is not valid for this format: its message
  // names the format and the problem, and the message becomes a reject.
  virtual Result<DeviceOutput> Decode(const DeviceReading& reading) const noexcept = 0;
};

}  // namespace floortrack
