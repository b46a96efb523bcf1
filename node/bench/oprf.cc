// oprf: server BlindEvaluate (VOPRF, batched proof) per element against the
// bare OpenSSL P-256 decompress + multiply + compress loop, and the
// querier's Blind + Finalize, in process on one core.
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>

#include <iostream>
#include <stdexcept>

#include "node/bench/bench.h"
#include "node/crypto/oprf/oprf.h"

namespace ifed::bench {
namespace {

using namespace ifed::crypto::oprf;

std::vector<std::string> Inputs(size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back(std::string("phone") + '\0' + "+4366" + std::to_string(4000000 + i));
  return out;
}

// Items per second of `fn` (which handles `items` items per call), median of runs.
double Rate(const Options& o, size_t items, const std::function<void()>& fn) {
  LoadStats s = MedianOf(o.runs, [&] {
    return RunClosedLoop(1, o.seconds, items, [&](int) -> Worker {
      return [&](double*) -> std::string { fn(); return ""; };
    });
  });
  return s.items_per_s;
}

}  // namespace

void RunOprf(const Options& o, Report& report) {
  std::cerr << "oprf\n";
  const size_t batch = 1000;
  // Bare OpenSSL: decompress, constant-time multiply, compress.
  EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  BN_CTX* ctx = BN_CTX_new();
  BIGNUM* k = BN_new();
  BN_rand_range(k, EC_GROUP_get0_order(group));
  BN_set_flags(k, BN_FLG_CONSTTIME);
  std::vector<std::array<uint8_t, 33>> enc(batch);
  {
    EC_POINT* p = EC_POINT_new(group);
    BIGNUM* r = BN_new();
    for (auto& e : enc) {
      BN_rand_range(r, EC_GROUP_get0_order(group));
      EC_POINT_mul(group, p, r, nullptr, nullptr, ctx);
      EC_POINT_point2oct(group, p, POINT_CONVERSION_COMPRESSED, e.data(), 33, ctx);
    }
    BN_free(r);
    EC_POINT_free(p);
  }
  EC_POINT* in = EC_POINT_new(group);
  EC_POINT* out = EC_POINT_new(group);
  uint8_t buf[33];
  const double bare = Rate(o, batch, [&] {
    for (const auto& e : enc) {
      if (EC_POINT_oct2point(group, in, e.data(), 33, ctx) != 1 ||
          EC_POINT_mul(group, out, nullptr, in, k, ctx) != 1 ||
          EC_POINT_point2oct(group, out, POINT_CONVERSION_COMPRESSED, buf, 33, ctx) != 33) {
        throw std::runtime_error("openssl loop failed");
      }
    }
  });
  const double mul_only = Rate(o, batch, [&] {
    for (size_t i = 0; i < batch; ++i) EC_POINT_mul(group, out, nullptr, in, k, ctx);
  });
  EC_POINT_free(in);
  EC_POINT_free(out);
  BN_free(k);
  BN_CTX_free(ctx);
  EC_GROUP_free(group);
  report.Add({"oprf", "openssl-decomp-mul-comp", 0, static_cast<int>(batch), 1, bare, 0, 0, 0, "", "bare loop, 1 core"});
  report.Add({"oprf", "openssl-mul-only", 0, static_cast<int>(batch), 1, mul_only, 0, 0, 0, "", "EC_POINT_mul alone"});

  auto server = OprfServer::Create(Mode::kVoprf, *SecretScalar::Random());
  if (!server.ok()) throw std::runtime_error("oprf server");
  auto client = OprfClient::Create(Mode::kVoprf, (*server)->public_key());
  if (!client.ok()) throw std::runtime_error("oprf client");
  for (size_t b : {size_t{1}, batch}) {
    auto data = (*client)->Blind(Inputs(b));
    if (!data.ok()) throw std::runtime_error("blind");
    const double ev = Rate(o, b, [&] {
      auto e = (*server)->BlindEvaluate(data->blinded_elements());
      if (!e.ok()) throw std::runtime_error("evaluate");
    });
    Row row{"oprf", "server-blind-evaluate", 0, static_cast<int>(b), 1, ev, 0, 0, ev / bare,
            "openssl-decomp-mul-comp", "VOPRF with batched DLEQ proof, in process"};
    report.Add(row);
  }
  const auto inputs = Inputs(batch);
  auto data = (*client)->Blind(inputs);
  auto eval = (*server)->BlindEvaluate(data->blinded_elements());
  const double blind = Rate(o, batch, [&] {
    auto d = (*client)->Blind(inputs);
    if (!d.ok()) throw std::runtime_error("blind");
  });
  const double fin = Rate(o, batch, [&] {
    auto out = (*client)->Finalize(*data, *eval);
    if (!out.ok()) throw std::runtime_error("finalize");
  });
  report.Add({"oprf", "client-blind", 0, static_cast<int>(batch), 1, blind, 0, 0, 0, "", "hash-to-curve + blind"});
  report.Add({"oprf", "client-finalize", 0, static_cast<int>(batch), 1, fin, 0, 0, 0, "", "proof check + unblind + hash"});
  report.Add({"oprf", "client-blind+finalize", 0, static_cast<int>(batch), 1, 1.0 / (1.0 / blind + 1.0 / fin), 0, 0, 0, "", "derived from the two rows above"});
}

}  // namespace ifed::bench
