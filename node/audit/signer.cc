#include "node/audit/signer.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace ifed::audit {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

absl::StatusOr<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool IsP256(EVP_PKEY* k) {
  if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC) return false;
  char name[64] = {0};
  size_t len = 0;
  return EVP_PKEY_get_group_name(k, name, sizeof name, &len) == 1 &&
         std::string(name) == "prime256v1";
}

std::string SpiffeOf(X509* x) {
  std::string out;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  if (sans == nullptr) return out;
  int uris = 0;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(sans, i);
    if (n->type != GEN_URI) continue;
    ++uris;
    const ASN1_IA5STRING* s = n->d.uniformResourceIdentifier;
    out.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), ASN1_STRING_length(s));
  }
  GENERAL_NAMES_free(sans);
  return uris == 1 ? out : "";
}

std::string Der(X509* x) {
  unsigned char* der = nullptr;
  const int n = i2d_X509(x, &der);
  if (n <= 0) return "";
  std::string out(reinterpret_cast<char*>(der), n);
  OPENSSL_free(der);
  return out;
}

std::string Pem(X509* x) {
  BIO* out = BIO_new(BIO_s_mem());
  if (out == nullptr) return "";
  PEM_write_bio_X509(out, x);
  char* data = nullptr;
  const long len = BIO_get_mem_data(out, &data);
  std::string pem(data, len);
  BIO_free(out);
  return pem;
}

X509Ptr ParseDer(absl::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

}  // namespace

void PkeyFree::operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }

std::string CertSha256Hex(absl::string_view der) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(der.data()), der.size(), md);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(md), sizeof md));
}

absl::StatusOr<std::unique_ptr<Signer>> Signer::Load(const std::string& key_pem_file,
                                                     const std::string& cert_pem_file) {
  auto key_pem = ReadAll(key_pem_file);
  if (!key_pem.ok()) return key_pem.status();
  BIO* bio = BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size()));
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  OPENSSL_cleanse(key_pem->data(), key_pem->size());
  std::unique_ptr<Signer> s(new Signer());
  s->key_.reset(k);
  if (k == nullptr || !IsP256(k)) {
    return absl::FailedPreconditionError(
        absl::StrCat(key_pem_file, ": not an EC P-256 private key (audit signing needs one)"));
  }
  auto cert = ReadAll(cert_pem_file);
  if (!cert.ok()) return cert.status();
  BIO* cb = BIO_new_mem_buf(cert->data(), static_cast<int>(cert->size()));
  std::vector<X509Ptr> chain;
  while (X509* c = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr)) chain.emplace_back(c);
  BIO_free(cb);
  ERR_clear_error();
  if (chain.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(cert_pem_file, ": no certificate"));
  }
  X509* x = chain.front().get();
  if (X509_check_private_key(x, k) != 1) {
    ERR_clear_error();
    return absl::FailedPreconditionError(
        absl::StrCat(cert_pem_file, ": certificate does not match ", key_pem_file));
  }
  s->cert_der_ = Der(x);
  if (s->cert_der_.empty()) return absl::InternalError("cannot encode certificate");
  s->cert_pem_ = Pem(x);
  s->chain_pem_ = s->cert_pem_;
  for (size_t i = 1; i < chain.size(); ++i) {
    s->intermediates_der_.push_back(Der(chain[i].get()));
    s->chain_pem_ += Pem(chain[i].get());
  }
  return s;
}

absl::StatusOr<std::string> Signer::Sign(absl::string_view message) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  bool ok = ctx != nullptr &&
            EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_.get()) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len,
                           reinterpret_cast<const unsigned char*>(message.data()),
                           message.size()) == 1;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                        reinterpret_cast<const unsigned char*>(message.data()),
                        message.size()) == 1;
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) return absl::InternalError("ECDSA signing failed");
  return sig;
}


absl::StatusOr<std::unique_ptr<Verifier>> Verifier::FromCertPem(absl::string_view pem) {
  BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509Ptr x(PEM_read_bio_X509(b, nullptr, nullptr, nullptr));
  BIO_free(b);
  if (!x) return absl::InvalidArgumentError("no PEM certificate");
  std::unique_ptr<Verifier> v(new Verifier());
  v->key_.reset(X509_get_pubkey(x.get()));
  if (!v->key_ || !IsP256(v->key_.get())) {
    return absl::InvalidArgumentError("certificate key is not EC P-256");
  }
  v->spiffe_ = SpiffeOf(x.get());
  v->cert_sha256_ = CertSha256Hex(Der(x.get()));
  return v;
}

absl::StatusOr<std::unique_ptr<Verifier>> Verifier::FromCertDer(absl::string_view der) {
  X509Ptr x = ParseDer(der);
  if (!x) return absl::InvalidArgumentError("bad DER certificate");
  std::unique_ptr<Verifier> v(new Verifier());
  v->key_.reset(X509_get_pubkey(x.get()));
  if (!v->key_ || !IsP256(v->key_.get())) {
    return absl::InvalidArgumentError("certificate key is not EC P-256");
  }
  v->spiffe_ = SpiffeOf(x.get());
  v->cert_sha256_ = CertSha256Hex(Der(x.get()));
  return v;
}

absl::Status Verifier::Verify(absl::string_view message, absl::string_view signature) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      ctx != nullptr &&
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key_.get()) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return absl::InvalidArgumentError("bad signature");
  return absl::OkStatus();
}

absl::Status VerifyCertChain(absl::string_view der,
                             const std::vector<std::string>& intermediates_der,
                             const std::string& ca_pem_file, const std::string& expected_spiffe) {
  X509Ptr x = ParseDer(der);
  if (!x) return absl::PermissionDeniedError("receipt certificate does not parse");
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  bool ok = untrusted != nullptr;
  for (const std::string& i : intermediates_der) {
    X509Ptr c = ParseDer(i);
    if (!c || !sk_X509_push(untrusted, c.get())) {
      ok = false;
      break;
    }
    c.release();
  }
  X509_STORE* store = X509_STORE_new();
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  ok = ok && store != nullptr && ctx != nullptr &&
       X509_STORE_load_file(store, ca_pem_file.c_str()) == 1 &&
       X509_STORE_CTX_init(ctx, store, x.get(), untrusted) == 1 && X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  sk_X509_pop_free(untrusted, X509_free);
  ERR_clear_error();
  if (!ok) return absl::PermissionDeniedError("receipt certificate not issued by the federation CA");
  if (SpiffeOf(x.get()) != expected_spiffe) {
    return absl::PermissionDeniedError("receipt signed by another node's certificate");
  }
  return absl::OkStatus();
}

}  // namespace ifed::audit
