#include "node/normalize/normalizer.h"

#include "node/common/status_macros.h"
#include "node/normalize/internal.h"
#include "node/normalize/text.h"

namespace ifed::normalize {

struct Normalizer::Impl {
  std::unique_ptr<internal::Unicode> unicode;
  std::unique_ptr<internal::Phones> phones;
};

absl::StatusOr<std::unique_ptr<Normalizer>> Normalizer::Create() {
  auto impl = std::make_unique<Impl>();
  IFED_ASSIGN_OR_RETURN(impl->unicode, internal::Unicode::Create());
  IFED_ASSIGN_OR_RETURN(impl->phones,
                        internal::Phones::Create(impl->unicode.get()));
  return std::unique_ptr<Normalizer>(new Normalizer(std::move(impl)));
}

Normalizer::Normalizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Normalizer::~Normalizer() = default;

absl::StatusOr<Canonical> Normalizer::Normalize(IndicatorType type,
                                                std::string_view raw,
                                                const Options& options) const {
  IFED_RETURN_IF_ERROR(internal::CheckInput(raw));
  const internal::Unicode& u = *impl_->unicode;
  std::string value;
  switch (type) {
    case IndicatorType::kPhone: {
      IFED_ASSIGN_OR_RETURN(value, impl_->phones->ToE164(raw, options));
      break;
    }
    case IndicatorType::kHandle:
      return internal::NormalizeHandle(u, *impl_->phones, raw, options);
    case IndicatorType::kUrl: {
      IFED_ASSIGN_OR_RETURN(value, internal::NormalizeUrl(u, raw));
      break;
    }
    case IndicatorType::kEmail: {
      IFED_ASSIGN_OR_RETURN(value, internal::NormalizeEmail(u, raw, options));
      break;
    }
    case IndicatorType::kIban: {
      IFED_ASSIGN_OR_RETURN(value, internal::NormalizeIban(u, raw));
      break;
    }
    case IndicatorType::kCryptoWallet: {
      IFED_ASSIGN_OR_RETURN(value, internal::NormalizeWallet(u, raw));
      break;
    }
    case IndicatorType::kImei: {
      IFED_ASSIGN_OR_RETURN(value, internal::NormalizeImei(u, raw));
      break;
    }
    case IndicatorType::kUnspecified:
    default:
      return absl::InvalidArgumentError("indicator type not specified");
  }
  return Canonical{type, std::move(value)};
}

}  // namespace ifed::normalize
