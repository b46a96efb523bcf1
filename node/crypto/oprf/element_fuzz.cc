// libFuzzer target: RFC 9497 DeserializeElement on arbitrary bytes. Anything
// accepted must be exactly 33 bytes with prefix 02/03 (never the point at
// infinity or an uncompressed/hybrid encoding) and re-serialise to itself.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "node/crypto/oprf/group.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto p = ifed::crypto::oprf::internal::DeserializeElement(absl::MakeConstSpan(data, size));
  if (!p.ok()) return 0;
  if (size != 33 || (data[0] != 0x02 && data[0] != 0x03)) __builtin_trap();
  auto back = ifed::crypto::oprf::internal::SerializeElement(p.value().get());
  if (!back.ok() || back->size() != size || std::memcmp(back->data(), data, size) != 0) {
    __builtin_trap();
  }
  return 0;
}
