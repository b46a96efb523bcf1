// Small helpers shared by the crypto tests.
#ifndef IFED_CRYPTO_TEST_UTIL_H_
#define IFED_CRYPTO_TEST_UTIL_H_

#include <string>
#include <vector>

namespace ifed::crypto::testing {

inline std::vector<uint8_t> Hex(const std::string& h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
  }
  return out;
}

}  // namespace ifed::crypto::testing

#endif  // IFED_CRYPTO_TEST_UTIL_H_
