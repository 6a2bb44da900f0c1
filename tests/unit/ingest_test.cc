// Unit tests for Ingest (core/ingest.h) with an in-memory store and a fake clock,
// using the real JSON decoder and key derivation.
#include "core/ingest.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/event_key.h"
#include "adapters/json_payload_decoder.h"

namespace floortrack {
namespace {

// 2026-11-23T08:15:00Z.
constexpr std::int64_t kBaseMs = 1'795'421'700'000;

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint now) : now_(now) {}
  TimePoint Now() const override { return now_; }
  void Set(TimePoint now) { now_ = now; }

 private:
  TimePoint now_;
};

// Keeps events by key and rejects in order. fail_next makes the next write
// (Append or AppendReject) fail with that kind and store nothing.
class FakeStore final : public EventStore {
 public:
  using EventStore::Append;
  Result<AppendStatus> Append(const StageEvent& event, const EventIdentity& identity) override {
    ++append_calls;
    last_identity = identity;
    if (auto kind = TakeFailure()) return MakeError(*kind, "fake store failure");
    if (events.count(event.event_key)) return AppendStatus::kDuplicate;
    events.emplace(event.event_key, event);
    return AppendStatus::kInserted;
  }
  Status AppendReject(const Reject& reject) override {
    if (auto kind = TakeFailure()) return MakeError(*kind, "fake store failure");
    rejects.push_back(reject);
    return Ok{};
  }
  void SetRules(const Rules& rules) override {
    ++set_rules_calls;
    last_rules = rules;
  }
  Result<std::uint64_t> BeginEpoch() override { return ++epoch; }
  // No transactions here: batches are the SQLite store's (tests/store).
  Status BeginBatch(bool) override { return Ok{}; }
  Status CommitBatch(std::uint64_t) override { return Ok{}; }
  void AbortBatch() override {}
  Result<std::uint64_t> AppliedThrough() override { return std::uint64_t{0}; }
  Status SyncCommitted() override { return Ok{}; }
  Result<std::vector<AppendStatus>> AppendReading(
      const std::vector<std::pair<StageEvent, EventIdentity>>& reading, const std::string& device,
      const std::optional<std::string>& state) override {
    std::vector<AppendStatus> out;
    for (const auto& [e, id] : reading) {
      auto r = Append(e, id);
      if (!r) return r.error();
      out.push_back(r.value());
    }
    if (state) device_states[device] = *state;
    return out;
  }
  Result<std::string> DeviceState(const std::string& device) override {
    auto it = device_states.find(device);
    return it == device_states.end() ? std::string() : it->second;
  }
  Result<StoredRefs> Lookup(const std::string& id) override {
    StoredRefs refs;
    for (const auto& [key, e] : events) refs.order_known = refs.order_known || e.order_id == id;
    refs.batch_members = batches.count(id) ? batches.at(id).size() : 0;
    return refs;
  }
  std::map<std::string, std::string> device_states;
  std::map<std::string, std::vector<std::string>> batches;

  std::map<std::string, StageEvent> events;
  std::vector<Reject> rejects;
  std::optional<ErrorKind> fail_next;
  int append_calls = 0;
  int set_rules_calls = 0;
  Rules last_rules;
  EventIdentity last_identity;
  std::uint64_t epoch = 0;

 private:
  std::optional<ErrorKind> TakeFailure() {
    std::optional<ErrorKind> kind = fail_next;
    fail_next.reset();
    return kind;
  }
};

struct Fixture {
  explicit Fixture(Rules rules = Rules{})
      : clock(FromEpochMs(kBaseMs)),
        ingest(decoder, store, clock, &DeriveEventKey, std::move(rules)) {}

  JsonPayloadDecoder decoder;
  FakeStore store;
  FakeClock clock;
  Ingest ingest;

