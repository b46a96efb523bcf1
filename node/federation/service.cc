#include "node/common/clock.h"
#include "node/federation/service.h"
#include "node/common/logging.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"
#include "node/crypto/keyed.h"
#include "node/federation/oprf/oprf_format.h"
#include "node/federation/oprf/oprf_key_statement.h"
#include "node/federation/transport/tls.h"
#include "node/normalize/normalizer.h"

namespace ifed::federation {

grpc::Status ToPeerStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
      return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
    case absl::StatusCode::kDataLoss:  // the store met damaged data: nothing from it
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "the responder's store is damaged: it answers no queries until its "
                          "operator has restored it");
    default:
      spdlog::error("internal error answering a peer: {}", std::string(s.message()));
      return grpc::Status(grpc::StatusCode::INTERNAL, "internal error");
  }
}

namespace {

// A node id a caller claimed, safe for a log line, an audit event and an
// error message: the node-id alphabet only.
std::string SafeNodeId(const std::string& id) {
  if (id.empty() || id.size() > 63) return "(malformed)";
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return "(malformed)";
  }
  return id;
}

// A match, watch or OPRF request is answered only under the rule set it
// was made under: on another version the same value has another canonical
// form, and a miss would be silent. Names both versions, never a value.
absl::Status CheckCanonVersion(uint32_t theirs) {
  if (theirs == normalize::kCanonicalVersion) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "canonicalisation version mismatch: the request was made under version ", theirs,
      theirs == 0 ? " (none sent)" : "", ", this node runs version ",
      normalize::kCanonicalVersion, "; both nodes must run the same normalisation rules"));
}

}  // namespace

absl::StatusOr<std::string> FederationService::Admit(grpc::ServerContext* ctx,
                                                     const char* method) {
  auto peer = PeerNodeId(*ctx->auth_context(), trust_domain_);
  if (!peer.ok()) return peer.status();
  auto refuse = [&](const char* action, std::vector<std::pair<std::string, std::string>> fields,
                    const absl::Status& why) {
    spdlog::warn("{} from {} refused ({}): {}", method, *peer, action, std::string(why.message()));
    if (auditor_ != nullptr) {
      if (absl::Status a = auditor_->RecordRefusal(action, *peer, method, fields, why); !a.ok()) {
        spdlog::error("audit of a refused call failed: {}", std::string(a.message()));
      }
    }
    return why;
  };
  auto stamp = ReadCallStamp(ctx->client_metadata());
  if (!stamp.ok()) return refuse("call.refused", {}, stamp.status());
  if (!stamp->claimed_node.empty() && stamp->claimed_node != *peer) {
    const std::string claimed = SafeNodeId(stamp->claimed_node);
    return refuse("identity.mismatch", {{"certificate", *peer}, {"claimed", claimed}},
                  absl::PermissionDeniedError(absl::StrCat(
                      "the call claims to come from node '", claimed,
                      "' but the client certificate is node '", *peer, "'")));
  }
  if (absl::Status s = replay_.Admit(*peer, *stamp); !s.ok()) {
    return refuse("replay.refused",
                  {{"request_id", stamp->request_id},
                   {"timestamp_ms", std::to_string(stamp->timestamp_ms)}},
                  s);
  }
  if (serving_check_) {
    if (absl::Status s = serving_check_(); !s.ok()) {
      spdlog::error("{} from {} refused: {}", method, *peer, std::string(s.message()));
      return s;
    }
  }
  return peer;
}

