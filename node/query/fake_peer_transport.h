// A PeerTransport in memory for the unit tests of node/query.
#ifndef IFED_QUERY_FAKE_PEER_TRANSPORT_H_
#define IFED_QUERY_FAKE_PEER_TRANSPORT_H_

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/federation/oprf/oprf_responder.h"
#include "node/query/peer_transport.h"

namespace ifed::query {

// The expiry a fake peer grants a watch.
inline constexpr int64_t kWatchUntil = 1800000000;

// A peer transport in memory: keyed answers per peer, hub members, OPRF
// evaluations by a real responder, and a record of every call.
class FakeTransport final : public PeerTransport {
 public:
  using MatchFn = std::function<absl::StatusOr<ifed::v1::MatchResponse>(const ifed::v1::MatchRequest&)>;
  std::map<std::string, bool> peers;  // id -> is a hub
  std::map<std::string, MatchFn> match;
  ifed::v1::HubMembersResponse members;
  federation::OprfResponder* responder = nullptr;  // answers OPRF calls as node "de" asks
  std::mutex mu;
  std::vector<std::string> asked;                   // peers asked (keyed), in no order
  std::map<std::string, ifed::v1::MatchRequest> sent;  // peer -> keyed request
  std::vector<std::string> evaluated;               // peers asked (OPRF)
  std::vector<std::string> signed_for;              // "hub:rpc:audience"

  bool Has(const std::string& p) const override { return peers.count(p) > 0; }
  bool IsHub(const std::string& p) const override { return peers.count(p) > 0 && peers.at(p); }
  std::vector<std::string> Hubs() const override {
    std::vector<std::string> out;
    for (const auto& [id, hub] : peers) {
      if (hub) out.push_back(id);
    }
    return out;
  }
  std::vector<std::string> Peers() const override {
    std::vector<std::string> out;
    for (const auto& [id, hub] : peers) out.push_back(id);
    return out;
  }
  absl::StatusOr<ifed::v1::MatchResponse> Match(const std::string& peer,
                                                const ifed::v1::MatchRequest& request) override {
    {
      std::lock_guard<std::mutex> l(mu);
      asked.push_back(peer);
      sent[peer] = request;
    }
    auto it = match.find(peer);
    if (it == match.end()) return absl::UnavailableError("peer down");
    return it->second(request);
  }
  // A receipt is good when it names the peer that answered.
  absl::Status VerifyReceipt(const std::string& peer, const ifed::v1::MatchRequest&,
                             const ifed::v1::MatchResponse& answer) const override {
    if (answer.receipt().signature() != absl::StrCat("signed-by-", peer)) {
      return absl::PermissionDeniedError("receipt signature does not verify");
    }
    return absl::OkStatus();
  }
  absl::StatusOr<ifed::v1::HubMembersResponse> HubMembers(const std::string& hub) override {
    if (!IsHub(hub)) return absl::NotFoundError("not a hub");
    return members;
  }
  absl::StatusOr<ifed::v1::OprfPublicKeyResponse> OprfPublicKey(
      const std::string&, const ifed::v1::OprfPublicKeyRequest&) override {
    return absl::UnimplementedError("not in this fake");
  }
  absl::StatusOr<ifed::v1::OprfEvaluateResponse> OprfEvaluate(
      const std::string& peer, const ifed::v1::OprfEvaluateRequest& request,
      const std::string&) override {
    evaluated.push_back(peer);
    if (responder == nullptr) return absl::UnavailableError("no responder");
    ifed::v1::OprfEvaluateResponse response;
    if (absl::Status s = responder->Evaluate("de", request, &response); !s.ok()) return s;
    return response;
  }
  absl::StatusOr<ifed::v1::ResolveResponse> Resolve(const std::string&,
                                                    const ifed::v1::ResolveRequest& request) override {
    if (responder == nullptr) return absl::UnavailableError("no responder");
    ifed::v1::ResolveResponse response;
    if (absl::Status s = responder->Resolve("de", request, &response); !s.ok()) return s;
    return response;
  }
  absl::Status FilterSync(const std::string&, const ifed::v1::FilterSyncRequest&,
                          const ChunkFn&) override {
    return absl::UnimplementedError("not in this fake");
  }
  // Watches: the peer's answer from `watch` (else it holds the watch).
  std::map<std::string, std::function<absl::StatusOr<ifed::v1::WatchResponse>(
                            const ifed::v1::WatchRequest&)>>
      watch;
  std::vector<ifed::v1::WatchRequest> watch_sent;
  std::vector<std::string> watched;  // peers asked
  absl::StatusOr<ifed::v1::WatchResponse> Watch(const std::string& peer,
                                                const ifed::v1::WatchRequest& request) override {
    watched.push_back(peer);
    watch_sent.push_back(request);
    if (auto it = watch.find(peer); it != watch.end()) return it->second(request);
    ifed::v1::WatchResponse r;
    r.set_watch_id(request.watch_id());
    r.set_until(kWatchUntil);
    return r;
  }
  absl::StatusOr<ifed::v1::HitReportAck> ReportHits(const std::string&,
                                                    const ifed::v1::HitReport&) override {
    return absl::UnimplementedError("not in this fake");
  }
  absl::StatusOr<ifed::v1::FollowUpResponse> FollowUp(const std::string&,
                                                      const ifed::v1::FollowUpRequest&) override {
    return absl::UnimplementedError("not in this fake");
  }
  absl::StatusOr<ifed::v1::DeconflictResponse> Deconflict(
      const std::string&, const ifed::v1::DeconflictRequest&) override {
    return absl::UnimplementedError("not in this fake");
  }
  absl::Status SignRelay(const std::string& hub, RelayedRpc rpc, ifed::v1::Purpose,
                         std::vector<std::string> audience,
                         google::protobuf::Message*) const override {
    auto* self = const_cast<FakeTransport*>(this);
    std::lock_guard<std::mutex> l(self->mu);
    self->signed_for.push_back(absl::StrCat(hub, ":", static_cast<int>(rpc), ":",
                                            absl::StrJoin(audience, ",")));
    return absl::OkStatus();
  }
};

// The pseudonym of form `k` (32 bytes): the fake peers answer HIT for
// those in their `held` set.
inline std::string Pseudonym(int k) { return std::string(32, static_cast<char>('A' + k)); }

// A keyed answer of `peer` holding `held` (pseudonyms), receipt signed by `signer`.
inline FakeTransport::MatchFn Holder(const std::string& signer, std::set<std::string> held) {
  return [signer, held](const ifed::v1::MatchRequest& r) -> absl::StatusOr<ifed::v1::MatchResponse> {
    ifed::v1::MatchResponse a;
    for (const auto& b : r.batches()) {
      for (size_t off = 0; off + 32 <= b.pseudonyms().size(); off += 32) {
        a.add_results()->set_verdict(held.count(b.pseudonyms().substr(off, 32)) ? ifed::v1::HIT
                                                                                : ifed::v1::NO_HIT);
      }
    }
    a.mutable_receipt()->set_signature(absl::StrCat("signed-by-", signer));
    return a;
  };
}

}  // namespace ifed::query

#endif  // IFED_QUERY_FAKE_PEER_TRANSPORT_H_
