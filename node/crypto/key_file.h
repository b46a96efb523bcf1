// Key files. Both kinds are text, must be owned by the node's user and have
// no group or other permission bits (0600 or 0400), or loading fails.
//
//   federation key file: one line per epoch, "<epoch> <64 hex chars>";
//                        blank lines and '#' comments allowed. The highest
//                        epoch is current; all listed epochs are served.
//   local key file:      one line, 64 hex chars (AES-256 sealing key).
//
// Errors name the file and line, never key material.
#ifndef IFED_CRYPTO_KEY_FILE_H_
#define IFED_CRYPTO_KEY_FILE_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "node/crypto/secret.h"

namespace ifed::crypto {

// OK if `path` is a regular file without group/other permissions.
absl::Status CheckPrivateFile(const std::string& path);

// epoch -> 32-byte key; at least one epoch.
absl::StatusOr<std::map<uint32_t, SecretBytes>> LoadFederationKeys(
    const std::string& path);

absl::StatusOr<SecretBytes> LoadLocalKey(const std::string& path);

}  // namespace ifed::crypto

#endif  // IFED_CRYPTO_KEY_FILE_H_