absl::StatusOr<std::string> FederationService::RelayedFor(
    const std::string& peer, const char* method, const char* rpc,
    const google::protobuf::Message& request, ifed::v1::Purpose purpose,
    const ifed::v1::SignedRelayAuthorization& auth) {
  if (Relays()) return std::string();  // the hub passes it on unchanged.
  const bool from_hub = is_hub_ && is_hub_(peer);
  const bool signed_call = auth.ByteSizeLong() > 0;
  if (!from_hub && !signed_call) return std::string();
  absl::StatusOr<std::string> querier;
  if (!from_hub) {
    querier = absl::PermissionDeniedError(absl::StrCat(
        "a relay authorization is accepted from a hub only; '", peer,
        "' is not a hub in this node's config (peers[].role: hub)"));
  } else if (relay_verifier_ == nullptr) {
    querier = absl::UnauthenticatedError("this node verifies no relayed calls");
  } else {
    querier = relay_verifier_->Verify(peer, rpc, request, purpose, auth);
  }
  if (querier.ok()) return querier;
  spdlog::warn("{} from {} refused (relay authorization): {}", method, peer,
               std::string(querier.status().message()));
  if (auditor_ != nullptr) {
    if (absl::Status a = auditor_->RecordRefusal("relay.refused", peer, method, {{"rpc", rpc}},
                                                 querier.status());
        !a.ok()) {
      spdlog::error("audit of a refused call failed: {}", std::string(a.message()));
    }
  }
  return querier.status();
}

grpc::Status FederationService::Match(grpc::ServerContext* ctx,
                                      const ifed::v1::MatchRequest* request,
                                      ifed::v1::MatchResponse* response) {
  logging::RequestScope log_scope(request->request_id());
  auto peer = Admit(ctx, "Match");
  if (!peer.ok()) {
    spdlog::warn("match refused: {}", std::string(peer.status().message()));
    if (absl::IsUnauthenticated(peer.status()) && auditor_ != nullptr) {
      (void)auditor_->Record("", *request, peer.status(), response);
    }
    return ToPeerStatus(peer.status());
  }
  auto querier = RelayedFor(*peer, "Match", kRpcMatch, *request, request->purpose(),
                            request->relay_authorization());
  if (!querier.ok()) return ToPeerStatus(querier.status());
  return AnswerMatch(*ctx, *peer, std::min(ctx->deadline(), std::chrono::system_clock::now() +
                                                                limits_.deadline),
                     *request, response, *querier);
}

