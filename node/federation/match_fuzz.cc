// libFuzzer target: the federation Match handler on request bytes. The bytes
// are parsed as a MatchRequest (as gRPC would) and handed to a real Matcher
// over a real RocksDB store in a temporary directory, under a policy that
// allows the caller. Any input must give a status, never a crash, a hang or
// a sanitizer report; an OK answer never holds more results than items asked.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "node/common/counters.h"
#include "node/crypto/keyed.h"
#include "node/federation/matcher.h"
#include "node/policy/policy.h"
#include "node/store/store.h"

namespace {

struct World {
  std::unique_ptr<ifed::store::Store> store;
  std::unique_ptr<ifed::policy::PolicyHolder> policy;
  std::unique_ptr<ifed::crypto::KeyedPseudonymizer> keys;
  ifed::Counters counters;
  std::unique_ptr<ifed::federation::Matcher> matcher;
};

World* MakeWorld() {
  auto* w = new World;
  char tmpl[] = "/tmp/ifed-match-fuzz-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) std::abort();
  const std::string dir = tmpl;
  auto store = ifed::store::Store::Open({.path = dir + "/db", .block_cache_mb = 8});
  if (!store.ok()) std::abort();
  w->store = std::move(*store);
  auto policy = ifed::policy::Policy::LoadTexts(
      {{"fuzzer.yaml",
        "partners:\n  - partner: fuzzer\n    jurisdiction: DE\n"
        "    types: [phone, handle, url, email]\n    purposes: [migrant_smuggling]\n"
        "    disclosure: hit_with_reference\n    legal_basis: \"fuzzing\"\n"}});
  if (!policy.ok()) {
    std::fprintf(stderr, "match_fuzz: policy: %s\n", std::string(policy.status().message()).c_str());
    std::abort();
  }
  w->policy = std::make_unique<ifed::policy::PolicyHolder>(std::move(*policy));
  std::map<uint32_t, ifed::crypto::SecretBytes> k;
  const uint8_t key[32] = {1, 2, 3};
  k.emplace(1, ifed::crypto::SecretBytes(absl::MakeConstSpan(key, sizeof(key))));
  auto keys = ifed::crypto::KeyedPseudonymizer::Create(k);
  if (!keys.ok()) std::abort();
  w->keys = std::move(*keys);
  w->matcher = std::make_unique<ifed::federation::Matcher>(ifed::federation::MatcherDeps{
      .node_id = "de",
      .contact = "ops@de.example",
      .store = w->store.get(),
      .policy = w->policy.get(),
      .keys = w->keys.get(),
      .counters = &w->counters,
      .now = [] { return int64_t{1700000000}; }});
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* world = MakeWorld();
  ifed::v1::MatchRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;  // gRPC: INTERNAL.
  ifed::v1::MatchResponse response;
  absl::Status s = world->matcher->Match("fuzzer", request, &response);
  if (s.ok()) {
    size_t asked = 0;
    for (const auto& b : request.batches()) asked += b.pseudonyms().size() / 32;
    if (static_cast<size_t>(response.results_size()) > asked) __builtin_trap();
  }
  return 0;
}
