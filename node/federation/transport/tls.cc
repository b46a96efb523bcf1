#include "node/federation/transport/tls.h"

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"
#include "node/crypto/key_file.h"
#include "node/federation/transport/call_guard.h"
#include "node/federation/transport/peer_verifier.h"

namespace ifed::federation {
namespace {

using grpc::experimental::CertificateVerifier;
using grpc::experimental::ExternalCertificateVerifier;
using grpc::experimental::FileWatcherCertificateProvider;
using grpc::experimental::TlsCustomVerificationCheckRequest;

// gRPC re-reads the published copy (tls_reload.h) this often: small local
// files, so the cost is negligible and a reload takes effect within a second.
constexpr unsigned int kRefreshSeconds = 1;

bool ValidNodeId(const std::string& id) {
  static const std::regex re("[a-z0-9][a-z0-9-]{0,62}");
  return std::regex_match(id, re);
}

// Checks the SPIFFE shape of the peer certificate after the chain was
// verified against the federation CA: exactly one URI SAN, in our trust
// domain, and (client side) the node we meant to reach.
class SpiffeVerifier final : public ExternalCertificateVerifier {
 public:
  SpiffeVerifier(std::string trust_domain, std::string expected_peer,
                 std::shared_ptr<PeerChainVerifier> chain, RefusalFn on_refused = nullptr)
      : trust_domain_(std::move(trust_domain)),
        expected_(std::move(expected_peer)),
        chain_(std::move(chain)),
        on_refused_(std::move(on_refused)) {}

  bool Verify(TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)>, grpc::Status* sync_status) override {
    std::string node_id;
    *sync_status = Check(request->uri_names(), &node_id);
    if (sync_status->ok()) {
      const grpc::string_ref leaf = request->peer_cert();
      const grpc::string_ref chain = request->peer_cert_full_chain();
      absl::Status s = chain_->CheckNode(node_id, absl::string_view(leaf.data(), leaf.size()),
                                         absl::string_view(chain.data(), chain.size()));
      if (!s.ok()) {
        *sync_status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(s.message()));
      }
    }
    if (!sync_status->ok()) {
      LogRefusal(sync_status->error_message());
      if (on_refused_) on_refused_(ClaimedNode(request->uri_names()), sync_status->error_message());
    }
    return true;
  }
  void Cancel(TlsCustomVerificationCheckRequest*) override {}

 private:
  grpc::Status Check(const std::vector<grpc::string_ref>& uris, std::string* node_id) const {
    if (uris.size() != 1) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "peer certificate must carry exactly one URI SAN");
    }
    const std::string uri(uris[0].data(), uris[0].size());
    auto id = NodeIdFromSpiffe(uri, trust_domain_);
    if (!id.ok()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "peer certificate is not a node of this federation");
    }
    if (!expected_.empty() && *id != expected_) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "server identity is not the peer that was called");
    }
    *node_id = *id;
    return grpc::Status::OK;
  }

  std::string ClaimedNode(const std::vector<grpc::string_ref>& uris) const {
    if (uris.size() != 1) return "";
    auto id = NodeIdFromSpiffe(std::string(uris[0].data(), uris[0].size()), trust_domain_);
    return id.ok() ? *id : "";
  }

  // At most one line per second: a flood of bad handshakes must not flood
  // the log.
  static void LogRefusal(const std::string& why) {
    static std::atomic<int64_t> last{0};
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    int64_t prev = last.load();
    if (prev != now && last.compare_exchange_strong(prev, now)) {
      spdlog::warn("TLS peer refused: {}", why);
    }
  }

  const std::string trust_domain_;
  const std::string expected_;
  const std::shared_ptr<PeerChainVerifier> chain_;
  const RefusalFn on_refused_;
};

std::shared_ptr<FileWatcherCertificateProvider> Provider(const TlsFiles& f) {
  return std::make_shared<FileWatcherCertificateProvider>(f.key, f.cert, f.ca_cert,
                                                          kRefreshSeconds);
}

// Stamps every outgoing call (call_guard.h). Runs on the calling thread.
class CallStamper final : public grpc::MetadataCredentialsPlugin {
 public:
  explicit CallStamper(std::string node_id) : node_id_(std::move(node_id)) {}
  bool IsBlocking() const override { return false; }
  const char* GetType() const override { return "ifed-call-stamp"; }
  grpc::Status GetMetadata(grpc::string_ref, grpc::string_ref, const grpc::AuthContext&,
                           std::multimap<std::string, std::string>* metadata) override {
    for (auto& [k, v] : NewStampHeaders(node_id_)) metadata->emplace(std::move(k), std::move(v));
    return grpc::Status::OK;
  }

 private:
  const std::string node_id_;
};

absl::Status Readable(const std::string& path, const char* what) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat("tls.", what, " is not set"));
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read tls.", what));
  return absl::OkStatus();
}

}  // namespace

std::string SpiffeId(const std::string& trust_domain, const std::string& node_id) {
  return absl::StrCat("spiffe://", trust_domain, "/node/", node_id);
}