grpc::Status FederationService::MatchStream(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<ifed::v1::MatchResponse, ifed::v1::MatchRequest>* stream) {
  auto peer = Admit(ctx, "MatchStream");  // one stamp (request id, time) per stream.
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
    logging::RequestScope log_scope(request.request_id());
    response.Clear();
    auto querier = RelayedFor(*peer, "MatchStream", kRpcMatch, request, request.purpose(),
                              request.relay_authorization());
    if (!querier.ok()) return ToPeerStatus(querier.status());
    grpc::Status s = AnswerMatch(*ctx, *peer, deadline, request, &response, *querier,
                                 policy::Call::kMatchStream);
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
                                            ifed::v1::MatchResponse* response,
                                            const std::string& on_behalf_of,
                                            policy::Call call) const {
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
  absl::Status decision = CheckCanonVersion(request.canon_version());
  if (decision.ok()) {
    decision = relay_ ? relay_(peer, request, deadline, response)
                      : matcher_->Match(peer, request, response, on_behalf_of, call);
  } else {
    spdlog::warn("match from {} refused: {}", peer, std::string(decision.message()));
  }
  if (auditor_ != nullptr) {
    // Nothing leaves before its event is durable.
    if (absl::Status a = auditor_->Record(peer, request, decision, response, on_behalf_of);
        !a.ok()) {
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

// --- OPRF scheme: identity, then OprfResponder, then the status. ----
// A call for the hub to relay (x-ifed-relay-to) goes to the
// OprfRelay; a call the hub relays (x-ifed-on-behalf-of) is answered for the
// node it names, under that node's key, budget and filter (oprf_relay.h).

namespace {
constexpr size_t kFilterChunkBytes = 256 << 10;  // well under the message limit.

// The one value of header `name` ("" when absent); InvalidArgument when repeated.
absl::StatusOr<std::string> OneHeader(const grpc::ServerContext& ctx, const char* name) {
  auto [begin, end] = ctx.client_metadata().equal_range(name);
  if (begin == end) return std::string();
  if (std::next(begin) != end) {
    return absl::InvalidArgumentError(absl::StrCat("header ", name, " sent more than once"));
  }
  return std::string(begin->second.data(), begin->second.size());
}
}  // namespace

absl::StatusOr<FederationService::OprfCaller> FederationService::AdmitOprf(
    grpc::ServerContext* ctx, const char* method) {
  auto peer = Admit(ctx, method);
  if (!peer.ok()) return peer.status();
  OprfCaller c{.peer = *peer};
  auto relay_to = OneHeader(*ctx, kRelayToHeader);
  if (!relay_to.ok()) return relay_to.status();
  auto on_behalf_of = OneHeader(*ctx, kOnBehalfOfHeader);
  if (!on_behalf_of.ok()) return on_behalf_of.status();
  if (!relay_to->empty() && !on_behalf_of->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a call carries either ", kRelayToHeader, " or ", kOnBehalfOfHeader, ", not both"));
  }
  if (!relay_to->empty()) {
    if (oprf_relay_ == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "this node is not a hub and relays nothing (", kRelayToHeader, ")"));
    }
    c.relay_to = std::move(*relay_to);  // the relay checks the member.
  }
  if (!on_behalf_of->empty()) {
    const std::string named = SafeNodeId(*on_behalf_of);
    if (!is_hub_ || !is_hub_(*peer)) {
      const absl::Status why = absl::PermissionDeniedError(absl::StrCat(
          "only the hub may relay a call on behalf of another node; '", *peer,
          "' is not a hub in this node's config (peers[].role: hub)"));
      spdlog::warn("{} from {} on behalf of {} refused: not a hub", method, *peer, named);
      if (auditor_ != nullptr) {
        if (absl::Status a = auditor_->RecordRefusal("relay.refused", *peer, method,
                                                     {{"on_behalf_of", named}}, why);
            !a.ok()) {
          spdlog::error("audit of a refused call failed: {}", std::string(a.message()));
        }
      }
      return why;
    }
    if (named != *on_behalf_of || named == *peer) {
      return absl::InvalidArgumentError(
          absl::StrCat(kOnBehalfOfHeader, " must name another node id ([a-z0-9-], 1-63)"));
    }
    c.on_behalf_of = named;
  }
  return c;
}

#define IFED_OPRF_CALLER_OR_RETURN(c, what)                                              \
  auto c = AdmitOprf(ctx, what);                                                         \
  if (!c.ok()) {                                                                         \
    spdlog::warn(what " refused: {}", std::string(c.status().message()));               \
    return ToPeerStatus(c.status());                                                     \
  }

absl::Status FederationService::RelayedOprf(OprfCaller* c, const char* method, const char* rpc,
                                            const google::protobuf::Message& request,
                                            ifed::v1::Purpose purpose,
                                            const ifed::v1::SignedRelayAuthorization& auth) {
  if (!c->relay_to.empty()) return absl::OkStatus();  // this hub relays it on.
  IFED_ASSIGN_OR_RETURN(std::string querier,
                        RelayedFor(c->peer, method, rpc, request, purpose, auth));
  if (!c->on_behalf_of.empty() && c->on_behalf_of != querier) {
    return absl::PermissionDeniedError(absl::StrCat(
        kOnBehalfOfHeader, " names another node than the signed relay authorization"));
  }
  c->on_behalf_of = std::move(querier);
  return absl::OkStatus();
}

#define IFED_OPRF_RELAYED_OR_RETURN(c, what, rpc, request, purpose)                     \
  if (absl::Status relayed = RelayedOprf(&*c, what, rpc, request, purpose,               \
                                         (request).relay_authorization());               \
      !relayed.ok()) {                                                                   \
    return ToPeerStatus(relayed);                                                        \
  }

#define IFED_OPRF_OFFERED_OR_RETURN()                                                    \
  if (oprf_ == nullptr) {                                                                \
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,                           \
                        "this node does not offer the oprf scheme");                     \
  }

