// IndicatorType names as administrators and analysts write them. The enum is
// the protobuf one so that wire, store and CLI share one numbering.
#ifndef IFED_COMMON_INDICATOR_TYPE_H_
#define IFED_COMMON_INDICATOR_TYPE_H_

#include <optional>
#include <string>
#include <string_view>

namespace ifed {

// Mirrors ifed.v1.IndicatorType (proto/common.proto); the values must match.
enum class IndicatorType : int {
  kUnspecified = 0,
  kPhone = 1,
  kHandle = 2,
  kUrl = 3,
  kEmail = 4,
  kIban = 5,
  kCryptoWallet = 6,
  kImei = 7,
};

// "phone", "handle", "url", "email", "iban", "crypto", "imei".
const char* TypeName(IndicatorType t);
// Accepts the names above (case-insensitive) and "wallet" for crypto.
std::optional<IndicatorType> ParseType(std::string_view name);

}  // namespace ifed

#endif  // IFED_COMMON_INDICATOR_TYPE_H_
