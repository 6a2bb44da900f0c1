// MessageSource: the port events arrive through (MQTT in production).
//
// Delivery contract, on which floortrack's durability promise rests:
// - The source calls the handler once per message, from one thread at a
//   time, and acknowledges a message to its sender only after the handler
//   returned true for it.
// - A handler that returns false or throws has not made the message durable:
//   the source never acknowledges it. A source whose transport acknowledges
//   as soon as its callback returns (Paho) must then not return at all; it
//   ends the process (core/delivery_gate.h does this for it).
// - Stop() may still deliver until it returns, and the handler must keep
//   making each message durable (or return false) until then. When Stop()
//   returns, no message can be acknowledged any more and the handler is
//   never called again. So a message that arrives after stop began is either
//   stored and then acknowledged, or not acknowledged at all.
//
// The source owns its connection, its subscriptions and their health; the
// owner owns the handler and whatever the handler writes to. Start(),
// Stop(), SetTopics() and OnStateChange() are called from the owner's thread
// (the daemon's io_context), and the state handler is called on it; Health()
// from any thread; the message handler runs on the source's own thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace floortrack {

// One received message, valid for the duration of the handler call.
struct Delivery {
  std::string_view topic;
  std::string_view payload;
  // The MQTT DUP flag: the broker says it sent this message before. Neither
  // its presence nor its absence proves whether it was stored.
  bool redelivered = false;
  // 1 for the first successful connect of this process, +1 on each later
  // successful (re)connect; 0 only from sources without connections.
  std::uint64_t connection = 0;
};

// True once the message is durable (the source may acknowledge it).
using MessageHandler = std::function<bool(const Delivery&)>;

struct SourceHealth {
  bool connected = false;   // a session with the broker is up
  bool subscribed = false;  // every configured filter is granted as asked (QoS 1)
  // What is wrong, in plain words, one entry per problem (a refused or
  // downgraded subscription, why the last connect failed). Empty when
  // nothing is known to be wrong.
  std::vector<std::string> problems;

  bool Healthy() const { return connected && subscribed && problems.empty(); }
};

class MessageSource {
 public:
  using StateHandler = std::function<void()>;

  virtual ~MessageSource() = default;
  // Called (on the owner's thread) whenever Health() may have changed.
  // Set before Start().
  virtual void OnStateChange(StateHandler handler) = 0;
  virtual void Start(MessageHandler handler) = 0;
  // See the contract above. Before calling it, the owner makes a handler
  // that is waiting (e.g. for storage) give up, else Stop() waits for it.
  virtual void Stop() = 0;
  virtual SourceHealth Health() const = 0;
  // Replaces the topic filters: those no longer listed are unsubscribed, the
  // new list is subscribed (now if connected, else at the next connect).
  virtual void SetTopics(std::vector<std::string> topics) = 0;
};

}  // namespace floortrack