grpc::Status FederationService::OprfPublicKey(grpc::ServerContext* ctx,
                                              const ifed::v1::OprfPublicKeyRequest* request,
                                              ifed::v1::OprfPublicKeyResponse* response) {
  logging::RequestScope log_scope(logging::NewRequestId());
  IFED_OPRF_CALLER_OR_RETURN(c, "oprf public key");
  IFED_OPRF_RELAYED_OR_RETURN(c, "OprfPublicKey", kRpcOprfPublicKey, *request,
                              ifed::v1::PURPOSE_UNSPECIFIED);
  if (!c->relay_to.empty()) {
    return oprf_relay_->PublicKey(*ctx, c->peer, c->relay_to, *request, response);
  }
  IFED_OPRF_OFFERED_OR_RETURN();
  auto keys = oprf_->Keys(c->partner(), c->via());
  if (!keys.ok()) return ToPeerStatus(keys.status());
  response->set_public_key(std::string(keys->current.begin(), keys->current.end()));
  response->set_suite("P256-SHA256");
  response->set_mode(1);
  response->set_key_epoch(keys->epoch);
  if (keys->next) {  // an announced rotation
    response->set_next_public_key(std::string(keys->next->begin(), keys->next->end()));
    response->set_next_activation(keys->next_activation);
    response->set_next_key_epoch(keys->next_epoch);
  }
  if (const std::shared_ptr<const audit::Signer> signer = key_signer_ ? key_signer_() : nullptr;
      signer != nullptr) {
    const int64_t now = UnixSecondsNow();
    if (absl::Status s = SignOprfKey(*signer, trust_domain_, node_id_, c->partner(), now,
                                     response);
        !s.ok()) {
      spdlog::error("OPRF key announcement not signed: {}", std::string(s.message()));
      response->Clear();
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "key announcement cannot be signed");
    }
  }
  return grpc::Status::OK;
}

