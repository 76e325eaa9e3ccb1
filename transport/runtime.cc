#include "transport/runtime.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace twinkv {

absl::string_view NetErrorName(NetError e) {
  switch (e) {
    case NetError::kOk:
      return "ok";
    case NetError::kClosed:
      return "closed";
    case NetError::kReset:
      return "reset";
    case NetError::kRefused:
      return "refused";
    case NetError::kTimedOut:
      return "timed out";
    case NetError::kOther:
      return "other";
  }
  return "other";
}

absl::Status ErrnoToStatus(int err, absl::string_view op,
                           absl::string_view path) {
  char buf[256];
  // GNU strerror_r returns a pointer that may or may not be `buf`.
  std::string msg =
      absl::StrCat(op, " ", path, ": ", strerror_r(err, buf, sizeof(buf)));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case ENOSPC:
      return absl::ResourceExhaustedError(msg);
    case EIO:
      return absl::DataLossError(msg);
    case EEXIST:
      return absl::AlreadyExistsError(msg);
    default:
      return absl::InternalError(msg);
  }
}

}  // namespace twinkv
