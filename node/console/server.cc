#include "node/console/server.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ifed::console {
namespace {

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

// The certificates of a PEM bundle.
std::vector<X509Ptr> ReadCerts(const std::string& path) {
  std::vector<X509Ptr> out;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "r"), BIO_free);
  if (!bio) return out;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    out.emplace_back(x, X509_free);
  }
  ERR_clear_error();
  return out;
}

struct ClientCas {
  std::vector<X509Ptr> staff;
  std::vector<X509Ptr> proxy;
  std::string proxy_cn;
};

bool Contains(const std::vector<X509Ptr>& set, X509* cert) {
  for (const X509Ptr& c : set) {
    if (X509_cmp(c.get(), cert) == 0) return true;
  }
  return false;
}

std::string CommonName(X509* cert) {
  X509_NAME* name = X509_get_subject_name(cert);
  const int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (i < 0) return "";
  ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

// What the handshake verified about the client's certificate: its CN and
// the configured CA its verified chain ends in.
PeerCertificate PeerOf(const SSL* ssl, const ClientCas& cas) {
  PeerCertificate out;
  if (ssl == nullptr) return out;
  X509Ptr leaf(SSL_get1_peer_certificate(ssl), X509_free);
  if (!leaf || SSL_get_verify_result(ssl) != X509_V_OK) return out;
  STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl);
  if (chain == nullptr || sk_X509_num(chain) == 0) return out;
  out.present = true;
  out.subject_cn = CommonName(leaf.get());
  // Any CA of the chain may be the configured one (an intermediate).
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    X509* c = sk_X509_value(chain, i);
    if (i > 0 && Contains(cas.proxy, c) && out.subject_cn == cas.proxy_cn) {
      out.issuer = "proxy";
      return out;
    }
  }
  for (int i = 1; i < sk_X509_num(chain); ++i) {
    if (Contains(cas.staff, sk_X509_value(chain, i))) {
      out.issuer = "staff";
      return out;
    }
  }
  return out;
}

Request Convert(const httplib::Request& in, const ClientCas& cas) {
  Request r;
  r.method = in.method;
  r.path = in.path;
  for (const auto& [k, v] : in.params) r.query.emplace(k, v);
  for (const auto& [k, v] : in.headers) {
    // A repeated header is kept as its first value; the console reads no
    // header that may legitimately repeat.
    r.headers.emplace(absl::AsciiStrToLower(k), v);
  }
  r.body = in.body;
  r.remote = absl::StrCat(in.remote_addr, ":", in.remote_port);
  r.cert = PeerOf(in.ssl, cas);
  return r;
}

bool SetupContext(SSL_CTX& ctx, const ifed::v1::ConsoleConfig& c) {
  const auto& tls = c.tls();
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(&ctx, tls.cert().c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(&ctx, tls.key().c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(&ctx) != 1) {
    return false;
  }
  bool any_ca = false;
  for (const std::string& ca : {tls.staff_ca(), tls.proxy_ca()}) {
    if (ca.empty()) continue;
    if (SSL_CTX_load_verify_locations(&ctx, ca.c_str(), nullptr) != 1) return false;
    // The CAs the browser is told it may present a certificate of.
    for (const X509Ptr& cert : ReadCerts(ca)) {
      if (SSL_CTX_add_client_CA(&ctx, cert.get()) != 1) return false;
    }
    any_ca = true;
  }
  // Client certificates are asked for but optional: a browser without one
  // signs in with a password (when local accounts are on).
  SSL_CTX_set_verify(&ctx, any_ca ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  static const unsigned char kSessionContext[] = "ifed-console";
  SSL_CTX_set_session_id_context(&ctx, kSessionContext, sizeof kSessionContext - 1);
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpsServer>> HttpsServer::Start(
    const ifed::v1::ConsoleConfig& config, const Router* router) {
  std::unique_ptr<HttpsServer> s(new HttpsServer());
  s->server_ = std::make_unique<httplib::SSLServer>(
      [&config](SSL_CTX& ctx) { return SetupContext(ctx, config); });
  if (!s->server_->is_valid()) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot set up TLS with ", config.tls().cert(), " and ", config.tls().key(),
        " (and the client CAs, if any): unreadable, mismatched or not PEM"));
  }
  auto cas = std::make_shared<ClientCas>();
  if (!config.tls().staff_ca().empty()) cas->staff = ReadCerts(config.tls().staff_ca());
  if (!config.tls().proxy_ca().empty()) cas->proxy = ReadCerts(config.tls().proxy_ca());
  cas->proxy_cn = config.tls().proxy_cn();
  httplib::SSLServer& srv = *s->server_;
  srv.set_payload_max_length(config.max_body_bytes());
  srv.set_read_timeout(30, 0);
  srv.set_write_timeout(30, 0);
  srv.set_keep_alive_timeout(30);
  auto handle = [router, cas](const httplib::Request& in, httplib::Response& out) {
    Response r = router->Dispatch(Convert(in, *cas));
    out.status = r.status;
    for (const auto& [k, v] : r.headers) out.set_header(k, v);
    out.set_content(r.body, r.content_type);
  };
  // One catch-all per method: the router does the matching.
  srv.Get(".*", handle);
  srv.Post(".*", handle);
  srv.Put(".*", handle);
  srv.Patch(".*", handle);
  srv.Delete(".*", handle);
  const std::string& listen = config.listen();
  const size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(absl::StrCat("listen: not host:port: ", listen));
  }
  if (port == 0) {
    port = srv.bind_to_any_port(host);
    if (port <= 0) return absl::UnavailableError(absl::StrCat("cannot listen on ", listen));
  } else if (!srv.bind_to_port(host, port)) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", listen, " (address in use or invalid)"));
  }
  s->port_ = port;
  s->thread_ = std::thread([p = s.get()] { p->server_->listen_after_bind(); });
  return s;
}

HttpsServer::~HttpsServer() { Stop(); }

void HttpsServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace ifed::console