  std::uint64_t stored() const { return ingest.counters().stored.load(); }
  std::uint64_t duplicates() const { return ingest.counters().duplicates.load(); }
  std::uint64_t rejected() const { return ingest.counters().rejected.load(); }
  std::uint64_t flagged() const { return ingest.counters().flagged_ts.load(); }
};

constexpr const char* kTopic = "floor/printer-1";
constexpr const char* kWithId = R"({"event_id":"evt-1","order_id":"ORD-1","stage":"printed"})";
constexpr const char* kNoId = R"({"order_id":"ORD-2","stage":"cast"})";

TEST_CASE("Ingest stores a valid message with received_at from the clock") {
  Fixture fx;
  fx.clock.Set(FromEpochMs(kBaseMs + 1234));
  auto r = fx.ingest.OnMessage(kTopic, kWithId);
  REQUIRE(r.ok());
  CHECK(r.value().status == IngestStatus::kStored);
  CHECK(r.value().detail == "ORD-1");
  REQUIRE(fx.store.events.size() == 1);
  REQUIRE(fx.store.events.count("evt-1") == 1);
  const StageEvent& e = fx.store.events.at("evt-1");
  CHECK(e.event_key == "evt-1");
  CHECK(e.order_id == "ORD-1");
  CHECK(e.stage == "printed");
  CHECK(e.topic == kTopic);
  CHECK(e.raw_payload == kWithId);
  CHECK(ToEpochMs(e.received_at) == kBaseMs + 1234);
  CHECK(ToEpochMs(e.stage_time) == kBaseMs + 1234);  // no ts: receipt time
  CHECK(e.time_source == TimeSource::kReceivedNoTs);
  CHECK(fx.stored() == 1);
  CHECK(fx.duplicates() == 0);
  CHECK(fx.rejected() == 0);
  CHECK(fx.flagged() == 0);
  CHECK(fx.store.rejects.empty());
}

TEST_CASE("Ingest same event_id twice stores one and counts a duplicate") {
  Fixture fx;
  REQUIRE(fx.ingest.OnMessage(kTopic, kWithId).ok());
  // Different bytes and topic, same event_id: still the same event.
  auto r = fx.ingest.OnMessage(
      "floor/other", R"({"event_id":"evt-1","order_id":"ORD-1","stage":"printed","station":"x"})");
  REQUIRE(r.ok());
  CHECK(r.value().status == IngestStatus::kDuplicate);
  CHECK(r.value().detail == "ORD-1");
  CHECK(fx.store.events.size() == 1);
  CHECK(fx.store.events.at("evt-1").station.empty());  // the first one was kept
  CHECK(fx.stored() == 1);
  CHECK(fx.duplicates() == 1);
}

TEST_CASE("Ingest without event_id or ts: the same scan again is a new event (rework loop)") {
  Fixture fx;
  // polished, qc fail, polished again: the second polished is byte-identical.
  auto first = fx.ingest.OnMessage(kTopic, kNoId, DeliveryMark{1, 1});
  REQUIRE(first.ok());
  CHECK(fx.store.last_identity.kind == Identity::kDelivery);
  CHECK(fx.store.last_identity.position == 1);
  auto again = fx.ingest.OnMessage(kTopic, kNoId, DeliveryMark{1, 3});
  REQUIRE(again.ok());
  CHECK(again.value().status == IngestStatus::kStored);
  CHECK(fx.store.events.size() == 2);
  CHECK(fx.store.last_identity.position == 3);
  CHECK(fx.store.epoch == 1);  // one connection, one epoch
  // A retry of the same delivery (same mark) gets the same key.
  auto retried = fx.ingest.OnMessage(kTopic, kNoId, DeliveryMark{1, 3});
  REQUIRE(retried.ok());
  CHECK(retried.value().status == IngestStatus::kDuplicate);
  // A new connection begins a new epoch; the content fingerprint is the same.
  const std::string fingerprint = fx.store.last_identity.fingerprint;
  REQUIRE(fx.ingest.OnMessage(kTopic, kNoId, DeliveryMark{2, 1}).ok());
  CHECK(fx.store.epoch == 2);
  CHECK(fx.store.last_identity.epoch == 2);
  CHECK(fx.store.last_identity.fingerprint == fingerprint);
}