grpc::Status FederationService::OprfEvaluate(grpc::ServerContext* ctx,
                                             const ifed::v1::OprfEvaluateRequest* request,
                                             ifed::v1::OprfEvaluateResponse* response) {
  logging::RequestScope log_scope(request->request_id());
  IFED_OPRF_CALLER_OR_RETURN(c, "oprf evaluate");
  IFED_OPRF_RELAYED_OR_RETURN(c, "OprfEvaluate", kRpcOprfEvaluate, *request, request->purpose());
  if (absl::Status v = CheckCanonVersion(request->canon_version()); !v.ok()) {
    spdlog::warn("oprf evaluate from {} refused: {}", c->peer, std::string(v.message()));
    if (auditor_ != nullptr) {
      const int64_t items =
          static_cast<int64_t>(request->blinded().size() / crypto::oprf::kElementSize);
      if (absl::Status a = auditor_->RecordOprf("oprf.evaluate", c->peer, request->request_id(),
                                                request->purpose(), items, 0, v,
                                                c->audit_fields());
          !a.ok()) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit unavailable");
      }
    }
    return ToPeerStatus(v);
  }
  if (request->blinded().size() / crypto::oprf::kElementSize > limits_.max_items) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "request exceeds the node's limit of " +
                            std::to_string(limits_.max_items) + " items");
  }
  if (!c->relay_to.empty()) {
    return oprf_relay_->Evaluate(*ctx, c->peer, c->relay_to, *request, response);
  }
  IFED_OPRF_OFFERED_OR_RETURN();
  const absl::Status s = oprf_->Evaluate(c->partner(), *request, response, c->via());
  if (!s.ok()) {
    response->Clear();
    spdlog::warn("oprf evaluate from {} refused: {}", c->peer, std::string(s.message()));
  }
  if (auditor_ != nullptr) {
    const int64_t items =
        static_cast<int64_t>(request->blinded().size() / crypto::oprf::kElementSize);
    // Which key epoch answered (the previous one during a rotation's overlap).
    auto fields = c->audit_fields();
    if (s.ok()) fields.emplace_back("key_epoch", std::to_string(response->key_epoch()));
    if (absl::Status a = auditor_->RecordOprf("oprf.evaluate", c->peer, request->request_id(),
                                              request->purpose(), items, 0, s, fields);
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
  logging::RequestScope log_scope(logging::NewRequestId());
  IFED_OPRF_CALLER_OR_RETURN(c, "filter sync");
  IFED_OPRF_RELAYED_OR_RETURN(c, "FilterSync", kRpcFilterSync, *request,
                              ifed::v1::PURPOSE_UNSPECIFIED);
  if (request->log_id().size() > 64) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "log_id longer than 64 characters");
  }
  if (!c->relay_to.empty()) {
    return oprf_relay_->FilterSync(ctx, c->peer, c->relay_to, *request, writer);
  }
  IFED_OPRF_OFFERED_OR_RETURN();
  auto update = oprf_->Sync(c->partner(), request->since_version(), request->log_id(), c->via());
  if (!update.ok()) {
    spdlog::warn("filter sync from {} refused: {}", c->peer,
                 std::string(update.status().message()));
  }
  if (auditor_ != nullptr && !c->on_behalf_of.empty()) {
    // Relayed syncs are audited (the hub and the node it asks for); a
    // direct partner's periodic syncs are not.
    const int64_t items = update.ok() ? static_cast<int64_t>(update->snapshot->items) : 0;
    if (absl::Status a = auditor_->RecordOprf(
            "oprf.filter.sync", c->peer, logging::RequestScope::Current(),
            ifed::v1::PURPOSE_UNSPECIFIED, items, 0, update.status(), c->audit_fields());
        !a.ok()) {
      spdlog::error("audit write failed, filter withheld: {}", std::string(a.message()));
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit unavailable");
    }
  }
  if (!update.ok()) return ToPeerStatus(update.status());
  const FilterSnapshot& f = *update->snapshot;
  ifed::v1::FilterChunk chunk;
  chunk.set_items(f.items);
  chunk.set_public_key(std::string(f.public_key.begin(), f.public_key.end()));
  chunk.set_generation(f.generation);
  chunk.set_log_id(f.log_id);
  const std::string* data = &f.bytes;
  std::string packed;
  if (update->delta) {
    packed.reserve((update->added.size() + update->removed.size()) * crypto::oprf::kOutputSize);
    for (const auto& k : update->added) packed.append(k.begin(), k.end());
    for (const auto& k : update->removed) packed.append(k.begin(), k.end());
    data = &packed;
    chunk.set_delta(true);
    chunk.set_since_version(update->since_version);
    chunk.set_added_count(update->added.size());
    chunk.set_removed_count(update->removed.size());
    const auto d = DeltaDigest(f.log_id, update->since_version, f.generation, packed);
    chunk.set_digest(std::string(d.begin(), d.end()));
    chunk.set_filter_digest(std::string(f.digest.begin(), f.digest.end()));
    chunk.set_unchanged(packed.empty());
  } else {
    chunk.set_digest(std::string(f.digest.begin(), f.digest.end()));
    // The caller holds this very filter (and no version of ours): nothing to send.
    chunk.set_unchanged(request->have_digest() == chunk.digest());
  }
  chunk.set_total_bytes(chunk.unchanged() ? 0 : data->size());
  if (chunk.unchanged()) {
    writer->Write(chunk);
    return grpc::Status::OK;
  }
  for (size_t off = 0; off < data->size(); off += kFilterChunkBytes) {
    if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    chunk.set_offset(off);
    chunk.set_data(data->substr(off, kFilterChunkBytes));
    if (!writer->Write(chunk)) return grpc::Status(grpc::StatusCode::CANCELLED, "peer went away");
    chunk.clear_digest();  // metadata rides on the first chunk only
    chunk.clear_public_key();
  }
  const std::string to = c->on_behalf_of.empty()
                             ? c->peer
                             : absl::StrCat(c->on_behalf_of, " via ", c->peer);
  if (update->delta) {
    spdlog::info("filter sync to {}: delta {} -> {}: +{} -{} outputs", to,
                 update->since_version, f.generation, update->added.size(),
                 update->removed.size());
  } else {
    spdlog::info("filter sync to {}: snapshot of {} items, {} bytes, version {}", to, f.items,
                 f.bytes.size(), f.generation);
  }
  return grpc::Status::OK;
}

