#include "core/result.h"

namespace floortrack {

const char* ToString(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalid:
      return "invalid";
    case ErrorKind::kNotFound:
      return "not found";
    case ErrorKind::kBusy:
      return "busy";
    case ErrorKind::kFull:
      return "full";
    case ErrorKind::kReadOnly:
      return "read-only";
    case ErrorKind::kCorrupt:
      return "corrupt";
    case ErrorKind::kIo:
      return "I/O error";
    case ErrorKind::kInternal:
      return "internal error";
  }
  return "unknown";
}

}  // namespace floortrack