TEST_CASE("Ingest with ts but no event_id: topic and decoded fields, not bytes, are the identity") {
  Fixture fx;
  constexpr const char* kTimed =
      R"({"order_id":"ORD-2","stage":"cast","ts":"2026-10-01T08:00:00Z"})";
  constexpr const char* kReformatted =
      R"({ "ts" : "2026-10-01T08:00:00Z", "stage" : "cast", "order_id" : "ORD-2" })";
  auto first = fx.ingest.OnMessage(kTopic, kTimed);
  REQUIRE(first.ok());
  CHECK(first.value().status == IngestStatus::kStored);
  CHECK(fx.store.last_identity.kind == Identity::kContent);
  auto again = fx.ingest.OnMessage(kTopic, kReformatted);
  REQUIRE(again.ok());
  CHECK(again.value().status == IngestStatus::kDuplicate);
  // The same fields on another topic are another event.
  auto other = fx.ingest.OnMessage("floor/caster-2", kTimed);
  REQUIRE(other.ok());
  CHECK(other.value().status == IngestStatus::kStored);
  CHECK(fx.store.events.size() == 2);
  CHECK(fx.stored() == 2);
  CHECK(fx.duplicates() == 1);
}

TEST_CASE("Ingest with event_id passes the content fingerprint for the reuse check") {
  Fixture fx;
  REQUIRE(fx.ingest.OnMessage(kTopic, kWithId).ok());
  CHECK(fx.store.last_identity.kind == Identity::kEventId);
  const std::string fingerprint = fx.store.last_identity.fingerprint;
  CHECK(fingerprint.rfind("sha256:", 0) == 0);
  // The topic is not part of an id event's content.
  REQUIRE(fx.ingest.OnMessage("floor/elsewhere", kWithId).ok());
  CHECK(fx.store.last_identity.fingerprint == fingerprint);
}

