#include "node/hub/stats.h"

#include <openssl/evp.h>

#include <ctime>
#include <vector>

#include "absl/strings/escaping.h"
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
  ++queries_;
  items_ += items.size();
  Day& day = days_[DayOf(now)];
  ++day.queries;
  std::vector<std::set<std::string>> seen(items.size());
  for (const auto& m : answer.members()) {
    if (m.status() != ifed::v1::MEMBER_ANSWERED) continue;
    Pair& pair = pairs_[{querier, m.member()}];
    ++pair.queries;
    pair.items += items.size();
    if (m.results_size() != static_cast<int>(items.size())) continue;
    for (size_t i = 0; i < items.size(); ++i) {
      if (m.results(static_cast<int>(i)).verdict() != ifed::v1::HIT) continue;
      ++pair.hits;
      ++hits_;
      ++day.hits;
      ++hits_by_type_[items[i].first];
      seen[i].insert(m.member());
    }
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (seen[i].empty()) continue;
    seen[i].insert(querier);  // the querier's case holds it too.
    Cluster& c = clusters_[Digest(items[i].first, items[i].second)];
    if (c.first_seen == 0) c.first_seen = now;
    c.last_seen = now;
    c.type = items[i].first;
    c.hits += seen[i].size() - 1;
    c.jurisdictions.insert(seen[i].begin(), seen[i].end());
  }
}

ifed::v1::HubStatsResponse HubStats::Report(uint32_t min_jurisdictions) const {
  if (min_jurisdictions == 0) min_jurisdictions = 2;
  ifed::v1::HubStatsResponse r;
  std::lock_guard<std::mutex> l(mu_);
  r.set_queries(queries_);
  r.set_items(items_);
  r.set_hits(hits_);
  for (const auto& [type, n] : hits_by_type_) {
    auto* t = r.add_by_type();
    t->set_type(static_cast<ifed::v1::IndicatorType>(type));
    t->set_count(n);
  }
  for (const auto& [key, p] : pairs_) {
    auto* out = r.add_pairs();
    out->set_querier(key.first);
    out->set_member(key.second);
    out->set_queries(p.queries);
    out->set_items(p.items);
    out->set_hits(p.hits);
  }
  for (const auto& [day, d] : days_) {
    auto* out = r.add_days();
    out->set_day(day);
    out->set_queries(d.queries);
    out->set_hits(d.hits);
  }
  for (const auto& [digest, c] : clusters_) {
    if (c.jurisdictions.size() < min_jurisdictions) continue;
    auto* out = r.add_clusters();
    out->set_digest(digest);
    out->set_type(c.type);
    for (const std::string& j : c.jurisdictions) out->add_jurisdictions(j);
    out->set_hits(c.hits);
    out->set_first_seen(c.first_seen);
    out->set_last_seen(c.last_seen);
  }
  return r;
}

}  // namespace ifed::hub
