#include "node/federation/peer_verifier.h"

#include <dirent.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

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

}  // namespace

struct PeerChainVerifier::Trust {
  absl::Status status;  // not OK: refuse every chain with this reason.
  std::unique_ptr<X509_STORE, StoreFree> store;
};

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

absl::Status PeerChainVerifier::Check(absl::string_view leaf_pem, absl::string_view chain_pem) {
  auto leaf_list = ParseCerts(leaf_pem);
  if (!leaf_list.ok() || leaf_list->empty()) return Refused("no readable peer certificate");
  X509* leaf = leaf_list->front().get();
  if (auto s = CheckLeafShape(leaf); !s.ok()) return s;

  auto chain = ParseCerts(chain_pem);
  if (!chain.ok()) return Refused("unreadable peer chain");
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  if (!untrusted) return absl::ResourceExhaustedError("out of memory");
  for (auto& c : *chain) {
    if (X509_cmp(c.get(), leaf) == 0) continue;
    if (!sk_X509_push(untrusted.get(), c.get())) return absl::ResourceExhaustedError("oom");
    c.release();
  }

  std::shared_ptr<const Trust> trust = Current();
  if (!trust->status.ok()) return Refused(trust->status.message());
  std::unique_ptr<X509_STORE_CTX, CtxFree> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), trust->store.get(), leaf, untrusted.get()) != 1) {
    return absl::ResourceExhaustedError("cannot verify the peer chain");
  }
  const int ok = X509_verify_cert(ctx.get());
  const int err = X509_STORE_CTX_get_error(ctx.get());
  const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
  ERR_clear_error();
  if (ok != 1) {
    return Refused(absl::StrCat(X509_verify_cert_error_string(err), " (depth ", depth, ")"));
  }
  return absl::OkStatus();
}

absl::Status PeerChainVerifier::CheckNode(absl::string_view chain_pem,
                                          absl::string_view trust_domain,
                                          absl::string_view node_id) {
  if (absl::Status s = Check(chain_pem, chain_pem); !s.ok()) return s;
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
