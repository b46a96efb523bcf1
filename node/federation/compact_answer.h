// The compact form of a Match answer (MatchRequest.compact_answer): a HIT
// bitmap plus the HITs that carry a reference or contact, instead of one
// ItemResult per item. Readers use these helpers so that both forms, the
// full one from older nodes and hubs and the compact one, read alike.
#ifndef IFED_FEDERATION_COMPACT_ANSWER_H_
#define IFED_FEDERATION_COMPACT_ANSWER_H_

#include <cstddef>

#include "absl/status/status.h"
#include "proto/federation.pb.h"

namespace ifed::federation {

// Whether `response` is in the compact form.
bool IsCompact(const ifed::v1::MatchResponse& response);
// Items answered, in either form.
size_t AnsweredItems(const ifed::v1::MatchResponse& response);
// The verdict of item i (< AnsweredItems), in either form.
ifed::v1::Verdict VerdictAt(const ifed::v1::MatchResponse& response, size_t i);
// HITs in either form.
size_t CountHits(const ifed::v1::MatchResponse& response);
// InvalidArgument unless a compact answer is well formed: the bitmap has
// (items + 7) / 8 bytes with no bit past the last item, `hits` are HITs in
// increasing index order, and `results` is empty.
absl::Status CheckCompact(const ifed::v1::MatchResponse& response);
// Rewrites a compact answer into the full form (one ItemResult per item)
// for code that reads `results`; a full answer is left as it is. Checks
// first (CheckCompact); verify the receipt before, on the form received.
absl::Status ExpandCompact(ifed::v1::MatchResponse* response);

// Writer side (the matcher): `items` NO_HITs in the compact form.
void StartCompact(size_t items, ifed::v1::MatchResponse* response);
void SetCompactHit(size_t i, ifed::v1::MatchResponse* response);

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_COMPACT_ANSWER_H_
