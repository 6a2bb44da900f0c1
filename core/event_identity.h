// Event identity: when two messages are the same event (docs/reliability.md).
//
// Deduplication must never drop a distinct event, and must collapse every
// redelivery of one the broker already saw stored. The identity of an event:
// - kEventId: it carries an `event_id`. The same id with the same content
//   is the same event. The same id with different content is a different
//   event (two stations numbering their own events): stored as its own
//   event, keyed by id and content, and logged as a reused id.
// - kContent: no `event_id` but a `ts`. Its topic and decoded fields (not
//   its bytes: key order and whitespace do not matter) are its identity.
// - kDelivery: neither id nor time (bare scans, simple bridges). A device
//   sending the same content again is a new event (a rework loop stays in
//   the timeline); only a broker redelivery of a message already stored
//   collapses. Paho acknowledges a message when its callback returns, so
//   only the last few messages stored before a connection ended can come
//   back, and they come back first on the next connection: such a message
//   is a redelivery when, among the first kRedeliveryWindow messages of a
//   connection, it matches the content of one of the last kDeliveryTail
//   content-only events stored during an earlier connection, each matched at
//   most once. The store keeps that tail and the connection epochs.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/stage_event.h"

namespace floortrack {

enum class Identity { kEventId, kContent, kDelivery };

// Stored content-only events a new connection's first messages are matched
// against, and how many of its first messages are. The tail covers the
// broker's in-flight window (mosquitto's max_inflight_messages, 100 in
// docs/broker.md): that many messages can have been stored while their
// PUBACKs were still on the way (lost with the connection when the process
// dies: a reset discards what the broker had not read), all of them
// redelivered first. With 10, and ingest fast enough for the broker's reads
// of PUBACKs to lag (the ingest journal), test_kill.py stored 3 of 2,000
// content-only events twice.
inline constexpr std::size_t kDeliveryTail = 100;
inline constexpr std::uint64_t kRedeliveryWindow = 100;

// How the store must deduplicate one event (see above). For kContent and
// kEventId the event's event_key is its key; a conflict with an event of
// different content is checked for kEventId only.
struct EventIdentity {
  Identity kind = Identity::kContent;
  // kEventId: hash of the content without topic, the suffix of the key a
  // reused id is stored under. kDelivery: hash of topic and content.
  std::string fingerprint;
  std::uint64_t epoch = 0;     // kDelivery: the connection epoch it arrived in
  std::uint64_t position = 0;  // kDelivery: 1 for the epoch's first message
};

Identity IdentityOf(const StageEvent& event);  // after Validate()

// Every decoded field in a fixed order, each length-prefixed (never the
// receive time or anything derived at ingest: stage time, time source,
// material cost), optionally preceded by the topic. Equal iff the fields are.
std::string CanonicalContent(const StageEvent& event, bool with_topic);

}  // namespace floortrack
