#include "node/daemon/node.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"
#include "node/crypto/key_file.h"
#include "node/federation/tls.h"

namespace ifed::daemon {
namespace {

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::Status PrepareSocketPath(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": exists and is not a socket"));
    }
    ::unlink(path.c_str());  // stale socket of a previous run.
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Node>> Node::Start(const ifed::v1::NodeConfig& config) {
  std::unique_ptr<Node> n(new Node(config));
  const auto& c = n->config_;
  const federation::TlsFiles tls{c.tls().ca_cert(), c.tls().cert(), c.tls().key(),
                                 c.tls().crl_dir()};
  IFED_RETURN_IF_ERROR(federation::CheckTlsFiles(tls));

  IFED_ASSIGN_OR_RETURN(auto fed_keys, crypto::LoadFederationKeys(c.federation_key_file()));
  IFED_ASSIGN_OR_RETURN(n->keys_, crypto::KeyedPseudonymizer::Create(fed_keys));
  IFED_ASSIGN_OR_RETURN(auto local_key, crypto::LoadLocalKey(c.local_key_file()));
  IFED_ASSIGN_OR_RETURN(n->sealer_, crypto::Sealer::Create(std::move(local_key)));
  IFED_ASSIGN_OR_RETURN(n->normalizer_, normalize::Normalizer::Create());

  std::error_code ec;
  std::filesystem::create_directories(c.data_dir(), ec);
  if (ec) return absl::UnavailableError(absl::StrCat(c.data_dir(), ": ", ec.message()));
  IFED_ASSIGN_OR_RETURN(n->store_, store::Store::Open({.path = c.data_dir() + "/db"}));

  IFED_ASSIGN_OR_RETURN(auto policy, policy::Policy::LoadDir(c.policy_dir()));
  spdlog::info("policy {} loaded: {} partner rules", policy->version(), policy->size());
  n->policy_ = std::make_unique<policy::PolicyHolder>(std::move(policy));

  n->matcher_ = std::make_unique<federation::Matcher>(federation::MatcherDeps{
      .node_id = c.node_id(),
      .contact = c.contact(),
      .store = n->store_.get(),
      .policy = n->policy_.get(),
      .keys = n->keys_.get(),
      .counters = &n->counters_,
      .now = Now});
  n->federation_service_ =
      std::make_unique<federation::FederationService>(c.federation(), n->matcher_.get());

  std::map<std::string, std::string> peers;
  for (const auto& p : c.peers()) peers[p.id()] = p.address();
  n->peers_ = std::make_unique<federation::PeerClients>(
      tls, c.federation(), std::move(peers), std::chrono::milliseconds(c.peer_timeout_ms()));
  n->admin_service_ = std::make_unique<admin::AdminService>(admin::AdminDeps{
      .node_id = c.node_id(),
      .jurisdiction = c.jurisdiction(),
      .unit = c.unit().empty() ? c.node_id() : c.unit(),
      .default_retention_days = c.default_retention_days(),
      .store = n->store_.get(),
      .normalizer = n->normalizer_.get(),
      .keys = n->keys_.get(),
      .sealer = n->sealer_.get(),
      .peers = n->peers_.get(),
      .counters = &n->counters_,
      .now = Now,
      .started = Now()});

  {
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort(c.listen(), federation::MakeServerCredentials(tls, c.federation()), &port);
    federation::ApplyServerLimits(b);
    b.RegisterService(n->federation_service_.get());
    n->federation_server_ = b.BuildAndStart();
    if (!n->federation_server_ || port == 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", c.listen(), " (address in use or invalid)"));
    }
  }
  {
    IFED_RETURN_IF_ERROR(PrepareSocketPath(c.admin_socket()));
    grpc::ServerBuilder b;
    b.AddListeningPort("unix:" + c.admin_socket(), grpc::InsecureServerCredentials());
    b.SetMaxReceiveMessageSize(federation::kMaxMessageBytes);
    b.RegisterService(n->admin_service_.get());
    n->admin_server_ = b.BuildAndStart();
    if (!n->admin_server_ || ::chmod(c.admin_socket().c_str(), 0660) != 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot serve the admin socket ", c.admin_socket()));
    }
  }
  spdlog::info("node {} ({}) serving federation on {} and admin on {}; key epoch {}",
               c.node_id(), c.jurisdiction(), c.listen(), c.admin_socket(),
               n->keys_->current_epoch());
  return n;
}

absl::Status Node::ReloadPolicy() {
  absl::Status s = policy_->Reload(config_.policy_dir());
  if (s.ok()) {
    spdlog::info("policy {} reloaded: {} partner rules", policy_->Get()->version(),
                 policy_->Get()->size());
  } else {
    spdlog::error("policy reload refused, keeping {}: {}", policy_->Get()->version(),
                  std::string(s.message()));
  }
  return s;
}

void Node::Shutdown() {
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(5);
  if (admin_server_) admin_server_->Shutdown(deadline);
  if (federation_server_) federation_server_->Shutdown(deadline);
  admin_server_.reset();
  federation_server_.reset();
  if (!config_.admin_socket().empty()) ::unlink(config_.admin_socket().c_str());
  store_.reset();
}

Node::~Node() { Shutdown(); }

}  // namespace ifed::daemon
