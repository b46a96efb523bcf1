// libFuzzer target: administrator YAML. The first byte picks the loader
// (even: node config, odd: sharing policy); the rest is the file text. Any
// input must give a config, a policy or an error status, never a crash,
// hang or sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string>

#include "node/config/node_config.h"
#include "node/policy/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    auto c = ifed::ParseNodeConfig(text, "/nonexistent/fuzz/node.yaml");
    if (c.ok() && c->node_id().empty()) __builtin_trap();  // validated configs name the node.
  } else {
    (void)ifed::policy::Policy::LoadTexts({{"fuzz.yaml", text}});
  }
  return 0;
}
