#include "node/federation/transport/tls_reload.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "node/common/atomic_file.h"
#include "node/common/status_macros.h"

namespace ifed::federation {
namespace {

namespace fs = std::filesystem;

// A string whose bytes are wiped when it goes away (PEM private keys).
struct WipedString {
  std::string s;
  ~WipedString() {
    if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  }
};

// Reads a whole file straight into `out` (no stream buffers holding copies).
absl::Status ReadInto(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file under 1 MiB"));
  }
  out->assign(static_cast<size_t>(st.st_size), '\0');
  size_t off = 0;
  while (off < out->size()) {
    ssize_t n = ::read(fd, out->data() + off, out->size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  out->resize(off);
  return absl::OkStatus();
}

struct Bio {
  explicit Bio(const std::string& s) : b(BIO_new_mem_buf(s.data(), static_cast<int>(s.size()))) {}
  ~Bio() { BIO_free(b); }
  BIO* b;
};

absl::StatusOr<std::vector<X509*>> Certs(const std::string& pem, const std::string& path) {
  std::vector<X509*> out;
  Bio bio(pem);
  ERR_clear_error();
  while (X509* x = PEM_read_bio_X509(bio.b, nullptr, nullptr, nullptr)) out.push_back(x);
  const unsigned long err = ERR_peek_last_error();
  ERR_clear_error();
  if (out.empty() || (err != 0 && ERR_GET_REASON(err) != PEM_R_NO_START_LINE)) {
    for (X509* x : out) X509_free(x);
    return absl::DataLossError(absl::StrCat(path, ": not a complete PEM certificate list"));
  }
  return out;
}

void FreeAll(std::vector<X509*>& v) {
  for (X509* x : v) X509_free(x);
  v.clear();
}

std::string Fingerprint(const TlsFiles& f) {
  std::string fp;
  for (const std::string* p : {&f.ca_cert, &f.cert, &f.key}) {
    struct stat st;
    if (::stat(p->c_str(), &st) != 0) {
      fp += "-;";
      continue;
    }
    absl::StrAppend(&fp, st.st_size, " ", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, " ",
                    st.st_ino, ";");
  }
  return fp;
}

// Writes `data` to `path` with `mode` and the given mtime, fsynced.
// One copied file, durable before `current` may point at its generation.
absl::Status WriteFileAt(const std::string& path, const std::string& data, mode_t mode,
                         int64_t mtime) {
  return WriteFileAtomic(path, data, {.mode = mode, .mtime = mtime});
}

}  // namespace

absl::Status TlsReloader::Validate(const TlsFiles& files, const std::string& trust_domain,
                                   const std::string& node_id) {
  IFED_RETURN_IF_ERROR(CheckTlsFiles(files));
  std::string ca_pem, cert_pem;
  WipedString key_pem;
  IFED_RETURN_IF_ERROR(ReadInto(files.ca_cert, &ca_pem));
  IFED_RETURN_IF_ERROR(ReadInto(files.cert, &cert_pem));
  IFED_RETURN_IF_ERROR(ReadInto(files.key, &key_pem.s));
  IFED_ASSIGN_OR_RETURN(std::vector<X509*> cas, Certs(ca_pem, files.ca_cert));
  auto chain = Certs(cert_pem, files.cert);
  if (!chain.ok()) {
    FreeAll(cas);
    return chain.status();
  }
  absl::Status result = [&]() -> absl::Status {
    X509* leaf = chain->front();
    EVP_PKEY* key = nullptr;
    {
      Bio bio(key_pem.s);
      key = PEM_read_bio_PrivateKey(bio.b, nullptr, nullptr, nullptr);
    }
    if (key == nullptr) {
      return absl::DataLossError(absl::StrCat(files.key, ": not a complete PEM private key"));
    }
    const int match = X509_check_private_key(leaf, key);
    EVP_PKEY_free(key);
    if (match != 1) {
      return absl::FailedPreconditionError(
          absl::StrCat(files.key, " does not match the certificate in ", files.cert));
    }
    // The leaf must name this node.
    const std::string want = SpiffeId(trust_domain, node_id);
    bool named = false;
    int uris = 0;
    auto* names = static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
      if (n->type != GEN_URI) continue;
      ++uris;
      const ASN1_IA5STRING* u = n->d.uniformResourceIdentifier;
      named = std::string(reinterpret_cast<const char*>(u->data), u->length) == want;
    }
    GENERAL_NAMES_free(names);
    if (uris != 1 || !named) {
      return absl::FailedPreconditionError(
          absl::StrCat(files.cert, ": certificate is not exactly ", want));
    }
    // ...and verify against the CA bundle now (catches expiry and a CA swap
    // that would strand this node).
    X509_STORE* store = X509_STORE_new();
    STACK_OF(X509)* untrusted = sk_X509_new_null();
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    for (X509* ca : cas) X509_STORE_add_cert(store, ca);
    for (size_t i = 1; i < chain->size(); ++i) sk_X509_push(untrusted, (*chain)[i]);
    int ok = 0;
    if (store && untrusted && ctx && X509_STORE_CTX_init(ctx, store, leaf, untrusted) == 1) {
      ok = X509_verify_cert(ctx);
    }
    const int err = ctx ? X509_STORE_CTX_get_error(ctx) : 0;
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    X509_STORE_free(store);
    ERR_clear_error();
    if (ok != 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          files.cert, " does not verify against ", files.ca_cert, ": ",
          X509_verify_cert_error_string(err)));
    }
    return absl::OkStatus();
  }();
  FreeAll(cas);
  FreeAll(*chain);
  if (!result.ok() || files.issuers.empty()) return result;
  // With issuer pins, a renewal must come from this node's own issuer.
  PeerChainVerifier pins({.ca_file = files.ca_cert, .issuers = files.issuers,
                          .trust_domain = trust_domain});
  return pins.CheckNodeFile(node_id, files.cert);
}