absl::StatusOr<std::string> NodeIdFromSpiffe(const std::string& uri,
                                             const std::string& trust_domain) {
  const std::string prefix = absl::StrCat("spiffe://", trust_domain, "/node/");
  if (trust_domain.empty() || !absl::StartsWith(uri, prefix)) {
    return absl::PermissionDeniedError("identity outside the federation");
  }
  std::string id = uri.substr(prefix.size());
  if (!ValidNodeId(id)) return absl::PermissionDeniedError("malformed node identity");
  return id;
}

absl::Status CheckTlsFiles(const TlsFiles& files) {
  IFED_RETURN_IF_ERROR(Readable(files.ca_cert, "ca_cert"));
  IFED_RETURN_IF_ERROR(Readable(files.cert, "cert"));
  IFED_RETURN_IF_ERROR(Readable(files.key, "key"));
  return crypto::CheckPrivateFile(files.key);
}

absl::Status CheckRevocationConfig(const TlsFiles& files) {
  if (files.crl_dir.empty() && files.issuers.empty()) return absl::OkStatus();
  return PeerChainVerifier({.ca_file = files.ca_cert, .crl_dir = files.crl_dir,
                            .issuers = files.issuers})
      .Reload();
}

std::shared_ptr<PeerChainVerifier> MakePeerChainVerifier(const TlsFiles& files,
                                                         const std::string& trust_domain) {
  return std::make_shared<PeerChainVerifier>(
      PeerChainVerifier::Options{.ca_file = files.ca_cert,
                                 .crl_dir = files.crl_dir,
                                 .issuers = files.issuers,
                                 .trust_domain = trust_domain});
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(
    const TlsFiles& files, const std::string& trust_domain, RefusalFn on_refused) {
  grpc::experimental::TlsServerCredentialsOptions options(Provider(files));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.set_certificate_verifier(
      ExternalCertificateVerifier::Create<SpiffeVerifier>(
      trust_domain, "", MakePeerChainVerifier(files, trust_domain), std::move(on_refused)));
  return grpc::experimental::TlsServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(
    const TlsFiles& files, const std::string& trust_domain,
    const std::string& expected_peer) {
  auto self = NodeIdOfCertFile(files.cert, trust_domain);
  return grpc::CompositeChannelCredentials(
      MakeTlsChannelCredentials(files, trust_domain, expected_peer),
      grpc::MetadataCredentialsFromPlugin(
          std::make_unique<CallStamper>(self.ok() ? *self : std::string())));
}

absl::StatusOr<std::string> NodeIdOfCertFile(const std::string& cert_file,
                                             const std::string& trust_domain) {
  BIO* bio = BIO_new_file(cert_file.c_str(), "r");
  if (bio == nullptr) {
    ERR_clear_error();
    return absl::NotFoundError(absl::StrCat(cert_file, ": cannot read"));
  }
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ERR_clear_error();
  if (cert == nullptr) return absl::DataLossError(absl::StrCat(cert_file, ": no PEM certificate"));
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  std::string uri;
  int uris = 0;
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type != GEN_URI) continue;
    ++uris;
    const ASN1_IA5STRING* u = n->d.uniformResourceIdentifier;
    uri.assign(reinterpret_cast<const char*>(u->data), u->length);
  }
  GENERAL_NAMES_free(names);
  X509_free(cert);
  if (uris != 1) return absl::FailedPreconditionError("certificate has no single URI SAN");
  return NodeIdFromSpiffe(uri, trust_domain);
}

std::shared_ptr<grpc::ChannelCredentials> MakeTlsChannelCredentials(
    const TlsFiles& files, const std::string& trust_domain,
    const std::string& expected_peer) {
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(Provider(files));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  // The SPIFFE verifier replaces the host-name check: identity is the URI SAN.
  options.set_check_call_host(false);
  options.set_certificate_verifier(
      ExternalCertificateVerifier::Create<SpiffeVerifier>(
          trust_domain, expected_peer, MakePeerChainVerifier(files, trust_domain)));
  return grpc::experimental::TlsCredentials(options);
}

absl::StatusOr<std::string> PeerNodeId(const grpc::AuthContext& auth,
                                       const std::string& trust_domain) {
  if (!auth.IsPeerAuthenticated()) {
    return absl::UnauthenticatedError("peer is not authenticated");
  }
  const auto ids = auth.FindPropertyValues(GRPC_PEER_SPIFFE_ID_PROPERTY_NAME);
  if (ids.size() != 1) {
    return absl::UnauthenticatedError("peer certificate carries no single SPIFFE ID");
  }
  return NodeIdFromSpiffe(std::string(ids[0].data(), ids[0].size()), trust_domain);
}

void ApplyServerLimits(grpc::ServerBuilder& builder, const Limits& limits) {
  builder.SetMaxReceiveMessageSize(limits.max_message_bytes);
  builder.SetMaxSendMessageSize(limits.max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, limits.max_concurrent_streams);
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, limits.max_metadata_bytes);
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                             std::min(limits.handshake_timeout_ms, 10000));
  // Idle and abusive connections: close after 5 min idle, reject pings more
  // often than every 10 s without data (ping floods), bound connection age.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 5 * 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
}

grpc::ChannelArguments ClientChannelArguments(const Limits& limits) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(limits.max_message_bytes);
  args.SetMaxSendMessageSize(limits.max_message_bytes);
  args.SetInt(GRPC_ARG_MAX_METADATA_SIZE, limits.max_metadata_bytes);
  return args;
}

}  // namespace ifed::federation
