// The `next` value of a TAXII page: opaque to the client, and
// tamper-evident. It carries the position after the page's last object and
// an HMAC-SHA256 over that position and the request it continues (client,
// endpoint, collection, object, filters), so a token cannot be edited, moved
// to another collection or filter set, or used by another client: each of
// those is InvalidArgument. The key is random per process (a restart ends
// open paginations; the client starts again with added_after).
#ifndef IFED_TAXII_PAGE_TOKEN_H_
#define IFED_TAXII_PAGE_TOKEN_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "node/crypto/secret.h"
#include "node/taxii/feed.h"

namespace ifed::taxii {

class PageTokens {
 public:
  // A fresh random 256-bit key (OpenSSL RAND_bytes); Internal if the
  // random generator fails.
  static absl::StatusOr<std::unique_ptr<PageTokens>> Create();
  // A given key (tests), at least 32 bytes.
  static absl::StatusOr<std::unique_ptr<PageTokens>> WithKey(crypto::SecretBytes key);

  // `binding` names the request the page belongs to (see BindingOf).
  std::string Mint(const std::string& binding, const Cursor& after) const;
  // The cursor of a token minted for the same binding; InvalidArgument for
  // anything else (malformed, edited, another binding or key).
  absl::StatusOr<Cursor> Verify(const std::string& binding, const std::string& token) const;

 private:
  explicit PageTokens(crypto::SecretBytes key) : key_(std::move(key)) {}
  std::string Tag(const std::string& binding, const std::string& payload) const;
  crypto::SecretBytes key_;
};

// The binding of a paginated request: everything but limit and next.
std::string BindingOf(const std::string& client, const std::string& endpoint,
                      const std::string& collection_id, const std::string& object_id,
                      const Filter& filter);

}  // namespace ifed::taxii

#endif  // IFED_TAXII_PAGE_TOKEN_H_
