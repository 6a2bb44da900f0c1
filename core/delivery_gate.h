// DeliveryGate: what a MessageSource does with one received message, in one
// place, so that no path acknowledges a message that was not made durable.
//
// For sources whose transport acknowledges a message as soon as the callback
// returns (Paho C sends the PUBACK then, whatever the callback did). The
// callback calls Deliver(), which returns only after the handler returned
// true for the message. Every other outcome (the handler returned false or
// threw, no handler yet, the gate closed because the source stopped) calls
// the `refuse` action instead, which must not return: in production it ends
// the process without acknowledging (std::_Exit) so the broker redelivers
// after the restart; tests throw. Should `refuse` return anyway, Deliver()
// aborts rather than return.
//
// Open() before the transport can deliver; Close() once the source has
// stopped: it waits for a handler still running, and from then on refuses
// everything (a late delivery is never acknowledged). The gate owns the
// handler; it does not own what the handler writes to. Thread-safe: Deliver()
// from the transport's thread, Open()/Close() from the owner's thread.
#pragma once

#include <cstdlib>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <utility>

#include "core/message_source.h"

namespace floortrack {

class DeliveryGate {
 public:
  // Called with the message and why it must not be acknowledged. Must not
  // return normally (end the process, or throw in tests).
  using Refuse = std::function<void(const Delivery&, const std::string& why)>;

  explicit DeliveryGate(Refuse refuse) : refuse_(std::move(refuse)) {}

  void Open(MessageHandler handler) {
    std::lock_guard lock(mutex_);
    handler_ = std::move(handler);
    closed_ = false;
  }

  // Waits for a running handler; afterwards every delivery is refused.
  void Close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }

  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }

  // Returns only when the handler returned true for `delivery`.
  void Deliver(const Delivery& delivery) {
    std::unique_lock lock(mutex_);
    if (closed_) RefuseOrAbort(delivery, "it arrived after the source stopped");
    if (!handler_) RefuseOrAbort(delivery, "it arrived before the source started");
    std::string why = "it could not be stored";
    try {
      if (handler_(delivery)) return;
    } catch (const std::exception& e) {
      why = std::string("the message handler failed: ") + e.what();
    } catch (...) {
      why = "the message handler failed";
    }
    RefuseOrAbort(delivery, why);
  }

 private:
  [[noreturn]] void RefuseOrAbort(const Delivery& delivery, const std::string& why) {
    refuse_(delivery, why);
    std::abort();  // refuse_ returned: never fall through to an acknowledgement
  }

  Refuse refuse_;
  mutable std::mutex mutex_;  // held while the handler runs
  MessageHandler handler_;    // guarded by mutex_
  bool closed_ = false;       // guarded by mutex_
};

}  // namespace floortrack
