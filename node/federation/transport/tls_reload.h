// TlsReloader: certificates, key and CA bundle reload from disk without a
// restart, and a bad set on disk never replaces a good one.
//
// gRPC 1.51's FileWatcherCertificateProvider re-reads its files every
// interval but does not parse them or check that the key matches the
// certificate: a half-written PEM or a key/cert pair from two different
// moments is handed to the TLS stack, and every later handshake fails. So
// gRPC never watches the administrator's files. TlsReloader validates them
// (readable, key 0600, PEMs parse, key matches the leaf, the leaf verifies
// against the CA bundle now and carries spiffe://<trust-domain>/node/<id>;
// with issuer pins, through the CA pinned for this node)
// and only then publishes a copy into a private directory that gRPC watches.
// Each published generation is a new directory and a `current` symlink swap;
// its files get a strictly increasing mtime, so the provider's
// mtime-before/after check retries a read that straddles a swap instead of
// pairing a new key with an old certificate. A rejected set is logged (why,
// never key bytes) once per change and the previous generation stays.
// Thread-safe.
#ifndef IFED_FEDERATION_TLS_RELOAD_H_
#define IFED_FEDERATION_TLS_RELOAD_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "node/federation/transport/tls.h"

namespace ifed::federation {

struct TlsReloadOptions {
  TlsFiles source;            // the configured files.
  std::string trust_domain;   // the leaf must be spiffe://<trust_domain>/node/<node_id>.
  std::string node_id;
  std::string active_dir;     // private (0700) directory owned by the reloader.
  std::chrono::milliseconds interval{10000};  // how often the source is checked.
};

class TlsReloader {
 public:
  // Validates and publishes the source once (an error if it is not valid:
  // the node does not start on bad credentials), then watches it.
  static absl::StatusOr<std::unique_ptr<TlsReloader>> Start(TlsReloadOptions options);
  ~TlsReloader();

  // The files to give gRPC: the published copy (crl_dir is the source's).
  const TlsFiles& active() const { return active_; }

  // Checks the source now; OK if it was published or unchanged.
  absl::Status ReloadNow();

  // `fn` runs after every later publish (a renewed certificate or key), on
  // the reloader's thread with the published copy, before the next check:
  // e.g. the audit log switching its signing key. Replaces any earlier fn.
  using PublishFn = std::function<void(const TlsFiles& published)>;
  void OnPublish(PublishFn fn);

  // Validation alone, for tests and `--check-config`.
  static absl::Status Validate(const TlsFiles& files, const std::string& trust_domain,
                               const std::string& node_id);

 private:
  explicit TlsReloader(TlsReloadOptions options);
  absl::Status Publish(std::string* dir = nullptr);
  void Loop();

  const TlsReloadOptions options_;
  TlsFiles active_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;          // guarded by mu_
  std::string fingerprint_;    // guarded by mu_: source files last seen
  uint64_t generation_ = 0;    // guarded by mu_
  int64_t last_mtime_ = 0;     // guarded by mu_
  PublishFn on_publish_;       // guarded by mu_
  std::thread thread_;
};

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_TLS_RELOAD_H_