TEST_CASE("Ingest oversized payload is rejected with its size; raw bytes are capped") {
  Fixture fx;  // max_payload_bytes 65536, max_reject_payload_bytes 4096
  std::string payload(65'537, ' ');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);
  fx.clock.Set(FromEpochMs(kBaseMs + 5));
  auto r = fx.ingest.OnMessage(kTopic, payload);
  REQUIRE(r.ok());
  CHECK(r.value().status == IngestStatus::kRejected);
  CHECK(r.value().detail == "payload of 65537 bytes exceeds the limit of 65536");
  REQUIRE(fx.store.rejects.size() == 1);
  const Reject& rej = fx.store.rejects[0];
  CHECK(rej.reason == "payload of 65537 bytes exceeds the limit of 65536");
  CHECK(rej.topic == kTopic);
  CHECK(ToEpochMs(rej.received_at) == kBaseMs + 5);
  CHECK(rej.payload_size == 65'537);
  CHECK(rej.raw_payload.size() == 4096);
  CHECK(rej.raw_payload == payload.substr(0, 4096));
  CHECK(fx.rejected() == 1);
  CHECK(fx.stored() == 0);
  CHECK(fx.store.events.empty());
}

TEST_CASE("Ingest payload at exactly the size limit is not rejected for size") {
  Rules rules;
  rules.limits.max_payload_bytes = 40;
  Fixture fx(rules);
  std::string payload = kNoId;  // 35 bytes
  payload.append(40 - payload.size(), ' ');
  REQUIRE(payload.size() == 40);
  auto r = fx.ingest.OnMessage(kTopic, payload);
  REQUIRE(r.ok());
  CHECK(r.value().status == IngestStatus::kStored);
  auto over = fx.ingest.OnMessage(kTopic, payload + " ");
  REQUIRE(over.ok());
  CHECK(over.value().status == IngestStatus::kRejected);
  CHECK(over.value().detail == "payload of 41 bytes exceeds the limit of 40");
}

TEST_CASE("Ingest invalid UTF-8 is rejected and the raw bytes kept") {
  Fixture fx;
  const std::string payload = "{\"order_id\":\"ORD-\xC0\x80\",\"stage\":\"cast\"}";
  auto r = fx.ingest.OnMessage(kTopic, payload);
  REQUIRE(r.ok());
  CHECK(r.value().status == IngestStatus::kRejected);
  REQUIRE(fx.store.rejects.size() == 1);
  CHECK(fx.store.rejects[0].reason == "payload is not valid UTF-8");
  CHECK(fx.store.rejects[0].reason.find("UTF-8") != std::string::npos);
  CHECK(fx.store.rejects[0].raw_payload == payload);
  CHECK(fx.store.rejects[0].payload_size == payload.size());
  CHECK(fx.rejected() == 1);
}

TEST_CASE("Ingest decode error is rejected with the decoder's message") {
  Fixture fx;
  auto r = fx.ingest.OnMessage(kTopic, "not json");
  REQUIRE(r.ok());
  CHECK(r.value().status == IngestStatus::kRejected);
  REQUIRE(fx.store.rejects.size() == 1);
  CHECK(fx.store.rejects[0].reason.find("not valid JSON") != std::string::npos);
  CHECK(fx.store.rejects[0].raw_payload == "not json");
  CHECK(fx.store.rejects[0].payload_size == 8);

  auto typed = fx.ingest.OnMessage(kTopic, R"({"order_id":7,"stage":"cast"})");
  REQUIRE(typed.ok());
  CHECK(typed.value().detail == "field 'order_id' must be a string");
  CHECK(fx.rejected() == 2);
  CHECK(fx.store.events.empty());
}

TEST_CASE("Ingest validation error is rejected with the validation message") {
  Fixture fx;
  auto r = fx.ingest.OnMessage(kTopic, R"({"order_id":"ORD-1","stage":"painted"})");
  REQUIRE(r.ok());
  CHECK(r.value().status == IngestStatus::kRejected);
  CHECK(r.value().detail == "field 'stage' is not a known stage: 'painted'");
  REQUIRE(fx.store.rejects.size() == 1);
  CHECK(fx.store.rejects[0].reason == "field 'stage' is not a known stage: 'painted'");
  CHECK(fx.rejected() == 1);
  CHECK(fx.stored() == 0);
  CHECK(fx.store.append_calls == 0);
}

TEST_CASE("Ingest reject keeps at most max_string_bytes of the topic") {
  Fixture fx;
  const std::string topic(300, 't');
  REQUIRE(fx.ingest.OnMessage(topic, "x").ok());
  REQUIRE(fx.store.rejects.size() == 1);
  CHECK(fx.store.rejects[0].topic == std::string(256, 't'));
}

TEST_CASE("Ingest store failure returns the error, counts nothing, and a retry stores once") {
  Fixture fx;
  fx.store.fail_next = ErrorKind::kBusy;
  auto r = fx.ingest.OnMessage(kTopic, kWithId);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::kBusy);
  CHECK(r.error().message == "fake store failure");
  CHECK(fx.store.events.empty());
  CHECK(fx.store.rejects.empty());
  CHECK(fx.stored() == 0);
  CHECK(fx.duplicates() == 0);
  CHECK(fx.rejected() == 0);

  auto retry = fx.ingest.OnMessage(kTopic, kWithId);
  REQUIRE(retry.ok());
  CHECK(retry.value().status == IngestStatus::kStored);
  CHECK(fx.store.events.size() == 1);
  CHECK(fx.stored() == 1);
  CHECK(fx.duplicates() == 0);
}

TEST_CASE("Ingest store failure kind is preserved for each kind") {
  for (ErrorKind kind :
       {ErrorKind::kFull, ErrorKind::kReadOnly, ErrorKind::kCorrupt, ErrorKind::kIo}) {
    Fixture fx;
    fx.store.fail_next = kind;
    auto r = fx.ingest.OnMessage(kTopic, kNoId);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == kind);
    CHECK(fx.stored() == 0);
  }
}

