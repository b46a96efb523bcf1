#include "node/common/indicator_type.h"

#include "absl/strings/ascii.h"

namespace ifed {

const char* TypeName(IndicatorType t) {
  switch (t) {
    case IndicatorType::kPhone: return "phone";
    case IndicatorType::kHandle: return "handle";
    case IndicatorType::kUrl: return "url";
    case IndicatorType::kEmail: return "email";
    case IndicatorType::kIban: return "iban";
    case IndicatorType::kCryptoWallet: return "crypto";
    case IndicatorType::kImei: return "imei";
    case IndicatorType::kUnspecified: break;
  }
  return "unspecified";
}

std::optional<IndicatorType> ParseType(std::string_view name) {
  const std::string n = absl::AsciiStrToLower(std::string(name));
  if (n == "phone") return IndicatorType::kPhone;
  if (n == "handle") return IndicatorType::kHandle;
  if (n == "url") return IndicatorType::kUrl;
  if (n == "email") return IndicatorType::kEmail;
  if (n == "iban") return IndicatorType::kIban;
  if (n == "crypto" || n == "wallet") return IndicatorType::kCryptoWallet;
  if (n == "imei") return IndicatorType::kImei;
  return std::nullopt;
}

}  // namespace ifed
