// Result<T>: a value or an Error, for operations that can fail without it
// being exceptional (bad input, storage conditions). Core and adapters return
// it instead of throwing. A plain value type.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace floortrack {

enum class ErrorKind {
  kInvalid,   // bad input or arguments
  kNotFound,  // the thing asked for does not exist
  kBusy,      // storage locked by someone else; waiting may clear it
  kFull,      // disk or database full; freeing space clears it
  kReadOnly,  // storage cannot be written; fixing permissions clears it
  kCorrupt,   // storage is damaged or not ours; never clears by itself
  kIo,        // other I/O failure
  kInternal,  // a bug or an unexpected library failure
};

const char* ToString(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;

inline Error MakeError(ErrorKind kind, std::string message) {
  return Error{kind, std::move(message)};
}

}  // namespace floortrack
