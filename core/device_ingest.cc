// Ingest's path for messages of a device source ([[source]] with a format
// other than canonical): decode with the device's saved state, give each
// event the orders or batch its job name or scanned code names, validate,
// and store the events with the device's new state in one transaction.
#include <utility>

#include "core/ingest.h"
#include "core/topic.h"
#include "core/validation.h"

namespace floortrack {

Result<IngestOutcome> Ingest::OnDeviceMessage(const Source& source, std::string_view topic,
                                              std::string_view payload, TimePoint received_at,
                                              const DeliveryMark& mark) {
  const DeviceFormat* format = formats_ ? formats_(source.format) : nullptr;
  if (!format)
    return StoreReject(topic, payload, received_at,
                       "format '" + source.format + "' is not available in this build",
                       RejectClass::kOther);
  DeviceReading reading;
  reading.topic = topic;
  reading.payload = payload;
  reading.received_at = received_at;
  reading.station = ResolveStation(source.station, topic);
  reading.source = &source;
  reading.density_g_per_ml = &rules_.material_density_g_per_ml;
  const std::string device = source.format + ":" + reading.station;
  auto state = store_.DeviceState(device);
  if (!state) return state.error();
  reading.state = state.value();
  auto decoded = format->Decode(reading);
  if (!decoded)
    return StoreReject(topic, payload, received_at, decoded.error().message, RejectClass::kDecode);
  DeviceOutput& out = decoded.value();

  // A message whose event cannot be recorded is a reject, but what it told
  // about the device (a new job's file name, say) still counts: the state is
  // kept after the reject, so the device's next message is read right.
  auto reject_keeping_state = [&](std::string reason,
                                  RejectClass reject_class) -> Result<IngestOutcome> {
    auto rejected = StoreReject(topic, payload, received_at, std::move(reason), reject_class);
    if (!rejected || !out.state) return rejected;
    if (auto kept = store_.AppendReading({}, device, out.state); !kept) return kept.error();
    return rejected;
  };
  std::vector<std::pair<StageEvent, EventIdentity>> events;
  for (const DeviceEvent& device_event : out.events) {
    std::string reject;
    auto targets = Target(source, device_event, reject);
    if (!targets) return targets.error();
    if (!reject.empty()) return reject_keeping_state(reject, RejectClass::kUnknownOrder);
    for (EventFields& fields : targets.value()) {
      if (!fields.station && !reading.station.empty()) fields.station = reading.station;
      auto event = Validate(std::move(fields), {topic, payload, received_at}, rules_);
      if (!event) {
        return reject_keeping_state(
            source.format + ": derived event invalid: " + event.error().message,
            RejectClass::kValidation);
      }
      EventIdentity identity = Identify(event.value(), mark);
      events.emplace_back(std::move(event).value(), std::move(identity));
    }
  }
  if (events.empty() && (!out.state || *out.state == reading.state))
    return IngestOutcome{IngestStatus::kDuplicate, "", {}};  // a status without a transition
  auto stored = store_.AppendReading(events, device, out.state);
  if (!stored) return stored.error();
  IngestOutcome outcome{IngestStatus::kDuplicate, "", {}};
  for (std::size_t i = 0; i < events.size(); ++i) {
    const StageEvent& e = events[i].first;
    switch (stored.value()[i]) {
      case AppendStatus::kDuplicate:
        ++tally_.duplicates;
        continue;
      case AppendStatus::kStoredReusedId:
        ++tally_.reused_event_ids;
        outcome.reused_event_id_key = e.event_key;
        break;
      case AppendStatus::kInserted:
        break;
    }
    CountStored(e);
    outcome.status = IngestStatus::kStored;
    outcome.detail = e.order_id.empty() ? e.batch_id : e.order_id;
  }
  return outcome;
}

Result<std::vector<EventFields>> Ingest::Target(const Source& source, const DeviceEvent& event,
                                                std::string& reject) {
  std::vector<EventFields> out;
  if (!event.code.empty()) {
    // A scan: an order, a batch, or (where scans confirm orders) a new order.
    auto refs = store_.Lookup(event.code);
    if (!refs) return refs.error();
    EventFields f = event.fields;
    if (refs.value().order_known ||
        event.fields.stage == std::optional<std::string>(kStageConfirmed))
      f.order_id = event.code;
    else if (refs.value().batch_members > 0)
      f.batch_id = event.code;
    else
      reject = "unknown order or batch '" + event.code + "'";
    out.push_back(std::move(f));
    return out;
  }
  const std::size_t index = static_cast<std::size_t>(&source - rules_.sources.data());
  const JobRefs refs = job_parsers_.at(index).Parse(event.job);
  EventFields f = event.fields;
  if (!refs.batch.empty()) {
    // The job's plate: the orders the name lists join it; with none listed
    // the event reaches the plate's members.
    f.batch_id = refs.batch;
    if (!refs.orders.empty()) {
      f.orders.emplace();
      for (const std::string& id : refs.orders) f.orders->push_back({id, std::nullopt});
    } else {
      auto members = store_.Lookup(refs.batch);
      if (!members) return members.error();
      if (members.value().batch_members == 0)
        reject = source.format + ": job '" + event.job + "' names batch '" + refs.batch +
                 "', which has no orders";
    }
    out.push_back(std::move(f));
    return out;
  }
  if (refs.orders.empty()) {
    reject = source.format + ": job '" + event.job + "' names no order or batch" +
             (source.orders_from_job.empty() ? " (set orders_from_job)" : "");
    return out;
  }
  // Several orders, no batch: one event each, keyed apart.
  for (const std::string& id : refs.orders) {
    EventFields each = f;
    each.order_id = id;
    if (each.event_id && refs.orders.size() > 1) *each.event_id += "/" + id;
    out.push_back(std::move(each));
  }
  return out;
}

}  // namespace floortrack
