// Normalisation: raw indicator value + type (+ default region for phones)
// -> canonical string, or an error. Two spellings of one real-world
// identifier yield one canonical form; garbage is rejected, never stored.
//
// Error messages never contain the raw value (it would reach logs and peers):
// they name the rule that failed ("phone number too short",
// "handle too long for instagram (max 30)").
//
// Every input must be valid UTF-8, at most 2048 bytes, without control
// characters. Per-type rules are tabled in node/normalize/README.md; the
// decisions a user must know:
//  - Phones: E.164. National numbers need Options::default_region; with no
//    region only "+CC" and "00CC" are read. Vanity letters, extensions,
//    emergency numbers and short codes are refused.
//  - Handles: canonical "platform:name". Input is "platform:name" (the name
//    may keep its "@": "telegram:@Name"), a profile URL
//    (https://m.facebook.com/Some.Page/?ref=share, t.me/s/name,
//    tiktok.com/@name, ...), or "@name"/"name" only with Options::platform.
//    whatsapp and viber (and signal numbers) yield Canonical.type = kPhone.
//    Unicode: NFKC + case fold (full-width letters fold, invisible
//    characters vanish). Confusables are REFUSED, not mapped: a name mixing
//    scripts (a Cyrillic "а" in a Latin handle) or written wholly in
//    another script that reads as Latin is an error, as is any non-ASCII
//    name on an ASCII-only platform (all but YouTube). Mapping to the
//    confusable skeleton could match an innocent look-alike account.
//  - URLs: http(s) only; scheme kept; path case kept; see url.cc.
//  - E-mail: the local part is case-folded (providers ignore case), the
//    domain IDNA-encoded; the provider's mailbox (gmail dots and "+tag",
//    "+tag" at Microsoft, Fastmail, Proton) is a derived e-mail, so the
//    literal address and the mailbox both match.
//  - Wallets: "btc:", "eth:", "trx:" prefixes; IMEI: 15 digits (a 14-digit
//    IMEI gets its check digit, an IMEISV loses its version).
//  - Derived indicators: a value that also names another indicator carries
//    it in Canonical.derived: a profile/page/group/click-to-chat URL yields
//    the handle or phone it names (exactly what Normalize(kHandle, url)
//    returns), a handle or phone given as an http(s) link yields the URL.
//  - Warning list (warnings.h): a canonical value on the list is still
//    returned, with Canonical.warning set to the list's reason; the node
//    refuses such values at ingest and skips them at match.
#ifndef IFED_NORMALIZE_NORMALIZER_H_
#define IFED_NORMALIZE_NORMALIZER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "node/common/indicator_type.h"

namespace ifed::normalize {

class WarningList;

// Version of the canonicalisation rules. Bump it whenever any rule changes
// a canonical form that was accepted before (a new tracking parameter, a
// platform rule, a libphonenumber update that re-reads numbers): records
// carry the version they were keyed under (Record.canon_version); see
// README.md "Versioned canonicalisation" for how a bump re-keys them.
//   1: the first rule set.
//   2: e-mail addresses derive their provider mailbox (gmail dots and
//      "+tag"; "+tag" at Microsoft, Fastmail, Proton); the extractor finds
//      wallets, IBANs and IMEIs.
// Nodes of one federation must run one version: match and watch requests
// carry it and a partner on another version refuses them.
inline constexpr uint32_t kCanonicalVersion = 2;

struct Options {
  // ISO 3166-1 alpha-2 region for national phone numbers ("DE"); empty means
  // only international forms (+CC..., 00CC...) are accepted.
  std::string default_region;
  // Accept vanity letters in phone numbers (0800-FLOWERS).
  bool allow_vanity = false;
  // Make the provider mailbox (gmail dots and +tags) the main value instead
  // of a derived one. Offline tools and tests only: a node never sets it,
  // so every node of a federation keys the same forms.
  bool email_provider_rules = false;
  // Platform for handles given without one ("@name", "name"): facebook,
  // instagram, tiktok, x (or twitter), telegram, vk, youtube, snapchat,
  // whatsapp, viber, signal. Empty: the value must name its platform
  // ("platform:name" or a profile URL). If both name one, they must agree.
  std::string platform;
};

struct Canonical {
  // The type of the canonical value: may differ from the requested one
  // (a whatsapp handle is a phone number).
  IndicatorType type = IndicatorType::kUnspecified;
  std::string value;
  // Non-empty when the value is on the warning list: the list's reason
  // (never the value itself).
  std::string warning;
  // Other indicators the same input names, each canonical in its own type,
  // none equal to (type, value), no duplicates; their own `derived` is
  // empty.
  std::vector<Canonical> derived;

  // The first warning of the value or of a derived value, or nullptr.
  const std::string* AnyWarning() const;
};

// Thread-safe after construction; one instance serves the whole process.
class Normalizer {
 public:
  // Uses the warning list compiled in from policy/normalize-warnings.yaml.
  static absl::StatusOr<std::unique_ptr<Normalizer>> Create();
  // Uses `warnings` (copied) instead.
  static absl::StatusOr<std::unique_ptr<Normalizer>> Create(
      const WarningList& warnings);
  ~Normalizer();
  Normalizer(const Normalizer&) = delete;
  Normalizer& operator=(const Normalizer&) = delete;

  // InvalidArgument with a reason on bad input. Derived indicators and
  // warnings are filled in (see Canonical).
  absl::StatusOr<Canonical> Normalize(IndicatorType type, std::string_view raw,
                                      const Options& options) const;

 private:
  struct Impl;
  explicit Normalizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Whether `name` names a handle platform Options::platform accepts
// (facebook, instagram, tiktok, x, telegram, vk, youtube, snapchat,
// whatsapp, viber, signal, or an alias: fb ig twitter tg yt vkontakte snap
// wa), case-insensitive.
bool IsKnownPlatform(std::string_view name);

// The registered IBAN length of an ISO 3166 country code ("DE" -> 22), or
// nullopt when the country is not in the IBAN registry. For scanners that
// must know where an IBAN written in groups ends.
std::optional<size_t> IbanLength(std::string_view country);

}  // namespace ifed::normalize

#endif  // IFED_NORMALIZE_NORMALIZER_H_
