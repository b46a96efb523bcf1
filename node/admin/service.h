// AdminService: the local API for the agency's own staff, served on a unix
// socket (mode 0660). Raw values arrive here and stop here: the node
// normalises, pseudonymises and seals them; only pseudonyms go to peers.
#ifndef IFED_ADMIN_SERVICE_H_
#define IFED_ADMIN_SERVICE_H_

#include <functional>
#include <string>

#include "node/common/counters.h"
#include "node/crypto/keyed.h"
#include "node/crypto/sealer.h"
#include "node/federation/peer_client.h"
#include "node/normalize/normalizer.h"
#include "node/store/store.h"
#include "proto/admin.grpc.pb.h"

namespace ifed::admin {

struct AdminDeps {
  std::string node_id;
  std::string jurisdiction;
  std::string unit;
  uint32_t default_retention_days = 365;
  store::Store* store = nullptr;
  const normalize::Normalizer* normalizer = nullptr;
  const crypto::KeyedPseudonymizer* keys = nullptr;
  const crypto::Sealer* sealer = nullptr;
  federation::PeerClients* peers = nullptr;
  Counters* counters = nullptr;
  std::function<int64_t()> now;  // unix seconds.
  int64_t started = 0;
};

class AdminService final : public ifed::v1::Admin::Service {
 public:
  explicit AdminService(AdminDeps deps) : d_(std::move(deps)) {}

  grpc::Status Ingest(grpc::ServerContext* ctx,
                      grpc::ServerReader<ifed::v1::IngestChunk>* reader,
                      ifed::v1::IngestResponse* response) override;
  grpc::Status Normalize(grpc::ServerContext* ctx, const ifed::v1::NormalizeRequest* request,
                         ifed::v1::NormalizeResponse* response) override;
  grpc::Status Match(grpc::ServerContext* ctx, const ifed::v1::LocalMatchRequest* request,
                     ifed::v1::LocalMatchResponse* response) override;
  grpc::Status Stats(grpc::ServerContext* ctx, const ifed::v1::StatsRequest* request,
                     ifed::v1::StatsResponse* response) override;

 private:
  AdminDeps d_;
};

}  // namespace ifed::admin

#endif  // IFED_ADMIN_SERVICE_H_
