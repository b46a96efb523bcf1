#include "node/federation/service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>

#include "node/crypto/keyed.h"
#include "node/federation/tls.h"

namespace ifed::federation {

grpc::Status ToPeerStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kFailedPrecondition:
      return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
    default:
      spdlog::error("internal error answering a peer: {}", std::string(s.message()));
      return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  }
}

grpc::Status FederationService::Match(grpc::ServerContext* ctx,
                                      const ifed::v1::MatchRequest* request,
                                      ifed::v1::MatchResponse* response) {
  auto peer = PeerNodeId(*ctx->auth_context(), trust_domain_);
  if (!peer.ok()) {
    spdlog::warn("match refused: {}", std::string(peer.status().message()));
    if (auditor_ != nullptr) (void)auditor_->Record("", *request, peer.status(), response);
    return ToPeerStatus(peer.status());
  }
  return AnswerMatch(*ctx, *peer, std::min(ctx->deadline(), std::chrono::system_clock::now() +
                                                                limits_.deadline),
                     *request, response);
}

grpc::Status FederationService::MatchStream(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<ifed::v1::MatchResponse, ifed::v1::MatchRequest>* stream) {
  auto peer = PeerNodeId(*ctx->auth_context(), trust_domain_);
  if (!peer.ok()) {
    spdlog::warn("match stream refused: {}", std::string(peer.status().message()));
    ifed::v1::MatchRequest request;
    ifed::v1::MatchResponse unused;
    if (auditor_ != nullptr && stream->Read(&request)) {
      (void)auditor_->Record("", request, peer.status(), &unused);
    }
    return ToPeerStatus(peer.status());
  }
  ifed::v1::MatchRequest request;
  ifed::v1::MatchResponse response;
  while (stream->Read(&request)) {
    // Each request has the node's deadline from the moment it is read.
    const auto deadline = std::min(ctx->deadline(), std::chrono::system_clock::now() +
                                                        limits_.deadline);
    response.Clear();
    grpc::Status s = AnswerMatch(*ctx, *peer, deadline, request, &response);
    if (!s.ok()) return s;
    if (!stream->Write(response)) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "peer went away");
    }
  }
  return grpc::Status::OK;
}

grpc::Status FederationService::AnswerMatch(const grpc::ServerContext& ctx,
                                            const std::string& peer,
                                            std::chrono::system_clock::time_point deadline,
                                            const ifed::v1::MatchRequest& request,
                                            ifed::v1::MatchResponse* response) const {
  // Node-wide limits before any work (the policy may set lower ones).
  size_t items = 0;
  for (const auto& b : request.batches()) {
    items += (b.pseudonyms().size() + crypto::kPseudonymSize - 1) / crypto::kPseudonymSize;
  }
  if (items > limits_.max_items) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "request exceeds the node's limit of " +
                            std::to_string(limits_.max_items) + " items");
  }
  const absl::Status decision = relay_ ? relay_(peer, request, deadline, response)
                                       : matcher_->Match(peer, request, response);
  if (auditor_ != nullptr) {
    // Nothing leaves before its event is durable (issue 5).
    if (absl::Status a = auditor_->Record(peer, request, decision, response); !a.ok()) {
      response->Clear();
      spdlog::error("match from {} not answered: audit failed: {}", peer,
                    std::string(a.message()));
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unavailable");
    }
  }
  grpc::Status s = ToPeerStatus(decision);
  if (s.ok() && (ctx.IsCancelled() || std::chrono::system_clock::now() > deadline)) {
    response->Clear();
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "server-side deadline exceeded");
  }
  return s;
}

// --- OPRF scheme (issue 7): identity, then OprfResponder, then the status. ----

namespace {
constexpr size_t kFilterChunkBytes = 256 << 10;  // well under the message limit.
}  // namespace

#define IFED_OPRF_PEER_OR_RETURN(peer, what)                                             \
  if (oprf_ == nullptr) {                                                                \
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,                           \
                        "this node does not offer the oprf scheme");                     \
  }                                                                                      \
  auto peer = PeerNodeId(*ctx->auth_context(), trust_domain_);                           \
  if (!peer.ok()) {                                                                      \
    spdlog::warn(what " refused: {}", std::string(peer.status().message()));            \
    return ToPeerStatus(peer.status());                                                  \
  }

grpc::Status FederationService::OprfPublicKey(grpc::ServerContext* ctx,
                                              const ifed::v1::OprfPublicKeyRequest*,
                                              ifed::v1::OprfPublicKeyResponse* response) {
  IFED_OPRF_PEER_OR_RETURN(peer, "oprf public key");
  auto key = oprf_->PublicKey(*peer);
  if (!key.ok()) return ToPeerStatus(key.status());
  response->set_public_key(std::string(key->begin(), key->end()));
  response->set_suite("P256-SHA256");
  response->set_mode(1);
  return grpc::Status::OK;
}

