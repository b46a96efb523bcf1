#include "node/federation/oprf/oprf_key_statement.h"

#include <memory>
#include "absl/strings/string_view.h"

#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"

namespace ifed::federation {
namespace {

constexpr absl::string_view kLabel = "ifed-oprf-key-v1";

std::string SignedBytes(const std::string& statement) {
  std::string m(kLabel.data(), kLabel.size());
  m.push_back('\0');
  m += statement;
  return m;
}

absl::Status Refuse(const std::string& responder, absl::string_view why) {
  return absl::PermissionDeniedError(absl::StrCat(
      "OPRF key announcement of ", responder, " refused: ", why,
      " (nothing pinned changed)"));
}

}  // namespace

absl::Status SignOprfKey(const audit::Signer& signer, const std::string& federation,
                         const std::string& node_id, const std::string& partner, int64_t now,
                         ifed::v1::OprfPublicKeyResponse* response) {
  ifed::v1::OprfKeyStatement st;
  st.set_federation(federation);
  st.set_node_id(node_id);
  st.set_partner(partner);
  st.set_public_key(response->public_key());
  st.set_key_epoch(response->key_epoch());
  st.set_next_public_key(response->next_public_key());
  st.set_next_activation(response->next_activation());
  st.set_next_key_epoch(response->next_key_epoch());
  st.set_issued_at(now);
  st.set_not_after(now + kOprfKeyStatementSeconds);
  std::string bytes;
  if (!st.SerializeToString(&bytes)) return absl::InternalError("cannot encode the key statement");
  IFED_ASSIGN_OR_RETURN(std::string signature, signer.Sign(SignedBytes(bytes)));
  response->set_statement(std::move(bytes));
  response->set_signature(std::move(signature));
  response->set_cert_chain_pem(signer.chain_pem());
  return absl::OkStatus();
}

absl::Status VerifyOprfKey(PeerChainVerifier& verifier, const std::string& federation,
                           const std::string& responder, const std::string& partner,
                           int64_t now, const ifed::v1::OprfPublicKeyResponse& response) {
  if (response.statement().empty() || response.signature().empty() ||
      response.cert_chain_pem().empty()) {
    return Refuse(responder, "it is not signed");
  }
  if (absl::Status s = verifier.CheckNodeInDomain(response.cert_chain_pem(), federation, responder);
      !s.ok()) {
    return Refuse(responder, absl::StrCat("the signer's certificate is not ", responder, "'s (",
                                          s.message(), ")"));
  }
  auto leaf = audit::Verifier::FromCertPem(response.cert_chain_pem());
  if (!leaf.ok()) return Refuse(responder, leaf.status().message());
  if (!(*leaf)->Verify(SignedBytes(response.statement()), response.signature()).ok()) {
    return Refuse(responder, "the signature does not verify");
  }
  ifed::v1::OprfKeyStatement st;
  if (!st.ParseFromString(response.statement())) {
    return Refuse(responder, "the signed statement does not parse");
  }
  if (st.federation() != federation || st.node_id() != responder) {
    return Refuse(responder, absl::StrCat("the statement is about node ", st.node_id(), " of ",
                                          st.federation()));
  }
  if (st.partner() != partner) {
    return Refuse(responder, absl::StrCat("the key was announced for ", st.partner(), ", not ",
                                          partner));
  }
  if (st.not_after() < now || st.issued_at() > now + kOprfKeyClockSkewSeconds) {
    return Refuse(responder, "the statement is outside its validity (stale or replayed)");
  }
  if (st.public_key() != response.public_key() || st.key_epoch() != response.key_epoch() ||
      st.next_public_key() != response.next_public_key() ||
      st.next_activation() != response.next_activation() ||
      st.next_key_epoch() != response.next_key_epoch()) {
    return Refuse(responder, "the key sent is not the key signed");
  }
  return absl::OkStatus();
}

}  // namespace ifed::federation
