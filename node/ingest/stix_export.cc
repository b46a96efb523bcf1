#include "node/ingest/stix_export.h"

#include <openssl/sha.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "node/common/indicator_type.h"

namespace ifed::ingest {
namespace {

// The namespace of ifed's UUIDv5 ids (random, fixed once).
constexpr unsigned char kNamespace[16] = {0x5b, 0x1f, 0x0e, 0x6a, 0x92, 0x3d, 0x4c, 0x27,
                                          0xa8, 0x41, 0x7e, 0x0c, 0xd3, 0x66, 0x19, 0xb4};

std::string TypeStr(int type) {
  return std::string(TypeName(static_cast<IndicatorType>(type)));
}

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

namespace {

std::string IdentityId(const ifed::v1::HitRecord& h) {
  return "identity--" + Uuid5("partner:" + h.peer());
}

std::string IndicatorKey(const ifed::v1::HitRecord& h) {
  return absl::StrCat(TypeStr(h.type()), "\n", h.canonical());
}

std::string IndicatorId(const ifed::v1::HitRecord& h) {
  return "indicator--" + Uuid5("indicator:" + IndicatorKey(h));
}

std::string SightingId(const ifed::v1::HitRecord& h) {
  return "sighting--" +
         Uuid5(absl::StrCat("sighting:", h.request_id(), "\n", h.peer(), "\n", IndicatorKey(h)));
}

std::string SchemeOf(const ifed::v1::HitRecord& h) {
  return h.scheme().empty() ? "keyed" : h.scheme();
}

nlohmann::json Sighting(const ifed::v1::HitRecord& h) {
  const std::string when = Timestamp(h.ts_ms());
  nlohmann::json sighting = {
      {"type", "sighting"},
      {"spec_version", "2.1"},
      {"id", SightingId(h)},
      {"created", when},
      {"modified", when},
      {"first_seen", when},
      {"last_seen", when},
      {"count", 1},
      {"sighting_of_ref", IndicatorId(h)},
      {"where_sighted_refs", {IdentityId(h)}},
      {"description",
       h.source() == "watch"
           ? absl::StrCat("Watch alert from partner ", h.peer(),
                          " over ifed: a watched value was ingested there (", SchemeOf(h),
                          " scheme)")
           : absl::StrCat("Hit reported by partner ", h.peer(), " over ifed (", SchemeOf(h),
                          " scheme)")},
      {"x_ifed_scheme", SchemeOf(h)},
      {"x_ifed_source", h.source().empty() ? "match" : h.source()},
      {"x_ifed_request_id", h.request_id()}};
  if (!h.watch_id().empty()) sighting["x_ifed_watch_id"] = h.watch_id();
  if (!h.reference().empty()) sighting["x_ifed_reference"] = h.reference();
  if (!h.contact().empty()) sighting["x_ifed_contact"] = h.contact();
  return sighting;
}

}  // namespace

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

std::vector<ObjectRef> IndexObjects(const Hits& hits) {
  std::vector<ObjectRef> out;
  std::set<std::string> seen;       // identity and indicator ids already listed.
  std::map<int64_t, int> per_ms;    // objects already added in each millisecond.
  auto add = [&](std::string id, const char* type, int64_t modified_ms, int hit) {
    const int64_t ms = hits[static_cast<int>(hit)].ts_ms();
    const int k = std::min(per_ms[ms]++, 999);
    out.push_back({std::move(id), type, modified_ms, ms * 1000 + k, static_cast<size_t>(hit)});
  };
  for (int i = 0; i < hits.size(); ++i) {
    const ifed::v1::HitRecord& h = hits[i];
    if (std::string id = IdentityId(h); seen.insert(id).second) add(std::move(id), "identity", 0, i);
    if (std::string id = IndicatorId(h); seen.insert(id).second) {
      add(std::move(id), "indicator", h.ts_ms(), i);
    }
    add(SightingId(h), "sighting", h.ts_ms(), i);
  }
  return out;
}

void SortByAdded(std::vector<ObjectRef>& objects) {
  std::stable_sort(objects.begin(), objects.end(), [](const ObjectRef& a, const ObjectRef& b) {
    return a.added_us != b.added_us ? a.added_us < b.added_us : a.id < b.id;
  });
}

nlohmann::json RenderObject(const ObjectRef& ref, const ifed::v1::HitRecord& h) {
  if (ref.type == "identity") {
    return {{"type", "identity"},
            {"spec_version", "2.1"},
            {"id", ref.id},
            {"created", Timestamp(0)},
            {"modified", Timestamp(0)},
            {"name", absl::StrCat("ifed partner ", h.peer())},
            {"identity_class", "organization"}};
  }
  if (ref.type == "indicator") {
    const std::string when = Timestamp(h.ts_ms());
    return {{"type", "indicator"},
            {"spec_version", "2.1"},
            {"id", ref.id},
            {"created", when},
            {"modified", when},
            {"name", absl::StrCat("ifed ", TypeStr(h.type()))},
            {"pattern", Pattern(h.type(), h.canonical())},
            {"pattern_type", "stix"},
            {"valid_from", when}};
  }
  return Sighting(h);
}

nlohmann::json StixBundle(const ifed::v1::HitsExportResponse& r) {
  nlohmann::json objects = nlohmann::json::array();
  for (const ObjectRef& ref : IndexObjects(r.hits())) {
    objects.push_back(RenderObject(ref, r.hits(static_cast<int>(ref.hit))));
  }
  return {{"type", "bundle"},
          {"id", "bundle--" + Uuid5(absl::StrCat("bundle:", r.SerializeAsString()))},
          {"objects", std::move(objects)}};
}

}  // namespace ifed::ingest