TlsReloader::TlsReloader(TlsReloadOptions options) : options_(std::move(options)) {
  const std::string cur = options_.active_dir + "/current";
  active_ = TlsFiles{cur + "/ca.pem", cur + "/cert.pem", cur + "/key.pem",
                     options_.source.crl_dir, options_.source.issuers};
}

absl::StatusOr<std::unique_ptr<TlsReloader>> TlsReloader::Start(TlsReloadOptions options) {
  std::unique_ptr<TlsReloader> r(new TlsReloader(std::move(options)));
  std::error_code ec;
  const fs::path dir(r->options_.active_dir);
  fs::create_directories(dir, ec);
  if (ec || ::chmod(dir.c_str(), 0700) != 0) {
    return absl::UnavailableError(absl::StrCat(dir.string(), ": cannot create (", ec.message(), ")"));
  }
  // Only our own generations live here; start clean.
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("gen-", 0) == 0 || name.rfind("current", 0) == 0) fs::remove_all(e.path(), ec);
  }
  {
    std::lock_guard<std::mutex> lock(r->mu_);
    r->fingerprint_ = Fingerprint(r->options_.source);
    IFED_RETURN_IF_ERROR(
        Validate(r->options_.source, r->options_.trust_domain, r->options_.node_id));
    IFED_RETURN_IF_ERROR(r->Publish());
  }
  r->thread_ = std::thread([p = r.get()] { p->Loop(); });
  return r;
}

TlsReloader::~TlsReloader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// Copies the (validated) source into gen-N and swaps `current` to it.
// Caller holds mu_.
absl::Status TlsReloader::Publish(std::string* published) {
  const uint64_t gen = ++generation_;
  const std::string dir = absl::StrCat(options_.active_dir, "/gen-", gen);
  if (published != nullptr) *published = dir;
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (::mkdir(dir.c_str(), 0700) != 0) {
    return absl::UnavailableError(absl::StrCat(dir, ": cannot create"));
  }
  const int64_t mtime = std::max<int64_t>(std::time(nullptr), last_mtime_ + 1);
  last_mtime_ = mtime;
  std::string ca, cert;
  WipedString key;
  IFED_RETURN_IF_ERROR(ReadInto(options_.source.ca_cert, &ca));
  IFED_RETURN_IF_ERROR(ReadInto(options_.source.cert, &cert));
  IFED_RETURN_IF_ERROR(ReadInto(options_.source.key, &key.s));
  IFED_RETURN_IF_ERROR(WriteFileAt(dir + "/ca.pem", ca, 0644, mtime));
  IFED_RETURN_IF_ERROR(WriteFileAt(dir + "/cert.pem", cert, 0644, mtime));
  IFED_RETURN_IF_ERROR(WriteFileAt(dir + "/key.pem", key.s, 0600, mtime));
  // The files were read again after validation: validate the copy, so a
  // write between the two reads cannot slip through.
  IFED_RETURN_IF_ERROR(Validate(TlsFiles{dir + "/ca.pem", dir + "/cert.pem", dir + "/key.pem", ""},
                                options_.trust_domain, options_.node_id));
  const std::string link = options_.active_dir + "/current";
  const std::string tmp = link + ".tmp";
  ::unlink(tmp.c_str());
  if (::symlink(absl::StrCat("gen-", gen).c_str(), tmp.c_str()) != 0 ||
      !RenameDurably(tmp, link).ok()) {
    return absl::UnavailableError(absl::StrCat(link, ": cannot switch to generation ", gen));
  }
  // Keep the previous generation for a reader that is mid-read; drop older.
  if (gen >= 3) fs::remove_all(absl::StrCat(options_.active_dir, "/gen-", gen - 2), ec);
  spdlog::info("TLS credentials generation {} published from {}", gen, options_.source.cert);
  return absl::OkStatus();
}

absl::Status TlsReloader::ReloadNow() {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string fp = Fingerprint(options_.source);
  if (fp == fingerprint_) return absl::OkStatus();
  fingerprint_ = fp;  // a rejected set is reported once, not every interval.
  absl::Status s = Validate(options_.source, options_.trust_domain, options_.node_id);
  std::string dir;
  if (s.ok()) s = Publish(&dir);
  if (s.ok() && on_publish_) {
    on_publish_(TlsFiles{dir + "/ca.pem", dir + "/cert.pem", dir + "/key.pem",
                         options_.source.crl_dir, options_.source.issuers});
  }
  if (!s.ok()) {
    spdlog::warn("TLS reload refused, keeping generation {}: {}", generation_,
                 std::string(s.message()));
  }
  return s;
}

void TlsReloader::OnPublish(PublishFn fn) {
  std::lock_guard<std::mutex> lock(mu_);
  on_publish_ = std::move(fn);
}

void TlsReloader::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, options_.interval, [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    (void)ReloadNow();
    lock.lock();
  }
}

}  // namespace ifed::federation
