#include "node/federation/transport/relay_auth.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/common/clock.h"
#include "node/common/status_macros.h"
#include "node/config/node_config.h"
#include "node/federation/transport/peer_verifier.h"
#include "node/federation/transport/tls.h"

namespace ifed::federation {
namespace {

constexpr char kSignLabel[] = "ifed-relay-auth-v1";
constexpr char kDigestLabel[] = "ifed-relay-request-v1";
constexpr size_t kMaxChainPem = 32 << 10;
constexpr size_t kMaxAuthorization = 8 << 10;
constexpr size_t kMaxAudience = 64;
constexpr char kEndCert[] = "-----END CERTIFICATE-----";

std::string SignedBytes(const std::string& authorization) {
  return absl::StrCat(kSignLabel, authorization);
}

bool NonceOk(const std::string& s) {
  if (s.size() < 16 || s.size() > 128) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == ':' || c == '-';
  });
}

// The first PEM certificate of `pem` (the leaf), or "".
std::string LeafPem(absl::string_view pem) {
  const size_t end = pem.find(kEndCert);
  if (end == absl::string_view::npos) return "";
  return std::string(pem.substr(0, end + sizeof(kEndCert) - 1));
}

void ClearByName(google::protobuf::Message* m, const char* name) {
  const auto* f = m->GetDescriptor()->FindFieldByName(name);
  if (f != nullptr) m->GetReflection()->ClearField(m, f);
}

}  // namespace

std::string RelayRequestDigest(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  for (const char* name : {"relay_authorization", "case_token", "jurisdictions", "skip_members",
                           "compact_answer"}) {
    ClearByName(copy.get(), name);
  }
  if (request.GetDescriptor() == ifed::v1::WatchRequest::descriptor()) {
    ClearByName(copy.get(), "watch_id");
    ClearByName(copy.get(), "until");
  }
  std::string wire;
  {
    google::protobuf::io::StringOutputStream sos(&wire);
    google::protobuf::io::CodedOutputStream out(&sos);
    out.SetSerializationDeterministic(true);
    copy->SerializeToCodedStream(&out);
  }
  const std::string input =
      absl::StrCat(kDigestLabel, request.GetDescriptor()->full_name(), std::string(1, '\0'), wire);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(md), len);
}

absl::StatusOr<ifed::v1::SignedRelayAuthorization> RelaySigner::Sign(
    const std::string& hub, std::vector<std::string> audience, const std::string& rpc,
    const google::protobuf::Message& request, ifed::v1::Purpose purpose) const {
  const std::shared_ptr<const audit::Signer> signer_ = current_ ? current_() : nullptr;
  if (signer_ == nullptr) return absl::FailedPreconditionError("no node key to sign with");
  std::sort(audience.begin(), audience.end());
  audience.erase(std::unique(audience.begin(), audience.end()), audience.end());
  if (audience.empty()) return absl::InvalidArgumentError("a relayed call names no member");
  if (audience.size() > kMaxAudience) {
    return absl::InvalidArgumentError(absl::StrCat("at most ", kMaxAudience, " members per call"));
  }
  uint8_t nonce[16];
  if (RAND_bytes(nonce, sizeof(nonce)) != 1) return absl::InternalError("no randomness");
  ifed::v1::RelayAuthorization a;
  a.set_querier(node_id_);
  a.set_hub(hub);
  for (auto& m : audience) a.add_audience(std::move(m));
  a.set_rpc(rpc);
  a.set_request_digest(RelayRequestDigest(request));
  a.set_purpose(purpose);
  a.set_issued_at_ms(now_ms_ ? now_ms_() : UnixMillisNow());
  a.set_nonce(absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(nonce), sizeof(nonce))));
  ifed::v1::SignedRelayAuthorization out;
  out.set_authorization(a.SerializeAsString());
  out.set_cert_chain_pem(signer_->chain_pem());  // leaf, then intermediates.
  IFED_ASSIGN_OR_RETURN(std::string sig, signer_->Sign(SignedBytes(out.authorization())));
  out.set_signature(std::move(sig));
  return out;
}

RelayVerifier::RelayVerifier(Options options)
    : o_(std::move(options)), nonces_(o_.replay) {}