TEST_CASE("Ingest reject-store failure returns the error and counts no reject") {
  Fixture fx;
  fx.store.fail_next = ErrorKind::kFull;
  auto r = fx.ingest.OnMessage(kTopic, "not json");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::kFull);
  CHECK(fx.store.rejects.empty());
  CHECK(fx.rejected() == 0);

  auto retry = fx.ingest.OnMessage(kTopic, "not json");
  REQUIRE(retry.ok());
  CHECK(retry.value().status == IngestStatus::kRejected);
  CHECK(fx.store.rejects.size() == 1);
  CHECK(fx.rejected() == 1);
}

TEST_CASE("Ingest counts a future device ts as flagged") {
  Fixture fx;
  // 2026-11-23T08:21:00Z: six minutes after the clock's 08:15:00Z.
  auto r = fx.ingest.OnMessage(
      kTopic, R"({"event_id":"e","order_id":"ORD-1","stage":"qc","ts":"2026-11-23T08:21:00Z"})");
  REQUIRE(r.ok());
  CHECK(r.value().status == IngestStatus::kStored);
  CHECK(fx.flagged() == 1);
  const StageEvent& e = fx.store.events.at("e");
  CHECK(e.time_source == TimeSource::kReceivedFuture);
  CHECK(ToEpochMs(e.stage_time) == kBaseMs);
  REQUIRE(e.device_ts.has_value());
  CHECK(ToEpochMs(*e.device_ts) == kBaseMs + 6 * 60'000);
}

TEST_CASE("Ingest counts every flagged kind of device ts, and only those") {
  Fixture fx;  // clock at 2026-11-23T08:15:00Z
  auto send = [&](const char* id, const char* ts) {
    const std::string payload = std::string(R"({"event_id":")") + id +
                                R"(","order_id":"ORD-1","stage":"qc","ts":")" + ts + R"("})";
    auto r = fx.ingest.OnMessage(kTopic, payload);
    REQUIRE(r.ok());
    CHECK(r.value().status == IngestStatus::kStored);
    return fx.store.events.at(id).time_source;
  };
  CHECK(send("ok", "2026-11-23T08:00:00Z") == TimeSource::kDevice);
  CHECK(fx.flagged() == 0);
  CHECK(send("reset", "2000-01-01T00:00:07Z") == TimeSource::kReceivedBeforeEarliest);
  CHECK(fx.flagged() == 1);
  CHECK(send("old", "2023-01-01T00:00:00Z") == TimeSource::kReceivedTooOld);
  CHECK(fx.flagged() == 2);
  CHECK(send("ahead", "2026-11-23T09:15:00Z") == TimeSource::kReceivedFuture);
  CHECK(fx.flagged() == 3);
  CHECK(send("backfill", "2025-11-23T08:15:00Z") == TimeSource::kDevice);
  CHECK(fx.flagged() == 3);
  CHECK(fx.stored() == 5);
  // A duplicate of a flagged event is not stored, so not counted again.
  REQUIRE(
      fx.ingest
          .OnMessage(
              kTopic,
              R"({"event_id":"reset","order_id":"ORD-1","stage":"qc","ts":"2000-01-01T00:00:07Z"})")
          .ok());
  CHECK(fx.duplicates() == 1);
  CHECK(fx.flagged() == 3);
}