grpc::Status FederationService::Resolve(grpc::ServerContext* ctx,
                                        const ifed::v1::ResolveRequest* request,
                                        ifed::v1::ResolveResponse* response) {
  logging::RequestScope log_scope(request->request_id());
  IFED_OPRF_CALLER_OR_RETURN(c, "oprf resolve");
  IFED_OPRF_RELAYED_OR_RETURN(c, "Resolve", kRpcResolve, *request, request->purpose());
  if (request->outputs().size() / crypto::oprf::kOutputSize > limits_.max_items) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "request exceeds the node's limit of " +
                            std::to_string(limits_.max_items) + " items");
  }
  if (!c->relay_to.empty()) {
    return oprf_relay_->Resolve(*ctx, c->peer, c->relay_to, *request, response);
  }
  IFED_OPRF_OFFERED_OR_RETURN();
  const absl::Status s = oprf_->Resolve(c->partner(), *request, response, c->via());
  if (!s.ok()) response->Clear();
  if (auditor_ != nullptr) {
    const int64_t items =
        static_cast<int64_t>(request->outputs().size() / crypto::oprf::kOutputSize);
    int64_t disclosed = 0;
    if (s.ok()) {
      for (const auto& r : response->results()) disclosed += !r.reference().empty();
    }
    if (absl::Status a = auditor_->RecordOprf("oprf.resolve", c->peer, request->request_id(),
                                              request->purpose(), items, disclosed, s,
                                              c->audit_fields());
        !a.ok()) {
      response->Clear();
      spdlog::error("audit write failed, answer withheld: {}", std::string(a.message()));
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit unavailable");
    }
  }
  return ToPeerStatus(s);
}

grpc::Status FederationService::HubMembers(grpc::ServerContext* ctx,
                                           const ifed::v1::HubMembersRequest*,
                                           ifed::v1::HubMembersResponse* response) {
  logging::RequestScope log_scope(logging::NewRequestId());
  auto peer = Admit(ctx, "HubMembers");
  if (!peer.ok()) return ToPeerStatus(peer.status());
  if (oprf_relay_ == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this node is not a hub (config role: hub)");
  }
  return oprf_relay_->Members(*peer, response);
}

#undef IFED_OPRF_CALLER_OR_RETURN
#undef IFED_OPRF_RELAYED_OR_RETURN
#undef IFED_OPRF_OFFERED_OR_RETURN

grpc::Status FederationService::FollowUp(grpc::ServerContext* ctx,
                                         const ifed::v1::FollowUpRequest* request,
                                         ifed::v1::FollowUpResponse* response) {
  logging::RequestScope log_scope(request->followup_id());
  if (followups_ == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this node does not take follow-ups");
  }
  auto peer = Admit(ctx, "FollowUp");
  if (!peer.ok()) {
    spdlog::warn("follow-up refused: {}", std::string(peer.status().message()));
    return ToPeerStatus(peer.status());
  }
  if (is_hub_ && is_hub_(*peer)) {
    // A hub relays no follow-ups and files none of its own: the querier
    // asks the owner of the reference directly.
    const absl::Status why = absl::PermissionDeniedError(
        "follow-ups go to the owner of the reference directly, never through a hub");
    if (auditor_ != nullptr) {
      (void)auditor_->RecordRefusal("relay.refused", *peer, "FollowUp", {{"rpc", "FollowUp"}},
                                    why);
    }
    return ToPeerStatus(why);
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

grpc::Status FederationService::Deconflict(grpc::ServerContext* ctx,
                                           const ifed::v1::DeconflictRequest* request,
                                           ifed::v1::DeconflictResponse* response) {
  logging::RequestScope log_scope(request->request_id());
  auto peer = Admit(ctx, "Deconflict");
  if (!peer.ok()) {
    spdlog::warn("deconflict refused: {}", std::string(peer.status().message()));
    if (auditor_ != nullptr) {
      (void)auditor_->RecordDeconflict("", *request, peer.status(), *response);
    }
    return ToPeerStatus(peer.status());
  }
  auto querier = RelayedFor(*peer, "Deconflict", kRpcDeconflict, *request,
                            ifed::v1::TAKEDOWN_DECONFLICTION, request->relay_authorization());
  if (!querier.ok()) return ToPeerStatus(querier.status());
  size_t items = 0;
  for (const auto& b : request->batches()) {
    items += (b.pseudonyms().size() + crypto::kPseudonymSize - 1) / crypto::kPseudonymSize;
  }
  if (items > limits_.max_items) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "request exceeds the node's limit of " +
                            std::to_string(limits_.max_items) + " items");
  }
  // A hub holds no members' records: it relays to its members (answering
  // from its own store would say "clear" for pages its members hold).
  const absl::Status decision =
      deconflict_relay_
          ? deconflict_relay_(*peer, *request,
                              std::min(ctx->deadline(),
                                       std::chrono::system_clock::now() + limits_.deadline),
                              response)
          : relay_ ? absl::FailedPreconditionError("this hub does not relay deconfliction")
                   : matcher_->Deconflict(*peer, *request, response, *querier);
  if (!decision.ok()) response->Clear();
  if (auditor_ != nullptr) {
    if (absl::Status a =
            auditor_->RecordDeconflict(*peer, *request, decision, *response, *querier);
        !a.ok()) {
      response->Clear();
      spdlog::error("deconflict from {} not answered: audit failed: {}", *peer,
                    std::string(a.message()));
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unavailable");
    }
  }
  return ToPeerStatus(decision);
}