absl::StatusOr<std::string> RelayVerifier::Verify(
    const std::string& hub, const std::string& rpc, const google::protobuf::Message& request,
    ifed::v1::Purpose purpose, const ifed::v1::SignedRelayAuthorization& auth) {
  if (auth.authorization().empty() && auth.signature().empty()) {
    return absl::UnauthenticatedError(
        "a call relayed by a hub needs the querier's signed authorization "
        "(relay_authorization)");
  }
  if (auth.authorization().size() > kMaxAuthorization ||
      auth.cert_chain_pem().size() > kMaxChainPem) {
    return absl::UnauthenticatedError("relay authorization too large");
  }
  ifed::v1::RelayAuthorization a;
  if (!a.ParseFromString(auth.authorization())) {
    return absl::UnauthenticatedError("relay authorization does not parse");
  }
  if (!IsValidNodeId(a.querier()) || a.querier() == hub || a.querier() == o_.node_id) {
    return absl::UnauthenticatedError("relay authorization names no valid querier");
  }
  // Who signed: a certificate of the federation for node `querier`, and its key.
  if (!o_.check_chain) return absl::UnauthenticatedError("no trust anchor to verify with");
  if (absl::Status s = o_.check_chain(auth.cert_chain_pem(), a.querier()); !s.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("relay authorization: certificate of '", a.querier(), "': ", s.message()));
  }
  auto verifier = audit::Verifier::FromCertPem(LeafPem(auth.cert_chain_pem()));
  if (!verifier.ok()) {
    return absl::UnauthenticatedError("relay authorization: unreadable certificate");
  }
  if ((*verifier)->spiffe_id() != SpiffeId(o_.trust_domain, a.querier())) {
    return absl::UnauthenticatedError("relay authorization: certificate of another node");
  }
  if (!(*verifier)->Verify(SignedBytes(auth.authorization()), auth.signature()).ok()) {
    return absl::UnauthenticatedError("relay authorization: bad signature");
  }
  // What was signed: this hub, this member, this call.
  auto deny = [&](const std::string& why) {
    return absl::PermissionDeniedError(
        absl::StrCat("relay authorization of '", a.querier(), "': ", why));
  };
  if (a.hub() != hub) return deny(absl::StrCat("signed for hub '", a.hub(), "'"));
  if (a.audience_size() > static_cast<int>(kMaxAudience) ||
      !std::is_sorted(a.audience().begin(), a.audience().end()) ||
      std::find(a.audience().begin(), a.audience().end(), o_.node_id) == a.audience().end()) {
    return deny("this member is not in its audience");
  }
  if (a.rpc() != rpc) return deny(absl::StrCat("signed for another call (", a.rpc(), ")"));
  if (a.request_digest() != RelayRequestDigest(request)) {
    return deny("the request differs from the one signed");
  }
  if (a.purpose() != purpose) return deny("signed for another purpose");
  if (!NonceOk(a.nonce())) return deny("malformed nonce");
  if (absl::Status s = nonces_.Admit(a.querier(), {.request_id = a.nonce(),
                                                   .timestamp_ms = a.issued_at_ms(),
                                                   .claimed_node = ""});
      !s.ok()) {
    return deny(std::string(s.message()));
  }
  return a.querier();
}

NodeChainCheck ChainCheckWith(std::shared_ptr<PeerChainVerifier> verifier,
                              std::string trust_domain) {
  return [verifier = std::move(verifier), trust_domain = std::move(trust_domain)](
             absl::string_view chain_pem, const std::string& node_id) -> absl::Status {
    const std::string leaf = LeafPem(chain_pem);
    if (leaf.empty()) return absl::UnauthenticatedError("no certificate");
    // CA bundle, CRLs and the issuer pinned for the node (tls.issuers).
    IFED_RETURN_IF_ERROR(verifier->CheckNodeChain(node_id, chain_pem));
    auto v = audit::Verifier::FromCertPem(leaf);
    if (!v.ok()) return absl::UnauthenticatedError("unreadable certificate");
    if ((*v)->spiffe_id() != SpiffeId(trust_domain, node_id)) {
      return absl::UnauthenticatedError("the certificate names another node");
    }
    return absl::OkStatus();
  };
}

}  // namespace ifed::federation
