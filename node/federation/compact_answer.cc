#include "node/federation/compact_answer.h"

#include <bit>

namespace ifed::federation {

bool IsCompact(const ifed::v1::MatchResponse& response) {
  return response.compact_items() > 0 || !response.hit_bitmap().empty();
}

size_t AnsweredItems(const ifed::v1::MatchResponse& response) {
  return IsCompact(response) ? response.compact_items()
                             : static_cast<size_t>(response.results_size());
}

ifed::v1::Verdict VerdictAt(const ifed::v1::MatchResponse& response, size_t i) {
  if (!IsCompact(response)) return response.results(static_cast<int>(i)).verdict();
  const std::string& bits = response.hit_bitmap();
  if (i / 8 >= bits.size()) return ifed::v1::NO_HIT;
  return (static_cast<uint8_t>(bits[i / 8]) >> (i % 8)) & 1 ? ifed::v1::HIT : ifed::v1::NO_HIT;
}

size_t CountHits(const ifed::v1::MatchResponse& response) {
  size_t hits = 0;
  if (IsCompact(response)) {
    for (char c : response.hit_bitmap()) hits += std::popcount(static_cast<uint8_t>(c));
    return hits;
  }
  for (const auto& r : response.results()) hits += r.verdict() == ifed::v1::HIT;
  return hits;
}

absl::Status CheckCompact(const ifed::v1::MatchResponse& response) {
  if (!IsCompact(response)) return absl::OkStatus();
  const size_t items = response.compact_items();
  const std::string& bits = response.hit_bitmap();
  if (response.results_size() != 0) {
    return absl::InvalidArgumentError("compact answer also carries per-item results");
  }
  if (bits.size() != (items + 7) / 8) {
    return absl::InvalidArgumentError("compact answer: bitmap size does not fit the item count");
  }
  if (items % 8 != 0 && (static_cast<uint8_t>(bits.back()) >> (items % 8)) != 0) {
    return absl::InvalidArgumentError("compact answer: bit set past the last item");
  }
  int64_t last = -1;
  for (const auto& h : response.hits()) {
    if (static_cast<int64_t>(h.index()) <= last || h.index() >= items ||
        VerdictAt(response, h.index()) != ifed::v1::HIT) {
      return absl::InvalidArgumentError("compact answer: a hit detail names no hit, or out of order");
    }
    last = h.index();
  }
  return absl::OkStatus();
}

absl::Status ExpandCompact(ifed::v1::MatchResponse* response) {
  if (!IsCompact(*response)) return absl::OkStatus();
  if (absl::Status s = CheckCompact(*response); !s.ok()) return s;
  const size_t items = response->compact_items();
  response->mutable_results()->Reserve(static_cast<int>(items));
  for (size_t i = 0; i < items; ++i) {
    response->add_results()->set_verdict(VerdictAt(*response, i));
  }
  for (auto& h : *response->mutable_hits()) {
    ifed::v1::ItemResult* r = response->mutable_results(static_cast<int>(h.index()));
    r->set_reference(std::move(*h.mutable_reference()));
    r->set_contact(std::move(*h.mutable_contact()));
  }
  response->clear_hits();
  response->clear_hit_bitmap();
  response->clear_compact_items();
  return absl::OkStatus();
}

void StartCompact(size_t items, ifed::v1::MatchResponse* response) {
  response->set_compact_items(static_cast<uint32_t>(items));
  response->mutable_hit_bitmap()->assign((items + 7) / 8, '\0');
}

void SetCompactHit(size_t i, ifed::v1::MatchResponse* response) {
  (*response->mutable_hit_bitmap())[i / 8] |= static_cast<char>(1u << (i % 8));
}

}  // namespace ifed::federation
