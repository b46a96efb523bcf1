#include "node/federation/transport/peer_verifier.h"

#include <dirent.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"

namespace ifed::federation {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct CrlFree {
  void operator()(X509_CRL* c) const { X509_CRL_free(c); }
};
struct StoreFree {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct CtxFree {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
struct NamesFree {
  void operator()(GENERAL_NAMES* n) const { GENERAL_NAMES_free(n); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using CrlPtr = std::unique_ptr<X509_CRL, CrlFree>;

absl::Status Refused(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("peer certificate refused: ", why));
}

// All PEM certificates in `pem`; an error if none or if garbage follows.
absl::StatusOr<std::vector<X509Ptr>> ParseCerts(absl::string_view pem) {
  std::vector<X509Ptr> out;
  if (pem.empty()) return out;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return absl::ResourceExhaustedError("out of memory");
  ERR_clear_error();
  while (X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) out.emplace_back(x);
  const unsigned long err = ERR_peek_last_error();
  BIO_free(bio);
  ERR_clear_error();
  if (err != 0 && ERR_GET_REASON(err) != PEM_R_NO_START_LINE) {
    return absl::InvalidArgumentError("malformed PEM certificate");
  }
  return out;
}

// A chain blob: PEM text, or DER certificates back to back.
absl::StatusOr<std::vector<X509Ptr>> ParseBlob(absl::string_view blob) {
  // DER starts with a SEQUENCE tag; anything else is read as PEM.
  if (blob.empty() || static_cast<unsigned char>(blob[0]) != 0x30) return ParseCerts(blob);
  std::vector<X509Ptr> out;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(blob.data());
  const unsigned char* end = p + blob.size();
  while (p < end) {
    X509* x = d2i_X509(nullptr, &p, static_cast<long>(end - p));
    if (x == nullptr) {
      ERR_clear_error();
      return absl::InvalidArgumentError("malformed DER certificate");
    }
    out.emplace_back(x);
  }
  return out;
}

absl::StatusOr<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  std::ostringstream s;
  s << in.rdbuf();
  if (!in.good() && !in.eof()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return s.str();
}

// The CRLs in one PEM file: at least one, no trailing garbage.
absl::StatusOr<std::vector<CrlPtr>> ParseCrls(const std::string& path) {
  auto text = ReadAll(path);
  if (!text.ok()) return text.status();
  std::vector<CrlPtr> out;
  BIO* bio = BIO_new_mem_buf(text->data(), static_cast<int>(text->size()));
  if (bio == nullptr) return absl::ResourceExhaustedError("out of memory");
  ERR_clear_error();
  while (X509_CRL* c = PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr)) out.emplace_back(c);
  const unsigned long err = ERR_peek_last_error();
  BIO_free(bio);
  ERR_clear_error();
  if ((err != 0 && ERR_GET_REASON(err) != PEM_R_NO_START_LINE) || out.empty()) {
    return absl::DataLossError(absl::StrCat(path, ": not a readable PEM CRL"));
  }
  return out;
}

// "name size mtime inode;" for every regular, non-hidden file of `dir`,
// sorted; "-" when the directory cannot be read.
std::string DirFingerprint(const std::string& dir, std::vector<std::string>* files) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return "-";
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;  // ".", "..", and temporary files.
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  std::string fp;
  for (const auto& n : names) {
    const std::string path = dir + "/" + n;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    absl::StrAppend(&fp, n, " ", st.st_size, " ", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec,
                    " ", st.st_ino, " ", st.st_mode & 0777, ";");
    if (files != nullptr) files->push_back(path);
  }
  return fp;
}

std::string FileFingerprint(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return "-";
  return absl::StrCat(st.st_size, " ", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, " ",
                      st.st_ino);
}

// A CRL issued in the name of a trusted CA must be signed by it. A CRL of
// another issuer (an intermediate CA, which peers present in their chain)
// is kept: OpenSSL checks its signature against that intermediate while
// verifying a chain through it, and a chain whose CRL does not verify, or
// has none, is refused (X509_V_FLAG_CRL_CHECK_ALL).
absl::Status CheckCrlSignature(X509_CRL* crl, const std::vector<X509Ptr>& cas,
                               const std::string& path) {
  if (X509_CRL_get0_nextUpdate(crl) == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": CRL has no nextUpdate"));
  }
  bool named = false;
  for (const auto& ca : cas) {
    if (X509_NAME_cmp(X509_get_subject_name(ca.get()), X509_CRL_get_issuer(crl)) != 0) continue;
    named = true;
    EVP_PKEY* key = X509_get0_pubkey(ca.get());
    if (key != nullptr && X509_CRL_verify(crl, key) == 1) {
      ERR_clear_error();
      return absl::OkStatus();
    }
  }
  ERR_clear_error();
  if (!named) return absl::OkStatus();  // an intermediate's CRL: checked per chain.
  return absl::FailedPreconditionError(
      absl::StrCat(path, ": CRL is not signed by a trusted CA"));
}

