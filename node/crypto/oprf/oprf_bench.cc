// Benchmarks: hash-to-curve, server BlindEvaluate per element (both modes,
// batch sizes 1 and 100), and a full client round (Blind + server
// BlindEvaluate + Finalize). Run with --benchmark_repetitions=N
// --benchmark_report_aggregates_only=true for medians.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "node/crypto/oprf/hash_to_curve.h"
#include "node/crypto/oprf/oprf.h"

namespace ifed::crypto::oprf {
namespace {

std::vector<std::string> Inputs(size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back("+4312345" + std::to_string(1000 + i));
  return out;
}

std::unique_ptr<OprfServer> Server(Mode mode) {
  return *OprfServer::Create(mode, *SecretScalar::Random());
}

void BM_HashToCurve(benchmark::State& state) {
  const std::string dst = "HashToGroup-OPRFV1-\x01-P256-SHA256";
  const std::string msg = "+431234567890";
  for (auto _ : state) {
    auto p = internal::HashToCurve(
        {reinterpret_cast<const uint8_t*>(msg.data()), msg.size()},
        {reinterpret_cast<const uint8_t*>(dst.data()), dst.size()});
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_HashToCurve);

// Server cost per element; items_per_second is evaluations per second.
void BM_BlindEvaluate(benchmark::State& state) {
  const Mode mode = static_cast<Mode>(state.range(0));
  const size_t batch = static_cast<size_t>(state.range(1));
  auto server = Server(mode);
  auto client = *OprfClient::Create(
      mode, mode == Mode::kVoprf ? std::optional<Element>(server->public_key())
                                 : std::nullopt);
  auto data = *client->Blind(Inputs(batch));
  for (auto _ : state) {
    auto eval = server->BlindEvaluate(data.blinded_elements());
    benchmark::DoNotOptimize(eval);
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_BlindEvaluate)
    ->ArgNames({"mode", "batch"})
    ->Args({0, 1})
    ->Args({0, 100})
    ->Args({1, 1})
    ->Args({1, 100});

// Client Blind + Finalize with the server's evaluation precomputed.
void BM_ClientBlindFinalize(benchmark::State& state) {
  const Mode mode = static_cast<Mode>(state.range(0));
  const size_t batch = static_cast<size_t>(state.range(1));
  auto server = Server(mode);
  auto client = *OprfClient::Create(
      mode, mode == Mode::kVoprf ? std::optional<Element>(server->public_key())
                                 : std::nullopt);
  const std::vector<std::string> inputs = Inputs(batch);
  for (auto _ : state) {
    auto data = *client->Blind(inputs);
    state.PauseTiming();
    auto eval = *server->BlindEvaluate(data.blinded_elements());
    state.ResumeTiming();
    auto out = client->Finalize(data, eval);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_ClientBlindFinalize)
    ->ArgNames({"mode", "batch"})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Args({1, 100});

// Full round: Blind, BlindEvaluate, Finalize, in one process.
void BM_FullRound(benchmark::State& state) {
  const Mode mode = static_cast<Mode>(state.range(0));
  const size_t batch = static_cast<size_t>(state.range(1));
  auto server = Server(mode);
  auto client = *OprfClient::Create(
      mode, mode == Mode::kVoprf ? std::optional<Element>(server->public_key())
                                 : std::nullopt);
  const std::vector<std::string> inputs = Inputs(batch);
  for (auto _ : state) {
    auto data = *client->Blind(inputs);
    auto eval = *server->BlindEvaluate(data.blinded_elements());
    auto out = client->Finalize(data, eval);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_FullRound)
    ->ArgNames({"mode", "batch"})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Args({1, 100});

}  // namespace
}  // namespace ifed::crypto::oprf

BENCHMARK_MAIN();