grpc::Status FederationService::OprfEvaluate(grpc::ServerContext* ctx,
                                             const ifed::v1::OprfEvaluateRequest* request,
                                             ifed::v1::OprfEvaluateResponse* response) {
  IFED_OPRF_PEER_OR_RETURN(peer, "oprf evaluate");
  if (request->blinded().size() / crypto::oprf::kElementSize > limits_.max_items) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "request exceeds the node's limit of " +
                            std::to_string(limits_.max_items) + " items");
  }
  const absl::Status s = oprf_->Evaluate(*peer, *request, response);
  if (!s.ok()) {
    response->Clear();
    spdlog::warn("oprf evaluate from {} refused: {}", *peer, std::string(s.message()));
  }
  if (auditor_ != nullptr) {
    const int64_t items =
        static_cast<int64_t>(request->blinded().size() / crypto::oprf::kElementSize);
    if (absl::Status a = auditor_->RecordOprf("oprf.evaluate", *peer, request->request_id(),
                                              request->purpose(), items, 0, s);
        !a.ok()) {
      response->Clear();
      spdlog::error("audit write failed, answer withheld: {}", std::string(a.message()));
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit unavailable");
    }
  }
  return ToPeerStatus(s);
}

grpc::Status FederationService::FilterSync(grpc::ServerContext* ctx,
                                           const ifed::v1::FilterSyncRequest* request,
                                           grpc::ServerWriter<ifed::v1::FilterChunk>* writer) {
  IFED_OPRF_PEER_OR_RETURN(peer, "filter sync");
  auto snap = oprf_->Filter(*peer);
  if (!snap.ok()) {
    spdlog::warn("filter sync from {} refused: {}", *peer, std::string(snap.status().message()));
    return ToPeerStatus(snap.status());
  }
  const FilterSnapshot& f = **snap;
  ifed::v1::FilterChunk chunk;
  chunk.set_digest(std::string(f.digest.begin(), f.digest.end()));
  chunk.set_total_bytes(f.bytes.size());
  chunk.set_items(f.items);
  chunk.set_public_key(std::string(f.public_key.begin(), f.public_key.end()));
  chunk.set_generation(f.generation);
  if (request->have_digest() == chunk.digest()) {
    chunk.set_unchanged(true);
    writer->Write(chunk);
    return grpc::Status::OK;
  }
  for (size_t off = 0; off < f.bytes.size(); off += kFilterChunkBytes) {
    if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    chunk.set_offset(off);
    chunk.set_data(f.bytes.substr(off, kFilterChunkBytes));
    if (!writer->Write(chunk)) return grpc::Status(grpc::StatusCode::CANCELLED, "peer went away");
    chunk.clear_digest();  // metadata rides on the first chunk only
    chunk.clear_public_key();
  }
  spdlog::info("filter sync to {}: {} items, {} bytes, generation {}", *peer, f.items,
               f.bytes.size(), f.generation);
  return grpc::Status::OK;
}

grpc::Status FederationService::Resolve(grpc::ServerContext* ctx,
                                        const ifed::v1::ResolveRequest* request,
                                        ifed::v1::ResolveResponse* response) {
  IFED_OPRF_PEER_OR_RETURN(peer, "oprf resolve");
  if (request->outputs().size() / crypto::oprf::kOutputSize > limits_.max_items) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "request exceeds the node's limit of " +
                            std::to_string(limits_.max_items) + " items");
  }
  const absl::Status s = oprf_->Resolve(*peer, *request, response);
  if (!s.ok()) response->Clear();
  if (auditor_ != nullptr) {
    const int64_t items =
        static_cast<int64_t>(request->outputs().size() / crypto::oprf::kOutputSize);
    int64_t disclosed = 0;
    if (s.ok()) {
      for (const auto& r : response->results()) disclosed += !r.reference().empty();
    }
    if (absl::Status a = auditor_->RecordOprf("oprf.resolve", *peer, request->request_id(),
                                              request->purpose(), items, disclosed, s);
        !a.ok()) {
      response->Clear();
      spdlog::error("audit write failed, answer withheld: {}", std::string(a.message()));
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit unavailable");
    }
  }
  return ToPeerStatus(s);
}

#undef IFED_OPRF_PEER_OR_RETURN

grpc::Status FederationService::FollowUp(grpc::ServerContext* ctx,
                                         const ifed::v1::FollowUpRequest* request,
                                         ifed::v1::FollowUpResponse* response) {
  if (followups_ == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this node does not take follow-ups");
  }
  auto peer = PeerNodeId(*ctx->auth_context(), trust_domain_);
  if (!peer.ok()) {
    spdlog::warn("follow-up refused: {}", std::string(peer.status().message()));
    return ToPeerStatus(peer.status());
  }
  const absl::Status s = followups_->Handle(*peer, *request, response);
  if (!s.ok()) {
    response->Clear();
    if (s.code() == absl::StatusCode::kNotFound) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, std::string(s.message()));
    }
  }
  return ToPeerStatus(s);
}

}  // namespace ifed::federation
