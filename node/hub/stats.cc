#include "node/hub/stats.h"

#include <openssl/evp.h>

#include <algorithm>
#include <ctime>
#include <functional>
#include <set>
#include <tuple>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "node/store/tables.h"

namespace ifed::hub {
namespace {

constexpr char kDigestLabel[] = "ifed-hub-stats-v2";  // v2: keyed with the hub-local key.
constexpr size_t kPseudonymSize = 32;

std::string DayOf(int64_t now) {
  std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

bool StartsWith(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// Small counts can single out one case: 0 < n < k is withheld.
bool Withheld(uint64_t n, uint32_t k) { return n > 0 && n < k; }

}  // namespace

namespace {
// Hex of the first `bytes` of SHA-256(label || NUL || data).
std::string LabelledDigest(const char* label, const std::string& data, size_t bytes) {
  std::string input(label);
  input.push_back('\0');
  input += data;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), md, &len, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(md), bytes));
}
}  // namespace

std::string HubStats::Digest(ifed::v1::IndicatorType type, const std::string& pseudonym) const {
  std::string input(kDigestLabel);
  input.push_back('\0');
  input.push_back(static_cast<char>(type));
  input += pseudonym;
  unsigned char md[EVP_MAX_MD_SIZE];
  size_t len = 0;
  const absl::Span<const uint8_t> key = digest_key_.span();
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(input.data()), input.size(), md,
                sizeof md, &len) == nullptr ||
      len < 16) {
    return std::string(32, '0');  // never: HMAC-SHA256 is in every OpenSSL 3 build.
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(md), 16));
}

std::string HubStats::CaseId(const std::string& case_token) {
  return LabelledDigest("ifed-hub-case-v1", case_token, 8);
}

absl::Status HubStats::Load(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> l(mu_);
  bool ok = false;
  if (key == store::HubStatsTable::kTotal) {
    ok = totals_.ParseFromString(value);
  } else if (StartsWith(key, store::HubStatsTable::kType)) {
    ifed::v1::TypeCount t;
    ok = t.ParseFromString(value);
    if (ok) types_[t.type()] = t;
  } else if (StartsWith(key, store::HubStatsTable::kPair)) {
    ifed::v1::HubPairCount p;
    ok = p.ParseFromString(value);
    if (ok) pairs_[{p.querier(), p.member()}] = p;
  } else if (StartsWith(key, store::HubStatsTable::kDay)) {
    ifed::v1::HubDayCount d;
    ok = d.ParseFromString(value);
    if (ok) days_[d.day()] = d;
  } else if (StartsWith(key, store::HubStatsTable::kCluster)) {
    ifed::v1::HubCluster c;
    ok = c.ParseFromString(value);
    if (ok) clusters_[c.digest()] = c;
  } else if (StartsWith(key, store::HubStatsTable::kCase)) {
    ifed::v1::HubCaseLinks c;
    ok = c.ParseFromString(value) && !c.case_id().empty();
    if (ok) cases_[c.case_id()] = c;
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
    changed.emplace_back(store::HubStatsTable::PairKey(querier, m.member()),
                         pair.SerializeAsString());
  }
  std::set<std::string> case_digests;  // what hit for this query's case
  for (size_t i = 0; i < items.size(); ++i) {
    if (seen[i].empty()) continue;
    seen[i].insert(querier);  // the querier's case holds it too.
    const std::string digest = Digest(items[i].first, items[i].second);
    case_digests.insert(digest);
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
    changed.emplace_back(store::HubStatsTable::ClusterKey(digest), c.SerializeAsString());
  }
  if (!request.case_token().empty() && !case_digests.empty()) {
    const std::string id = CaseId(request.case_token());
    ifed::v1::HubCaseLinks& c = cases_[id];
    c.set_case_id(id);
    if (c.first_seen() == 0) c.set_first_seen(now);
    c.set_last_seen(now);
    std::set<std::string> all(c.digests().begin(), c.digests().end());
    for (const std::string& d : case_digests) {
      if (all.size() >= static_cast<size_t>(kMaxCaseLinks)) break;
      all.insert(d);
    }
    c.clear_digests();
    for (const std::string& d : all) c.add_digests(d);
    changed.emplace_back(store::HubStatsTable::CaseKey(id), c.SerializeAsString());
  }
  for (int t : types_touched) {
    changed.emplace_back(store::HubStatsTable::TypeKey(t), types_[t].SerializeAsString());
  }
  changed.emplace_back(store::HubStatsTable::DayKey(day_name), day.SerializeAsString());
  changed.emplace_back(store::HubStatsTable::kTotal, totals_.SerializeAsString());
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
  // Networks: clusters joined through the cases that asked for them
  // together (union-find over the case links).
  std::map<std::string, std::string> parent;
  std::function<std::string(const std::string&)> find = [&](const std::string& x) {
    std::string root = x;
    while (parent[root] != root) root = parent[root];
    for (std::string y = x; parent[y] != root;) {  // path compression
      std::string next = parent[y];
      parent[y] = root;
      y = next;
    }
    return root;
  };
  for (const auto& [digest, c] : clusters_) parent[digest] = digest;
  for (const auto& [id, links] : cases_) {
    std::string first;
    for (const std::string& d : links.digests()) {
      if (!clusters_.count(d)) continue;
      if (first.empty()) {
        first = d;
      } else {
        parent[find(d)] = find(first);
      }
    }
  }
  std::map<std::string, std::vector<std::string>> members;  // root -> digests
  for (const auto& [digest, c] : clusters_) members[find(digest)].push_back(digest);
  std::map<std::string, std::vector<ifed::v1::HubCaseLinks>> cases_of;  // root -> cases
  for (const auto& [id, links] : cases_) {
    ifed::v1::HubCaseLinks in;  // its pseudonyms that are clusters (all in one network)
    in.set_case_id(id);
    in.set_first_seen(links.first_seen());
    in.set_last_seen(links.last_seen());
    for (const std::string& d : links.digests()) {
      if (clusters_.count(d)) in.add_digests(d);
    }
    if (in.digests_size() > 0) cases_of[find(in.digests(0))].push_back(std::move(in));
  }
  std::vector<ifed::v1::HubNetwork> networks;
  for (const auto& [root, digests] : members) {
    if (digests.size() < 2) continue;  // a lone pseudonym is its cluster.
    ifed::v1::HubNetwork n;
    std::set<std::string> jurisdictions;
    for (const std::string& d : digests) {
      const ifed::v1::HubCluster& c = clusters_.at(d);
      n.add_digests(d);
      jurisdictions.insert(c.jurisdictions().begin(), c.jurisdictions().end());
      n.set_hits(n.hits() + c.hits());
      if (n.first_seen() == 0 || c.first_seen() < n.first_seen()) n.set_first_seen(c.first_seen());
      n.set_last_seen(std::max(n.last_seen(), c.last_seen()));
    }
    if (jurisdictions.size() < min_jurisdictions) continue;
    if (n.hits() < k) {
      ++suppressed;
      continue;
    }
    for (const std::string& j : jurisdictions) n.add_jurisdictions(j);
    for (auto& c : cases_of[root]) *n.add_cases() = std::move(c);
    networks.push_back(std::move(n));
  }
  std::sort(networks.begin(), networks.end(), [](const auto& a, const auto& b) {
    return std::make_tuple(a.jurisdictions_size(), a.hits(), a.digests_size()) >
           std::make_tuple(b.jurisdictions_size(), b.hits(), b.digests_size());
  });
  for (auto& n : networks) *r.add_networks() = std::move(n);
  r.set_suppressed(suppressed);
  return r;
}

}  // namespace ifed::hub
