#include "node/audit/receipt.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/audit/event.h"
#include "node/common/status_macros.h"

namespace ifed::audit {
namespace {

std::string Deterministic(const google::protobuf::Message& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream s(&out);
    google::protobuf::io::CodedOutputStream c(&s);
    c.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&c);
  }
  return out;
}

std::string Sha256(const std::string& b) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), md);
  return std::string(reinterpret_cast<char*>(md), sizeof md);
}

std::string Hex(const std::string& b) { return absl::BytesToHexString(b); }

}  // namespace

std::string RequestDigest(const ifed::v1::MatchRequest& request) {
  return Sha256(Deterministic(request));
}

std::string ResponseDigest(const ifed::v1::MatchResponse& response) {
  // Before it is signed a response has no receipt: digest it as it is (no
  // deep copy of its results).
  if (!response.has_receipt()) return Sha256(Deterministic(response));
  ifed::v1::MatchResponse copy = response;
  copy.clear_receipt();
  return Sha256(Deterministic(copy));
}

std::string ReceiptMessage(const ifed::v1::Receipt& r) {
  const auto& cp = r.checkpoint();
  return absl::StrCat("ifed-receipt-v1\n", r.responder(), "\n", r.request_id(), "\n",
                      Hex(r.request_digest()), "\n", Hex(r.response_digest()), "\n", r.ts_ms(),
                      "\n", r.policy_version(), "\n", cp.node(), "\n", cp.seq(), "\n", cp.hash(),
                      "\n", cp.ts_ms(), "\n", Hex(cp.signature()));
}

absl::Status SignReceipt(const Signer& signer, const std::string& node_id,
                         const ifed::v1::MatchRequest& request, const HeldCheckpoint& latest,
                         const std::string& policy_version, int64_t ts_ms,
                         ifed::v1::MatchResponse* response, const std::string* request_digest) {
  ifed::v1::Receipt r;
  r.set_responder(node_id);
  r.set_request_id(request.request_id());
  r.set_request_digest(request_digest != nullptr ? *request_digest : RequestDigest(request));
  r.set_response_digest(ResponseDigest(*response));
  r.set_ts_ms(ts_ms);
  r.set_policy_version(policy_version);
  if (latest.seq != 0) {
    auto* cp = r.mutable_checkpoint();
    cp->set_node(latest.node);
    cp->set_seq(latest.seq);
    cp->set_hash(latest.hash);
    cp->set_ts_ms(latest.ts_ms);
    std::string sig;
    if (!FromHex(latest.sig, &sig)) return absl::InternalError("bad checkpoint");
    cp->set_signature(sig);
  }
  r.set_signer_cert(signer.cert_der());
  for (const std::string& der : signer.intermediates_der()) r.add_signer_chain(der);
  IFED_ASSIGN_OR_RETURN(std::string sig, signer.Sign(ReceiptMessage(r)));
  r.set_signature(std::move(sig));
  *response->mutable_receipt() = std::move(r);
  return absl::OkStatus();
}

absl::Status VerifyReceipt(const ifed::v1::MatchRequest& sent,
                           const ifed::v1::MatchResponse& response,
                           const std::string& expected_spiffe, const std::string& ca_pem_file) {
  return VerifyReceipt(sent, response, expected_spiffe,
                       [&](const std::string&, absl::string_view) -> absl::Status {
                         const ifed::v1::Receipt& r = response.receipt();
                         return VerifyCertChain(r.signer_cert(),
                                                {r.signer_chain().begin(), r.signer_chain().end()},
                                                ca_pem_file, expected_spiffe);
                       });
}

absl::Status VerifyReceipt(const ifed::v1::MatchRequest& sent,
                           const ifed::v1::MatchResponse& response,
                           const std::string& expected_spiffe, const NodeChainCheck& check_chain) {
  if (!response.has_receipt()) return absl::PermissionDeniedError("answer carries no receipt");
  const ifed::v1::Receipt& r = response.receipt();
  const std::string suffix = "/node/" + r.responder();
  if (r.responder().empty() || expected_spiffe.size() < suffix.size() ||
      expected_spiffe.compare(expected_spiffe.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return absl::PermissionDeniedError("receipt names another responder");
  }
  if (r.signer_chain_size() > 8) return absl::PermissionDeniedError("receipt chain is too long");
  std::string chain = r.signer_cert();
  for (const std::string& der : r.signer_chain()) chain += der;
  if (absl::Status s = check_chain(r.responder(), chain); !s.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("receipt certificate is not the responder's: ", s.message()));
  }
  IFED_ASSIGN_OR_RETURN(auto v, Verifier::FromCertDer(r.signer_cert()));
  if (!v->Verify(ReceiptMessage(r), r.signature()).ok()) {
    return absl::PermissionDeniedError("receipt signature does not verify");
  }
  if (r.request_id() != sent.request_id() || r.request_digest() != RequestDigest(sent)) {
    return absl::PermissionDeniedError("receipt is for another request");
  }
  if (r.response_digest() != ResponseDigest(response)) {
    return absl::PermissionDeniedError("receipt does not match the answer received");
  }
  if (r.checkpoint().seq() != 0) {
    const auto& cp = r.checkpoint();
    if (cp.node() != r.responder() ||
        !v->Verify(CheckpointMessage(cp.node(), cp.seq(), cp.hash(), cp.ts_ms()), cp.signature())
             .ok()) {
      return absl::PermissionDeniedError("receipt checkpoint does not verify");
    }
  }
  return absl::OkStatus();
}

}  // namespace ifed::audit