size_t UriSanCount(X509* leaf) {
  int crit = 0;
  std::unique_ptr<GENERAL_NAMES, NamesFree> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(leaf, NID_subject_alt_name, &crit, nullptr)));
  if (!names) return 0;  // none, or the extension appears twice.
  size_t n = 0;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    if (sk_GENERAL_NAME_value(names.get(), i)->type == GEN_URI) ++n;
  }
  return n;
}

// The leaf's one URI SAN ("" when it has not exactly one).
std::string UriSan(X509* leaf) {
  int crit = 0;
  std::unique_ptr<GENERAL_NAMES, NamesFree> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(leaf, NID_subject_alt_name, &crit, nullptr)));
  if (!names) return "";
  std::string uri;
  int count = 0;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
    if (n->type != GEN_URI) continue;
    ++count;
    const ASN1_IA5STRING* v = n->d.uniformResourceIdentifier;
    uri.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v)),
               static_cast<size_t>(ASN1_STRING_length(v)));
  }
  return count == 1 ? uri : "";
}

absl::Status CheckLeafShape(X509* leaf) {
  if (X509_check_ca(leaf) != 0) return Refused("the leaf certificate is a CA");
  if ((X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) != 0 &&
      (X509_get_key_usage(leaf) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) != 0) {
    return Refused("the leaf certificate may sign certificates or CRLs");
  }
  if (UriSanCount(leaf) != 1) return Refused("the leaf must carry exactly one URI SAN");
  return absl::OkStatus();
}

// Same CA: same subject and same public key (a re-issued CA certificate
// with the same key still matches its pin).
bool SameCa(X509* a, X509* b) {
  if (X509_NAME_cmp(X509_get_subject_name(a), X509_get_subject_name(b)) != 0) return false;
  EVP_PKEY* ka = X509_get0_pubkey(a);
  EVP_PKEY* kb = X509_get0_pubkey(b);
  return ka != nullptr && kb != nullptr && EVP_PKEY_eq(ka, kb) == 1;
}

bool ValidPinNode(const std::string& id) {
  if (id.empty() || id.size() > 63) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0);
    if (!ok) return false;
  }
  return true;
}

// The node id in the leaf's single URI SAN if it is
// spiffe://<trust_domain>/node/<id>; "" otherwise.
std::string LeafNodeId(X509* leaf, const std::string& trust_domain) {
  int crit = 0;
  std::unique_ptr<GENERAL_NAMES, NamesFree> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(leaf, NID_subject_alt_name, &crit, nullptr)));
  if (!names) return "";
  std::string uri;
  int uris = 0;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
    if (n->type != GEN_URI) continue;
    ++uris;
    const ASN1_IA5STRING* u = n->d.uniformResourceIdentifier;
    uri.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(u)), ASN1_STRING_length(u));
  }
  const std::string prefix = absl::StrCat("spiffe://", trust_domain, "/node/");
  if (uris != 1 || uri.size() <= prefix.size() || uri.compare(0, prefix.size(), prefix) != 0) {
    return "";
  }
  return uri.substr(prefix.size());
}

}  // namespace

struct PeerChainVerifier::Trust {
  absl::Status status;  // not OK: refuse every chain with this reason.
  std::unique_ptr<X509_STORE, StoreFree> store;
  // Issuer pins: node id -> index into `issuers`. Empty: no pins.
  struct Issuer {
    std::string name;
    std::vector<X509Ptr> cas;
  };
  std::vector<Issuer> issuers;
  std::map<std::string, size_t> issuer_of;
};

