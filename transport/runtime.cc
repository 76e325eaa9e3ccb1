#include "transport/runtime.h"

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

}  // namespace twinkv
