// The formats both sides of the OPRF scheme agree on: the OPRF input of an
// item, the digest of a filter delta on the wire, an OPRF output as a filter
// key. The responder is in oprf_responder.h, the querier in oprf_querier.h.
//
// OPRF input of an item: TypeName(type) || 0x00 || canonical, as in the
// keyed scheme.
#ifndef IFED_FEDERATION_OPRF_FORMAT_H_
#define IFED_FEDERATION_OPRF_FORMAT_H_

#include <cstdint>
#include <string>

#include "node/common/indicator_type.h"
#include "node/crypto/filter/binary_fuse.h"

namespace ifed::federation {

// The OPRF input of a canonical value (see above).
std::string OprfInput(IndicatorType type, const std::string& canonical);
// The canonical value an OPRF input was made of (what follows the type).
std::string OprfCanonical(const std::string& input);

// SHA-256 over a delta as FilterChunk.digest defines it.
crypto::filter::Digest DeltaDigest(const std::string& log_id, uint64_t since_version,
                                   uint64_t version, const std::string& data);

// An OPRF output (its first 32 bytes) as a filter key.
crypto::filter::Key OutputKey(const std::string& s);

}  // namespace ifed::federation

#endif  // IFED_FEDERATION_OPRF_FORMAT_H_