absl::Status PeerChainVerifier::LoadIssuers(const std::vector<IssuerPin>& pins, Trust* trust) {
  for (const IssuerPin& pin : pins) {
    const std::string name = pin.name.empty() ? pin.ca_file : pin.name;
    auto pem = ReadAll(pin.ca_file);
    if (!pem.ok()) return absl::NotFoundError(absl::StrCat("issuer ", name, ": ", pem.status().message()));
    auto cas = ParseCerts(*pem);
    if (!cas.ok() || cas->empty()) {
      return absl::DataLossError(absl::StrCat("issuer ", name, ": ", pin.ca_file,
                                              " holds no readable PEM certificate"));
    }
    for (const auto& ca : *cas) {
      if (X509_check_ca(ca.get()) == 0) {
        return absl::FailedPreconditionError(
            absl::StrCat("issuer ", name, ": ", pin.ca_file, " holds a certificate that is not a CA"));
      }
    }
    if (pin.nodes.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("issuer ", name, " names no node"));
    }
    const size_t index = trust->issuers.size();
    for (const std::string& node : pin.nodes) {
      if (!ValidPinNode(node)) {
        return absl::InvalidArgumentError(
            absl::StrCat("issuer ", name, ": invalid node id '", node, "'"));
      }
      auto [it, fresh] = trust->issuer_of.emplace(node, index);
      if (!fresh) {
        return absl::InvalidArgumentError(absl::StrCat(
            "node ", node, " is pinned to two issuers (", trust->issuers[it->second].name,
            " and ", name, ")"));
      }
    }
    trust->issuers.push_back({name, std::move(*cas)});
  }
  return absl::OkStatus();
}

PeerChainVerifier::PeerChainVerifier(Options options) : options_(std::move(options)) {}
PeerChainVerifier::~PeerChainVerifier() = default;

std::shared_ptr<const PeerChainVerifier::Trust> PeerChainVerifier::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (trust_ != nullptr && now - checked_ < options_.refresh) return trust_;
  checked_ = now;
  std::vector<std::string> crl_files;
  std::string fp = FileFingerprint(options_.ca_file);
  if (!options_.crl_dir.empty()) {
    absl::StrAppend(&fp, "|", DirFingerprint(options_.crl_dir, &crl_files));
  }
  for (const IssuerPin& pin : options_.issuers) {
    absl::StrAppend(&fp, "|", FileFingerprint(pin.ca_file));
  }
  if (trust_ != nullptr && fp == fingerprint_) return trust_;
  fingerprint_ = fp;

  auto trust = std::make_shared<Trust>();
  auto build = [&]() -> absl::Status {
    auto pem = ReadAll(options_.ca_file);
    if (!pem.ok()) return pem.status();
    auto cas = ParseCerts(*pem);
    if (!cas.ok()) return absl::DataLossError(absl::StrCat(options_.ca_file, ": unreadable"));
    if (cas->empty()) return absl::DataLossError(absl::StrCat(options_.ca_file, ": no CA"));
    trust->store.reset(X509_STORE_new());
    if (!trust->store) return absl::ResourceExhaustedError("out of memory");
    for (const auto& ca : *cas) X509_STORE_add_cert(trust->store.get(), ca.get());
    IFED_RETURN_IF_ERROR(LoadIssuers(options_.issuers, trust.get()));
    if (options_.crl_dir.empty()) return absl::OkStatus();
    if (crl_files.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("CRL directory ", options_.crl_dir, " is missing or holds no CRL"));
    }
    for (const auto& path : crl_files) {
      auto crls = ParseCrls(path);
      if (!crls.ok()) return crls.status();
      for (auto& crl : *crls) {
        if (auto s = CheckCrlSignature(crl.get(), *cas, path); !s.ok()) return s;
        X509_STORE_add_crl(trust->store.get(), crl.get());
      }
    }
    X509_STORE_set_flags(trust->store.get(), X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    return absl::OkStatus();
  };
  trust->status = build();
  ERR_clear_error();
  if (trust->status.ok()) {
    spdlog::debug("peer trust loaded from {}{}{}", options_.ca_file,
                 options_.crl_dir.empty() ? "" : " with CRLs from ",
                 options_.crl_dir.empty() ? "" : options_.crl_dir);
  } else {
    trust->store.reset();
    spdlog::error("peer trust unusable, refusing every peer until fixed: {}",
                  std::string(trust->status.message()));
  }
  trust_ = std::move(trust);
  return trust_;
}

absl::Status PeerChainVerifier::Reload() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    trust_.reset();
  }
  return Current()->status;
}

absl::Status PeerChainVerifier::CheckNode(const std::string& node_id, absl::string_view leaf_pem,
                                          absl::string_view chain_pem) {
  auto leaf_list = ParseCerts(leaf_pem);
  if (!leaf_list.ok() || leaf_list->empty()) return Refused("no readable peer certificate");
  auto chain = ParseCerts(chain_pem);
  if (!chain.ok()) return Refused("unreadable peer chain");
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  if (!untrusted) return absl::ResourceExhaustedError("out of memory");
  X509* leaf = leaf_list->front().get();
  for (auto& c : *chain) {
    if (X509_cmp(c.get(), leaf) == 0) continue;
    if (!sk_X509_push(untrusted.get(), c.get())) return absl::ResourceExhaustedError("oom");
    c.release();
  }
  return CheckParsed(node_id, leaf, untrusted.get());
}

