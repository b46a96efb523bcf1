// Admin.Peers: each configured peer's gRPC health, checked over
// the same mutual TLS as a match, the last answered check, and the expiry
// of the certificate the peer presented.
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <future>
#include <map>
#include <mutex>

#include <grpcpp/impl/codegen/client_unary_call.h>
#include <grpcpp/support/byte_buffer.h>

#include "node/admin/service.h"
#include "node/admin/staff.h"
#include "node/common/version.h"
#include "node/normalize/normalizer.h"
#include "node/federation/tls.h"

namespace ifed::admin {
namespace {

// Unix seconds of the last SERVING answer per peer, since this process started.
std::mutex contact_mu;
std::map<std::string, int64_t>& LastContact() {
  static auto* m = new std::map<std::string, int64_t>;
  return *m;
}

int64_t CertNotAfter(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return 0;
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return 0;
  struct tm tm {};
  int64_t out = 0;
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) out = timegm(&tm);
  X509_free(cert);
  return out;
}

// grpc.health.v1.Health/Check with service "" (the whole server). The
// request is empty; the response's field 1 is the status enum.
ifed::v1::PeerStatus Check(const std::string& id, const std::string& address,
                           const federation::TlsFiles& tls, const std::string& trust_domain,
                           std::chrono::milliseconds timeout) {
  ifed::v1::PeerStatus st;
  st.set_id(id);
  st.set_address(address);
  auto channel = grpc::CreateChannel(address,
                                     federation::MakeChannelCredentials(tls, trust_domain, id));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  grpc::ByteBuffer request, response;
  {
    grpc::Slice empty;
    request = grpc::ByteBuffer(&empty, 1);
  }
  const auto start = std::chrono::steady_clock::now();
  grpc::internal::RpcMethod method("/grpc.health.v1.Health/Check",
                                   grpc::internal::RpcMethod::NORMAL_RPC);
  grpc::Status s = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      channel.get(), method, &ctx, request, &response);
  st.set_latency_ms(static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::steady_clock::now() - start)
                                              .count()));
  if (!s.ok()) {
    st.set_health(s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                          s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED
                      ? "UNREACHABLE"
                      : "UNKNOWN");
    st.set_error(s.error_message());
  } else {
    grpc::Slice slice;
    std::string bytes;
    if (response.DumpToSingleSlice(&slice).ok()) {
      bytes.assign(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
    // HealthCheckResponse: status = 1 (varint). SERVING = 1, NOT_SERVING = 2.
    int status = bytes.size() >= 2 && bytes[0] == 0x08 ? bytes[1] : 0;
    st.set_health(status == 1 ? "SERVING" : status == 2 ? "NOT_SERVING" : "UNKNOWN");
  }
  if (s.ok()) {
    const auto& md = ctx.GetServerInitialMetadata();
    if (auto it = md.find(version::kMetadataKey); it != md.end()) {
      version::PeerVersion v =
          version::ParseVersionMetadata(absl::string_view(it->second.data(), it->second.size()));
      st.set_release(v.release);
      st.set_commit(v.commit);
      st.set_canon_version(v.canon_version);
      st.set_wire_version(v.wire_version);
    }
  }
  if (auto auth = ctx.auth_context()) {
    for (const auto& v : auth->FindPropertyValues("x509_pem_cert")) {
      st.set_cert_not_after(CertNotAfter(std::string(v.data(), v.size())));
    }
  }
  return st;
}

}  // namespace

grpc::Status AdminService::Peers(grpc::ServerContext* ctx, const ifed::v1::PeersRequest* request,
                                 ifed::v1::PeersResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "Peers"); !denied.ok()) return denied;
  response->set_canon_version(normalize::kCanonicalVersion);
  if (request->list_only()) {
    for (const auto& [id, address] : d_.peers->peers()) {
      auto* st = response->add_peers();
      st->set_id(id);
      st->set_address(address);
    }
    return grpc::Status::OK;
  }
  if (!d_.tls_files) return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "no TLS configured");
  const federation::TlsFiles tls = d_.tls_files();
  std::vector<std::future<ifed::v1::PeerStatus>> checks;
  for (const auto& [id, address] : d_.peers->peers()) {
    checks.push_back(std::async(std::launch::async, [&, id = id, address = address] {
      return Check(id, address, tls, d_.federation, std::chrono::milliseconds(3000));
    }));
  }
  const int64_t now = d_.now();
  std::lock_guard<std::mutex> l(contact_mu);
  for (auto& f : checks) {
    ifed::v1::PeerStatus st = f.get();
    if (st.health() == "SERVING") LastContact()[st.id()] = now;
    auto it = LastContact().find(st.id());
    st.set_last_contact(it == LastContact().end() ? 0 : it->second);
    *response->add_peers() = std::move(st);
  }
  return grpc::Status::OK;
}

}  // namespace ifed::admin