TEST_CASE("Ingest counts rejects per class and flagged events per reason (the metrics)") {
  Rules rules;
  rules.limits.max_payload_bytes = 200;
  Fixture fx(rules);  // clock at 2026-11-23T08:15:00Z
  auto by_class = [&](RejectClass c) {
    return fx.ingest.counters().rejected_by_class[static_cast<std::size_t>(c)].load();
  };
  REQUIRE(fx.ingest.OnMessage(kTopic, std::string(201, 'x')).ok());          // size
  REQUIRE(fx.ingest.OnMessage(kTopic, "not json").ok());                     // decode
  REQUIRE(fx.ingest.OnMessage(kTopic, "{\"order_id\":\"\xC0\x80\"}").ok());  // decode
  REQUIRE(
      fx.ingest.OnMessage(kTopic, R"({"order_id":"ORD-1","stage":"painted"})").ok());  // validation
  CHECK(fx.rejected() == 4);
  CHECK(by_class(RejectClass::kSize) == 1);
  CHECK(by_class(RejectClass::kDecode) == 2);
  CHECK(by_class(RejectClass::kValidation) == 1);
  CHECK(by_class(RejectClass::kUnknownOrder) == 0);
  CHECK(by_class(RejectClass::kOther) == 0);
  CHECK(std::string(RejectClassName(RejectClass::kUnknownOrder)) == "unknown_order");

  auto send = [&](const char* id, const char* ts) {
    const std::string payload = std::string(R"({"event_id":")") + id +
                                R"(","order_id":"ORD-1","stage":"qc","ts":")" + ts + R"("})";
    REQUIRE(fx.ingest.OnMessage(kTopic, payload).ok());
  };
  send("reset", "2000-01-01T00:00:07Z");
  send("old", "2023-01-01T00:00:00Z");
  send("ahead", "2026-11-23T09:15:00Z");
  send("ahead2", "2026-11-23T09:16:00Z");
  const auto& flagged = fx.ingest.counters().flagged_by_reason;
  CHECK(std::string(kTsFlagNames[0]) == "future");
  CHECK(flagged[0].load() == 2);
  CHECK(flagged[1].load() == 1);  // before_earliest
  CHECK(flagged[2].load() == 1);  // too_old
  CHECK(fx.flagged() == 4);
}

TEST_CASE("Ingest SetRules changes material pricing for the next message") {
  Rules rules;
  rules.material_cost_per_g = {{"silver-925", 0.25}};
  Fixture fx(rules);
  REQUIRE(fx.ingest
              .OnMessage(kTopic, R"({"event_id":"a","order_id":"O","stage":"cast",)"
                                 R"("material":{"type":"silver-925","used_g":12.5}})")
              .ok());
  CHECK(fx.store.events.at("a").material_cost == 3.125);  // 12.5 * 0.25

  Rules repriced = rules;
  repriced.material_cost_per_g["silver-925"] = 2.0;
  fx.ingest.SetRules(repriced);
  CHECK(fx.store.set_rules_calls == 1);
  CHECK(fx.store.last_rules.material_cost_per_g.at("silver-925") == 2.0);

  REQUIRE(fx.ingest
              .OnMessage(kTopic, R"({"event_id":"b","order_id":"O","stage":"cast",)"
                                 R"("material":{"type":"silver-925","used_g":12.5}})")
              .ok());
  CHECK(fx.store.events.at("b").material_cost == 25.0);   // 12.5 * 2.0
  CHECK(fx.store.events.at("a").material_cost == 3.125);  // history not rewritten
}

TEST_CASE("Ingest SetRules changes the stage list for the next message") {
  Fixture fx;
  const char* engraved = R"({"event_id":"g","order_id":"O","stage":"engraved"})";
  auto before = fx.ingest.OnMessage(kTopic, engraved);
  REQUIRE(before.ok());
  CHECK(before.value().status == IngestStatus::kRejected);

  Rules rules;
  rules.stages = {"confirmed", "engraved", "shipped"};
  fx.ingest.SetRules(rules);
  auto after = fx.ingest.OnMessage(kTopic, engraved);
  REQUIRE(after.ok());
  CHECK(after.value().status == IngestStatus::kStored);
}

}  // namespace
}  // namespace floortrack
