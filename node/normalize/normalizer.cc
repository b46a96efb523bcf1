#include "node/normalize/normalizer.h"

#include "node/common/status_macros.h"
#include "node/normalize/internal.h"
#include "node/normalize/text.h"
#include "node/normalize/warnings.h"

namespace ifed::normalize {
namespace {

// An http(s) link, or a scheme-less "host.tld/path" (the same test the
// handle parser uses). Bare names ("some.page") are not links.
bool LooksLikeLink(std::string_view s) {
  s = internal::TrimSpace(s);
  if (internal::StartsWithIgnoreCase(s, "http://") ||
      internal::StartsWithIgnoreCase(s, "https://")) {
    return true;
  }
  if (s.find("://") != std::string_view::npos) return false;
  const size_t slash = s.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view head = s.substr(0, slash);
  return head.find('.') != std::string_view::npos &&
         head.find_first_of(":@") == std::string_view::npos;
}

void AddDerived(Canonical* c, Canonical d) {
  if (d.type == c->type && d.value == c->value) return;
  for (const Canonical& x : c->derived) {
    if (x.type == d.type && x.value == d.value) return;
  }
  d.derived.clear();
  c->derived.push_back(std::move(d));
}

}  // namespace

const std::string* Canonical::AnyWarning() const {
  if (!warning.empty()) return &warning;
  for (const Canonical& d : derived) {
    if (!d.warning.empty()) return &d.warning;
  }
  return nullptr;
}

struct Normalizer::Impl {
  std::unique_ptr<internal::Unicode> unicode;
  std::unique_ptr<internal::Phones> phones;
  WarningList warnings;

  absl::StatusOr<Canonical> Primary(IndicatorType type, std::string_view raw,
                                    const Options& options) const;
  void Derive(IndicatorType asked, std::string_view raw, const Options& options,
              Canonical* c) const;
};

absl::StatusOr<std::unique_ptr<Normalizer>> Normalizer::Create() {
  return Create(WarningList::Default());
}

absl::StatusOr<std::unique_ptr<Normalizer>> Normalizer::Create(
    const WarningList& warnings) {
  auto impl = std::make_unique<Impl>();
  impl->warnings = warnings;
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
  IFED_ASSIGN_OR_RETURN(Canonical c, impl_->Primary(type, raw, options));
  impl_->Derive(type, raw, options, &c);
  if (auto w = impl_->warnings.Check(c.type, c.value)) c.warning = *w;
  for (Canonical& d : c.derived) {
    if (auto w = impl_->warnings.Check(d.type, d.value)) d.warning = *w;
  }
  return c;
}

// A URL naming a profile, page, group or click-to-chat number yields that
// handle or phone; a handle or phone written as an http(s) link yields the
// link; an e-mail address yields the mailbox its provider delivers it to
// (gmail dots, "+tag"). Failures only mean "nothing derived".
void Normalizer::Impl::Derive(IndicatorType asked, std::string_view raw,
                              const Options& options, Canonical* c) const {
  if (asked == IndicatorType::kEmail) {
    Options o = options;
    o.email_provider_rules = true;
    absl::StatusOr<std::string> mailbox = internal::NormalizeEmail(*unicode, raw, o);
    if (mailbox.ok()) {
      Canonical d;
      d.type = IndicatorType::kEmail;
      d.value = *std::move(mailbox);
      AddDerived(c, std::move(d));
    }
    return;
  }
  if (asked == IndicatorType::kUrl) {
    Options o = options;
    o.platform.clear();
    absl::StatusOr<Canonical> h =
        internal::NormalizeHandle(*unicode, *phones, raw, o);
    if (h.ok()) AddDerived(c, *std::move(h));
    return;
  }
  if ((asked == IndicatorType::kHandle || asked == IndicatorType::kPhone) &&
      LooksLikeLink(raw)) {
    absl::StatusOr<std::string> url = internal::NormalizeUrl(*unicode, raw);
    if (url.ok()) AddDerived(c, Canonical{IndicatorType::kUrl, *std::move(url)});
  }
}

absl::StatusOr<Canonical> Normalizer::Impl::Primary(
    IndicatorType type, std::string_view raw, const Options& options) const {
  const internal::Unicode& u = *unicode;
  std::string value;
  switch (type) {
    case IndicatorType::kPhone: {
      IFED_ASSIGN_OR_RETURN(value, phones->ToE164(raw, options));
      break;
    }
    case IndicatorType::kHandle:
      return internal::NormalizeHandle(u, *phones, raw, options);
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
  return Canonical{type, std::move(value), {}, {}};
}

}  // namespace ifed::normalize
