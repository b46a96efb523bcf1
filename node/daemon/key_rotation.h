// KeyRotation: the federation key epochs of a running node. At start,
// Reindex() re-pseudonymises records under the current epoch from their
// sealed values (resuming an interrupted run) and drops the index of epochs
// no longer in the key file. At run time (`ifedctl keys`), Handle() reports
// the state, rotates to a new key set (the re-index runs in a background
// thread while both epochs are served) or drops an old epoch. Every change
// is durable (key file replaced atomically, data-dir binding rewritten) and
// audited. Thread-safe.
#ifndef IFED_DAEMON_KEY_ROTATION_H_
#define IFED_DAEMON_KEY_ROTATION_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "node/audit/audit_log.h"
#include "node/crypto/keyed.h"
#include "node/crypto/sealer.h"
#include "node/store/store.h"
#include "proto/admin.pb.h"

namespace ifed::daemon {

struct KeyRotationDeps {
  std::string node_id;
  std::string federation;
  std::string key_file;                        // the configured federation_key_file.
  crypto::KeyedPseudonymizer* keys = nullptr;  // null on a hub: nothing to rotate.
  const crypto::Sealer* sealer = nullptr;
  store::Store* store = nullptr;
  audit::AuditLog* audit = nullptr;
};

class KeyRotation {
 public:
  explicit KeyRotation(KeyRotationDeps d) : d_(std::move(d)) {}
  ~KeyRotation() { Stop(); }
  KeyRotation(const KeyRotation&) = delete;
  KeyRotation& operator=(const KeyRotation&) = delete;

  // Re-indexes under the current epoch and drops epochs the key set no
  // longer holds. Cancelled when Stop() interrupts it (it resumes at the
  // next start).
  absl::Status Reindex();
  // `request.action`: "status" (or empty), "rotate" (epoch, key_file) or
  // "drop" (epoch). Fills `response` with the state after the action.
  // FailedPrecondition on a hub or while a rotation runs; InvalidArgument
  // for a key file that does not extend the set in force.
  absl::Status Handle(const ifed::v1::KeysRequest& request, const std::string& actor,
                      ifed::v1::KeysResponse* response);
  // A running re-index stops after its batch; waits for its thread.
  void Stop();

 private:
  absl::Status Rotate(const ifed::v1::KeysRequest& request, const std::string& actor);
  absl::Status Drop(uint32_t epoch, const std::string& actor);
  void Describe(ifed::v1::KeysResponse* response) const;
  void RecordBinding() const;

  const KeyRotationDeps d_;
  std::mutex mu_;  // guards the fields below the atomics.
  std::thread rotator_;
  bool rotating_ = false;
  uint32_t rotation_epoch_ = 0;
  std::string rotation_error_;
  std::atomic<uint64_t> rotated_{0};
  std::atomic<int64_t> rotation_ms_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace ifed::daemon

#endif  // IFED_DAEMON_KEY_ROTATION_H_