grpc::Status FederationService::Watch(grpc::ServerContext* ctx,
                                      const ifed::v1::WatchRequest* request,
                                      ifed::v1::WatchResponse* response) {
  if (watches_ == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "this node holds no watches");
  }
  auto peer = Admit(ctx, "Watch");
  if (!peer.ok()) return ToPeerStatus(peer.status());
  // A hub may always withdraw a watch it placed (that only narrows); it
  // places one only for a querier that signed it.
  std::string querier;
  if (request->action() != ifed::v1::WATCH_REMOVE || request->has_relay_authorization()) {
    auto relayed = RelayedFor(*peer, "Watch", kRpcWatch, *request, request->purpose(),
                              request->relay_authorization());
    if (!relayed.ok()) return ToPeerStatus(relayed.status());
    querier = std::move(*relayed);
  }
  if (request->action() == ifed::v1::WATCH_ADD) {
    if (absl::Status v = CheckCanonVersion(request->canon_version()); !v.ok()) {
      spdlog::warn("watch from {} refused: {}", *peer, std::string(v.message()));
      if (auditor_ != nullptr) {
        if (absl::Status a = auditor_->RecordRefusal(
                "canon_version.refused", *peer, "Watch",
                {{"watch_id", request->watch_id().substr(0, 64)},
                 {"theirs", std::to_string(request->canon_version())},
                 {"ours", std::to_string(normalize::kCanonicalVersion)}},
                v);
            !a.ok()) {
          return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unavailable");
        }
      }
      return ToPeerStatus(v);
    }
  }
  if (static_cast<size_t>(request->ByteSizeLong()) > limits_.max_items * 40 + 4096) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "too many items in one watch");
  }
  const absl::Status s =
      watch_relay_ ? watch_relay_(*peer, *request,
                                  std::min(ctx->deadline(),
                                           std::chrono::system_clock::now() + limits_.deadline),
                                  response)
                   : watches_->Handle(*peer, *request, response, querier);
  if (!s.ok()) {
    response->Clear();
    if (s.code() == absl::StatusCode::kNotFound) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, std::string(s.message()));
    }
  }
  return ToPeerStatus(s);
}

grpc::Status FederationService::Deliver(grpc::ServerContext* ctx,
                                        const ifed::v1::DeliverRequest* request,
                                        ifed::v1::DeliverResponse* response) {
  if (inbox_ == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "this node takes no deliveries");
  }
  auto peer = Admit(ctx, "Deliver");
  if (!peer.ok()) return ToPeerStatus(peer.status());
  const absl::Status s = deliver_relay_ ? deliver_relay_(*peer, *request, response)
                                        : inbox_->Handle(*peer, *request, response);
  if (!s.ok()) response->Clear();
  return ToPeerStatus(s);
}

grpc::Status FederationService::ReportHits(grpc::ServerContext* ctx,
                                           const ifed::v1::HitReport* request,
                                           ifed::v1::HitReportAck* response) {
  logging::RequestScope log_scope(request->query().request_id());
  if (!reports_) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this node is not a hub and takes no hit reports");
  }
  auto peer = Admit(ctx, "ReportHits");
  if (!peer.ok()) return ToPeerStatus(peer.status());
  const absl::Status s = reports_(*peer, *request, response);
  if (!s.ok()) response->Clear();
  return ToPeerStatus(s);
}

}  // namespace ifed::federation