absl::Status PeerChainVerifier::CheckNodeChain(const std::string& node_id,
                                               absl::string_view blob) {
  auto certs = ParseBlob(blob);
  if (!certs.ok() || certs->empty()) return Refused("no readable certificate chain");
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  if (!untrusted) return absl::ResourceExhaustedError("out of memory");
  for (size_t i = 1; i < certs->size(); ++i) {
    if (!sk_X509_push(untrusted.get(), (*certs)[i].get())) {
      return absl::ResourceExhaustedError("oom");
    }
    (*certs)[i].release();
  }
  return CheckParsed(node_id, certs->front().get(), untrusted.get());
}

absl::Status PeerChainVerifier::CheckNodeFile(const std::string& node_id,
                                              const std::string& pem_file) {
  auto pem = ReadAll(pem_file);
  if (!pem.ok()) return pem.status();
  absl::Status s = CheckNodeChain(node_id, *pem);
  if (s.ok()) return s;
  return absl::FailedPreconditionError(
      absl::StrCat(pem_file, ": not usable as node ", node_id, ": ", s.message()));
}

absl::Status PeerChainVerifier::CheckParsed(const std::string& node_id, X509* leaf,
                                            STACK_OF(X509) * untrusted) {
  if (auto s = CheckLeafShape(leaf); !s.ok()) return s;
  if (!options_.trust_domain.empty() && LeafNodeId(leaf, options_.trust_domain) != node_id) {
    return Refused(absl::StrCat("the certificate does not name node ", node_id));
  }

  std::shared_ptr<const Trust> trust = Current();
  if (!trust->status.ok()) return Refused(trust->status.message());
  std::unique_ptr<X509_STORE_CTX, CtxFree> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), trust->store.get(), leaf, untrusted) != 1) {
    return absl::ResourceExhaustedError("cannot verify the peer chain");
  }
  const int ok = X509_verify_cert(ctx.get());
  const int err = X509_STORE_CTX_get_error(ctx.get());
  const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
  ERR_clear_error();
  if (ok != 1) {
    return Refused(absl::StrCat(X509_verify_cert_error_string(err), " (depth ", depth, ")"));
  }
  if (trust->issuers.empty()) return absl::OkStatus();  // one shared root: any CA.
  auto it = trust->issuer_of.find(node_id);
  if (it == trust->issuer_of.end()) {
    return Refused(absl::StrCat("no issuer is configured for node ", node_id));
  }
  const Trust::Issuer& issuer = trust->issuers[it->second];
  STACK_OF(X509)* verified = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 1; verified != nullptr && i < sk_X509_num(verified); ++i) {
    X509* ca = sk_X509_value(verified, i);
    for (const auto& pinned : issuer.cas) {
      if (SameCa(ca, pinned.get())) return absl::OkStatus();
    }
  }
  return Refused(absl::StrCat("node ", node_id, " must be issued by ", issuer.name,
                              "; this certificate comes from another CA"));
}

namespace {
std::mutex g_trust_mu;
std::shared_ptr<PeerChainVerifier> g_trust;  // guarded by g_trust_mu
}  // namespace

void InstallNodeTrust(std::shared_ptr<PeerChainVerifier> trust) {
  std::lock_guard<std::mutex> lock(g_trust_mu);
  g_trust = std::move(trust);
}

absl::Status VerifyNodeChain(const std::string& node_id, absl::string_view chain) {
  std::shared_ptr<PeerChainVerifier> trust;
  {
    std::lock_guard<std::mutex> lock(g_trust_mu);
    trust = g_trust;
  }
  if (trust == nullptr) return absl::FailedPreconditionError("no node trust installed");
  return trust->CheckNodeChain(node_id, chain);
}

absl::Status PeerChainVerifier::CheckNodeInDomain(absl::string_view chain_pem,
                                          absl::string_view trust_domain,
                                          absl::string_view node_id) {
  if (absl::Status s = CheckNodeChain(std::string(node_id), chain_pem); !s.ok()) return s;
  auto certs = ParseCerts(chain_pem);
  if (!certs.ok() || certs->empty()) return Refused("no readable certificate");
  const std::string expected = absl::StrCat("spiffe://", trust_domain, "/node/", node_id);
  const std::string uri = UriSan(certs->front().get());
  if (uri != expected) {
    return absl::PermissionDeniedError(
        absl::StrCat("certificate names ", uri.empty() ? "no node" : uri, ", not ", expected));
  }
  return absl::OkStatus();
}

}  // namespace ifed::federation
