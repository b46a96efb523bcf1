#include "node/hub/stats.h"

#include <openssl/evp.h>

#include <algorithm>
#include <ctime>
#include <set>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace ifed::hub {
namespace {

constexpr char kDigestLabel[] = "ifed-hub-stats-v1";
constexpr size_t kPseudonymSize = 32;

std::string DayOf(int64_t now) {
  std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

std::string PairKey(const std::string& q, const std::string& m) {
  return absl::StrCat("hub/pair/", q, "/", m);
}

bool StartsWith(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// Small counts can single out one case: 0 < n < k is withheld.
bool Withheld(uint64_t n, uint32_t k) { return n > 0 && n < k; }

}  // namespace

std::string HubStats::Digest(ifed::v1::IndicatorType type, const std::string& pseudonym) {
  std::string input(kDigestLabel, sizeof kDigestLabel);  // with the NUL: a separator.
  input.push_back(static_cast<char>(type));
  input += pseudonym;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), md, &len, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(md), 16));
}

absl::Status HubStats::Load(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> l(mu_);
  bool ok = false;
  if (key == "hub/total") {
    ok = totals_.ParseFromString(value);
  } else if (StartsWith(key, "hub/type/")) {
    ifed::v1::TypeCount t;
    ok = t.ParseFromString(value);
    if (ok) types_[t.type()] = t;
  } else if (StartsWith(key, "hub/pair/")) {
    ifed::v1::HubPairCount p;
    ok = p.ParseFromString(value);
    if (ok) pairs_[{p.querier(), p.member()}] = p;
  } else if (StartsWith(key, "hub/day/")) {
    ifed::v1::HubDayCount d;
    ok = d.ParseFromString(value);
    if (ok) days_[d.day()] = d;
  } else if (StartsWith(key, "hub/cluster/")) {
    ifed::v1::HubCluster c;
    ok = c.ParseFromString(value);
    if (ok) clusters_[c.digest()] = c;
  }
  if (!ok) return absl::InvalidArgumentError(absl::StrCat("hub statistics entry ", key, " is not valid"));
  return absl::OkStatus();
}

void HubStats::Record(const std::string& querier, const ifed::v1::MatchRequest& request,
                      const ifed::v1::MatchResponse& answer, int64_t now) {
  // Items in wire order: (type, pseudonym).
  std::vector<std::pair<ifed::v1::IndicatorType, std::string>> items;
  for (const auto& b : request.batches()) {
    for (size_t off = 0; off + kPseudonymSize <= b.pseudonyms().size(); off += kPseudonymSize) {
      items.emplace_back(b.type(), b.pseudonyms().substr(off, kPseudonymSize));
    }
  }
  std::lock_guard<std::mutex> l(mu_);
  Entries changed;
  totals_.set_queries(totals_.queries() + 1);
  totals_.set_items(totals_.items() + items.size());
  const std::string day_name = DayOf(now);
  ifed::v1::HubDayCount& day = days_[day_name];
  day.set_day(day_name);
  day.set_queries(day.queries() + 1);
  std::set<int> types_touched;
  std::vector<std::set<std::string>> seen(items.size());
  for (const auto& m : answer.members()) {
    if (m.status() != ifed::v1::MEMBER_ANSWERED) continue;
    ifed::v1::HubPairCount& pair = pairs_[{querier, m.member()}];
    pair.set_querier(querier);
    pair.set_member(m.member());
    pair.set_queries(pair.queries() + 1);
    pair.set_items(pair.items() + items.size());
    if (m.results_size() == static_cast<int>(items.size())) {
      for (size_t i = 0; i < items.size(); ++i) {
        if (m.results(static_cast<int>(i)).verdict() != ifed::v1::HIT) continue;
        pair.set_hits(pair.hits() + 1);
        totals_.set_hits(totals_.hits() + 1);
        day.set_hits(day.hits() + 1);
        ifed::v1::TypeCount& t = types_[items[i].first];
        t.set_type(items[i].first);
        t.set_count(t.count() + 1);
        types_touched.insert(items[i].first);
        seen[i].insert(m.member());
      }
    }
    changed.emplace_back(PairKey(querier, m.member()), pair.SerializeAsString());
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (seen[i].empty()) continue;
    seen[i].insert(querier);  // the querier's case holds it too.
    const std::string digest = Digest(items[i].first, items[i].second);
    ifed::v1::HubCluster& c = clusters_[digest];
    c.set_digest(digest);
    if (c.first_seen() == 0) c.set_first_seen(now);
    c.set_last_seen(now);
    c.set_type(items[i].first);
    c.set_hits(c.hits() + seen[i].size() - 1);
    std::set<std::string> all(c.jurisdictions().begin(), c.jurisdictions().end());
    all.insert(seen[i].begin(), seen[i].end());
    c.clear_jurisdictions();
    for (const std::string& j : all) c.add_jurisdictions(j);
    changed.emplace_back(absl::StrCat("hub/cluster/", digest), c.SerializeAsString());
  }
  for (int t : types_touched) {
    changed.emplace_back(absl::StrCat("hub/type/", t), types_[t].SerializeAsString());
  }
  changed.emplace_back(absl::StrCat("hub/day/", day_name), day.SerializeAsString());
  changed.emplace_back("hub/total", totals_.SerializeAsString());
  if (persist_) persist_(changed);
}

ifed::v1::HubStatsResponse HubStats::Report(uint32_t min_jurisdictions, uint32_t k) const {
  if (min_jurisdictions == 0) min_jurisdictions = 2;
  if (k == 0) k = 1;
  ifed::v1::HubStatsResponse r;
  r.set_k_threshold(k);
  uint64_t suppressed = 0;
  std::lock_guard<std::mutex> l(mu_);
  r.set_queries(totals_.queries());
  r.set_items(totals_.items());
  r.set_hits(totals_.hits());
  for (const auto& [type, t] : types_) {
    if (t.count() < k) {
      ++suppressed;
      continue;
    }
    *r.add_by_type() = t;
  }
  for (const auto& [key, p] : pairs_) {
    if (Withheld(p.hits(), k)) {
      ++suppressed;
      continue;
    }
    *r.add_pairs() = p;
  }
  for (const auto& [name, d] : days_) {
    if (Withheld(d.hits(), k)) {
      ++suppressed;
      continue;
    }
    *r.add_days() = d;
  }
  for (const auto& [digest, c] : clusters_) {
    if (static_cast<uint32_t>(c.jurisdictions_size()) < min_jurisdictions) continue;
    if (c.hits() < k) {
      ++suppressed;
      continue;
    }
    *r.add_clusters() = c;
  }
  r.set_suppressed(suppressed);
  return r;
}

}  // namespace ifed::hub
