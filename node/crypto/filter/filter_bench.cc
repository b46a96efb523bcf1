// ifed-filter-bench: measures the binary fuse filter at the test settings
// (2^-12, 2^-16) and the production setting (32-bit fingerprints, 2^-32).
// Not a ctest test: it takes minutes and gigabytes at 10^7.
//
//   ifed-filter-bench [--items N[,N...]] [--probes N] [--bits B[,B...]]
//   defaults: --items 1000000,10000000 --probes 10000000 --bits 8,12,16,32
//
// Keys are uniformly random 32-byte strings (OPRF outputs are SHA-256
// digests); probes are drawn independently, so each is a non-member with
// probability 1 - N/2^256.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "node/crypto/filter/binary_fuse.h"

using ifed::crypto::filter::BinaryFuseFilter;
using ifed::crypto::filter::Key;

namespace {

uint64_t SplitMix(uint64_t* s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void Fill(Key* k, uint64_t* state) {
  for (size_t i = 0; i < k->size(); i += 8) {
    const uint64_t v = SplitMix(state);
    std::memcpy(k->data() + i, &v, 8);
  }
}

std::vector<uint64_t> ParseList(const char* s) {
  std::vector<uint64_t> out;
  for (const char* p = s; *p;) {
    char* end = nullptr;
    out.push_back(std::strtoull(p, &end, 10));
    p = *end == ',' ? end + 1 : end;
    if (end == p && *p) break;
  }
  return out;
}

double Seconds(std::chrono::steady_clock::time_point a) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<uint64_t> items = {1000000, 10000000};
  std::vector<uint64_t> bits = {8, 12, 16, 32};
  uint64_t probes = 10000000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--items")) items = ParseList(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--bits")) bits = ParseList(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--probes")) probes = std::strtoull(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: %s [--items N,..] [--probes N] [--bits B,..]\n", argv[0]);
      return 2;
    }
  }
  std::printf("%-10s %4s %10s %10s %9s %12s %10s %12s %12s %s\n", "items", "bits", "build_s",
              "bytes", "bits/item", "bound_bits", "probes", "false_pos", "expected",
              "measured_fpr");
  for (uint64_t n : items) {
    std::vector<Key> keys(n);
    uint64_t ks = 0x1234 + n;
    for (Key& k : keys) Fill(&k, &ks);
    for (uint64_t b : bits) {
      const auto t0 = std::chrono::steady_clock::now();
      auto f = BinaryFuseFilter::Build(keys, {.fingerprint_bits = static_cast<uint32_t>(b)});
      const double build = Seconds(t0);
      if (!f.ok()) {
        std::fprintf(stderr, "build failed: %s\n", std::string(f.status().message()).c_str());
        return 1;
      }
      for (size_t i = 0; i < keys.size(); i += keys.size() / 1000 + 1) {
        if (!f->Contains(keys[i])) {
          std::fprintf(stderr, "false negative!\n");
          return 1;
        }
      }
      uint64_t ps = 0xabcdef + n * 131 + b, fp = 0;
      Key k;
      const auto t1 = std::chrono::steady_clock::now();
      for (uint64_t i = 0; i < probes; ++i) {
        Fill(&k, &ps);
        fp += f->Contains(k);
      }
      const double probe_s = Seconds(t1);
      const double expected = probes * std::ldexp(1.0, -static_cast<int>(b));
      const double bpi = 8.0 * f->serialized_size() / n;
      std::printf("%-10llu %4llu %10.3f %10zu %9.2f %12.1f %10llu %12llu %12.4g %.4g"
                  "  (%.0f ns/lookup)\n",
                  (unsigned long long)n, (unsigned long long)b, build, f->serialized_size(),
                  bpi, 1.25 * b, (unsigned long long)probes, (unsigned long long)fp, expected,
                  double(fp) / probes, 1e9 * probe_s / probes);
      std::fflush(stdout);
    }
  }
  return 0;
}
