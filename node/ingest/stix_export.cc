#include "node/ingest/stix_export.h"

#include <openssl/sha.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "node/common/indicator_type.h"

namespace ifed::ingest {
namespace {

std::string TypeStr(int t) { return ifed::TypeName(static_cast<ifed::IndicatorType>(t)); }

// The namespace of ifed's UUIDv5 ids (random, fixed once).
constexpr unsigned char kNamespace[16] = {0x5b, 0x1f, 0x0e, 0x6a, 0x92, 0x3d, 0x4c, 0x27,
                                          0xa8, 0x41, 0x7e, 0x0c, 0xd3, 0x66, 0x19, 0xb4};

// A STIX string literal: backslash and quote escaped.
std::string Literal(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

// RFC 9562 UUID version 5 (SHA-1 of namespace || name).
std::string Uuid5(const std::string& name) {
  std::string input(reinterpret_cast<const char*>(kNamespace), sizeof kNamespace);
  input += name;
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), d);
  d[6] = static_cast<unsigned char>((d[6] & 0x0f) | 0x50);
  d[8] = static_cast<unsigned char>((d[8] & 0x3f) | 0x80);
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    absl::StrAppend(&out, absl::Hex(d[i], absl::kZeroPad2));
  }
  return out;
}

std::string Timestamp(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

// The pattern for a canonical value, in the vocabulary the importer reads.
std::string Pattern(ifed::v1::IndicatorType type, const std::string& canonical) {
  switch (type) {
    case ifed::v1::URL: return absl::StrCat("[url:value = ", Literal(canonical), "]");
    case ifed::v1::EMAIL: return absl::StrCat("[email-addr:value = ", Literal(canonical), "]");
    case ifed::v1::PHONE: return absl::StrCat("[phone-number:value = ", Literal(canonical), "]");
    case ifed::v1::IBAN: return absl::StrCat("[bank-account:iban = ", Literal(canonical), "]");
    case ifed::v1::CRYPTO_WALLET:
      return absl::StrCat("[cryptocurrency-wallet:value = ", Literal(canonical), "]");
    case ifed::v1::HANDLE: {
      const size_t colon = canonical.find(':');
      if (colon != std::string::npos) {
        return absl::StrCat("[user-account:account_login = ", Literal(canonical.substr(colon + 1)),
                            " AND user-account:account_type = ",
                            Literal(canonical.substr(0, colon)), "]");
      }
      return absl::StrCat("[user-account:account_login = ", Literal(canonical), "]");
    }
    default:
      return absl::StrCat("[x-ifed-", TypeStr(type), ":value = ", Literal(canonical), "]");
  }
}

nlohmann::json StixBundle(const ifed::v1::HitsExportResponse& r) {
  nlohmann::json objects = nlohmann::json::array();
  std::map<std::string, bool> seen;  // object ids already emitted.
  for (const ifed::v1::HitRecord& h : r.hits()) {
    const std::string when = Timestamp(h.ts_ms());
    const std::string identity = "identity--" + Uuid5("partner:" + h.peer());
    if (!seen[identity]) {
      seen[identity] = true;
      objects.push_back({{"type", "identity"},
                         {"spec_version", "2.1"},
                         {"id", identity},
                         {"created", Timestamp(0)},
                         {"modified", Timestamp(0)},
                         {"name", absl::StrCat("ifed partner ", h.peer())},
                         {"identity_class", "organization"}});
    }
    const std::string key = absl::StrCat(TypeStr(h.type()), "\n", h.canonical());
    const std::string indicator = "indicator--" + Uuid5("indicator:" + key);
    if (!seen[indicator]) {
      seen[indicator] = true;
      objects.push_back({{"type", "indicator"},
                         {"spec_version", "2.1"},
                         {"id", indicator},
                         {"created", when},
                         {"modified", when},
                         {"name", absl::StrCat("ifed ", TypeStr(h.type()))},
                         {"pattern", Pattern(h.type(), h.canonical())},
                         {"pattern_type", "stix"},
                         {"valid_from", when}});
    }
    nlohmann::json sighting = {
        {"type", "sighting"},
        {"spec_version", "2.1"},
        {"id", "sighting--" + Uuid5(absl::StrCat("sighting:", h.request_id(), "\n", h.peer(),
                                                 "\n", key))},
        {"created", when},
        {"modified", when},
        {"first_seen", when},
        {"last_seen", when},
        {"count", 1},
        {"sighting_of_ref", indicator},
        {"where_sighted_refs", {identity}},
        {"description",
         h.source() == "watch"
             ? absl::StrCat("Watch alert from partner ", h.peer(),
                            " over ifed: a watched value was ingested there (",
                            h.scheme().empty() ? "keyed" : h.scheme(), " scheme)")
             : absl::StrCat("Hit reported by partner ", h.peer(), " over ifed (",
                            h.scheme().empty() ? "keyed" : h.scheme(), " scheme)")},
        {"x_ifed_scheme", h.scheme().empty() ? "keyed" : h.scheme()},
        {"x_ifed_source", h.source().empty() ? "match" : h.source()},
        {"x_ifed_request_id", h.request_id()}};
    if (!h.watch_id().empty()) sighting["x_ifed_watch_id"] = h.watch_id();
    if (!h.reference().empty()) sighting["x_ifed_reference"] = h.reference();
    if (!h.contact().empty()) sighting["x_ifed_contact"] = h.contact();
    objects.push_back(std::move(sighting));
  }
  return {{"type", "bundle"},
          {"id", "bundle--" + Uuid5(absl::StrCat("bundle:", r.SerializeAsString()))},
          {"objects", std::move(objects)}};
}

}  // namespace ifed::ingest
