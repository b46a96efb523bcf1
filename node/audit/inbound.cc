#include "node/audit/inbound.h"

#include <bit>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/audit/receipt.h"
#include "node/common/indicator_type.h"
#include "node/common/status_macros.h"

namespace ifed::audit {

std::string SafeRequestId(const std::string& id) {
  if (id.empty() || id.size() > 128) return "(invalid)";
  for (unsigned char c : id) {
    if (c < 0x21 || c > 0x7e) return "(invalid)";
  }
  return id;
}

std::string TypeCounts(const ifed::v1::MatchRequest& request, int64_t* items) {
  std::map<std::string, int64_t> by_type;
  *items = 0;
  for (const auto& b : request.batches()) {
    const int64_t n = static_cast<int64_t>(b.pseudonyms().size() / 32);
    by_type[std::string(TypeName(static_cast<IndicatorType>(b.type())))] += n;
    *items += n;
  }
  std::vector<std::string> parts;
  for (const auto& [t, n] : by_type) parts.push_back(absl::StrCat(t, ":", n));
  return absl::StrJoin(parts, ",");
}

namespace {

// The event of a peer's call: its actor (the verified id, or "unverified")
// and the outcome of `decision` (ok, error on our side, or refused).
Event PeerEvent(const char* action, const std::string& peer, const absl::Status& decision) {
  Event e;
  e.action = action;
  e.actor = peer.empty() ? "peer:(unverified)" : absl::StrCat("peer:", peer);
  e.outcome = decision.ok() ? "ok"
              : decision.code() == absl::StatusCode::kInternal ||
                      decision.code() == absl::StatusCode::kUnavailable
                  ? "error"
                  : "refused";
  return e;
}

}  // namespace

absl::Status InboundAuditor::Record(const std::string& peer,
                                    const ifed::v1::MatchRequest& request,
                                    const absl::Status& decision,
                                    ifed::v1::MatchResponse* response,
                                    const std::string& on_behalf_of) const {
  const std::string policy_version = policy_version_();
  int64_t items = 0;
  const std::string types = TypeCounts(request, &items);
  int64_t hits = 0;
  if (decision.ok()) {
    for (const auto& r : response->results()) hits += r.verdict() == ifed::v1::HIT;
    // The compact form: one bit per item (federation/compact_answer.h).
    for (char c : response->hit_bitmap()) hits += std::popcount(static_cast<uint8_t>(c));
  }
  Event e = PeerEvent("match.in", peer, decision);
  if (!on_behalf_of.empty()) e.Set("on_behalf_of", absl::StrCat("peer:", on_behalf_of));
  e.Set("peer", peer)
      .Set("request_id", SafeRequestId(request.request_id()))
      .Set("purpose", ifed::v1::Purpose_Name(request.purpose()))
      .Set("epoch", static_cast<int64_t>(request.epoch()))
      .Set("items", items)
      .Set("types", types)
      .Set("hits", hits)
      .Set("disclosure", decision.ok() ? ifed::v1::Disclosure_Name(response->disclosure()) : "")
      .Set("policy", policy_version);
  if (legal_basis_ && !peer.empty()) {
    if (std::string basis = legal_basis_(peer); !basis.empty()) e.Set("legal_basis", basis);
  }
  if (!decision.ok()) {
    e.Set("code", absl::StatusCodeToString(decision.code()))
        .Set("reason", std::string(decision.message()));
  }
  const std::string request_digest = RequestDigest(request);  // once: event and receipt
  e.Set("request_digest", absl::BytesToHexString(request_digest));
  IFED_RETURN_IF_ERROR(log_->Append(e));
  if (!decision.ok()) return absl::OkStatus();
  // The signer and its checkpoint as one pair: a renewal between the two
  // would give a receipt whose checkpoint the other key signed.
  const auto [signer, latest] = log_->SigningState();
  return SignReceipt(*signer, log_->node_id(), request, latest, policy_version, log_->now_ms(),
                     response, &request_digest);
}

absl::Status InboundAuditor::RecordDeconflict(const std::string& peer,
                                              const ifed::v1::DeconflictRequest& request,
                                              const absl::Status& decision,
                                              const ifed::v1::DeconflictResponse& response,
                                              const std::string& on_behalf_of) const {
  ifed::v1::MatchRequest shape;  // for the type counts.
  *shape.mutable_batches() = request.batches();
  int64_t items = 0;
  const std::string types = TypeCounts(shape, &items);
  int64_t held = 0, contacts = 0;
  if (decision.ok()) {
    for (const auto& r : response.results()) {
      held += r.status() == ifed::v1::HOLD_HELD;
      contacts += !r.contact().empty();
    }
  }
  Event e = PeerEvent("deconflict.in", peer, decision);
  if (!on_behalf_of.empty()) e.Set("on_behalf_of", absl::StrCat("peer:", on_behalf_of));
  e.Set("peer", peer)
      .Set("request_id", SafeRequestId(request.request_id()))
      .Set("purpose", ifed::v1::Purpose_Name(ifed::v1::TAKEDOWN_DECONFLICTION))
      .Set("epoch", static_cast<int64_t>(request.epoch()))
      .Set("items", items)
      .Set("types", types)
      .Set("held", held)
      .Set("contacts", contacts)
      .Set("policy", policy_version_());
  if (legal_basis_ && !peer.empty()) {
    if (std::string basis = legal_basis_(peer); !basis.empty()) e.Set("legal_basis", basis);
  }
  if (!decision.ok()) {
    e.Set("code", absl::StatusCodeToString(decision.code()))
        .Set("reason", std::string(decision.message()));
  }
  return log_->Append(e);
}

absl::Status InboundAuditor::RecordOprf(const std::string& action, const std::string& peer,
                                        const std::string& request_id,
                                        ifed::v1::Purpose purpose, int64_t items,
                                        int64_t disclosed, const absl::Status& decision,
                                        const std::vector<std::pair<std::string, std::string>>& fields) const {
  Event e;
  e.action = action;
  e.actor = absl::StrCat("peer:", peer);
  e.outcome = decision.ok() ? "ok"
              : decision.code() == absl::StatusCode::kInternal ||
                      decision.code() == absl::StatusCode::kUnavailable
                  ? "error"
                  : "refused";
  e.Set("peer", peer)
      .Set("request_id", SafeRequestId(request_id))
      .Set("purpose", ifed::v1::Purpose_Name(purpose))
      .Set("items", items)
      .Set("disclosed", disclosed)
      .Set("policy", policy_version_());
  for (const auto& [k, v] : fields) e.Set(k, v);
  if (legal_basis_) {
    if (std::string basis = legal_basis_(peer); !basis.empty()) e.Set("legal_basis", basis);
  }
  if (!decision.ok()) {
    e.Set("code", absl::StatusCodeToString(decision.code()))
        .Set("reason", std::string(decision.message()));
  }
  return log_->Append(e);
}

absl::Status InboundAuditor::RecordRefusal(
    const std::string& action, const std::string& peer, const std::string& method,
    const std::vector<std::pair<std::string, std::string>>& fields,
    const absl::Status& reason) const {
  Event e;
  e.action = action;
  e.actor = absl::StrCat("peer:", peer);
  e.outcome = "refused";
  e.Set("peer", peer).Set("method", method);
  for (const auto& [k, v] : fields) e.Set(k, v);
  e.Set("code", absl::StatusCodeToString(reason.code()))
      .Set("reason", std::string(reason.message()));
  return log_->Append(e);
}

}  // namespace ifed::audit
