// Test-only: a fake node's admin API, served in-process, that records what
// it was asked (requests and the staff metadata) and answers as told.
#ifndef IFED_CONSOLE_FAKE_ADMIN_TEST_UTIL_H_
#define IFED_CONSOLE_FAKE_ADMIN_TEST_UTIL_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>
#include <string>

#include "node/console/admin_client.h"
#include "proto/admin.grpc.pb.h"

namespace ifed::console {

class FakeAdmin final : public ifed::v1::Admin::Service {
 public:
  // What the last call carried.
  std::string staff, roles;
  int calls = 0;
  ifed::v1::LocalMatchRequest match_request;
  ifed::v1::LocalMatchResponse match_response;
  ifed::v1::FollowUpsRequest followups_request;
  ifed::v1::FollowUpsResponse followups_response;
  ifed::v1::WatchesRequest watches_request;
  ifed::v1::WatchesResponse watches_response;
  ifed::v1::RecordsShowRequest records_request;
  ifed::v1::RecordsShowResponse records_response;
  ifed::v1::PeersResponse peers_response;
  grpc::Status status = grpc::Status::OK;  // returned by every call.

  grpc::Status Match(grpc::ServerContext* ctx, const ifed::v1::LocalMatchRequest* req,
                     ifed::v1::LocalMatchResponse* resp) override {
    return Answer(ctx, *req, &match_request, match_response, resp);
  }
  grpc::Status FollowUps(grpc::ServerContext* ctx, const ifed::v1::FollowUpsRequest* req,
                         ifed::v1::FollowUpsResponse* resp) override {
    return Answer(ctx, *req, &followups_request, followups_response, resp);
  }
  grpc::Status Watches(grpc::ServerContext* ctx, const ifed::v1::WatchesRequest* req,
                       ifed::v1::WatchesResponse* resp) override {
    return Answer(ctx, *req, &watches_request, watches_response, resp);
  }
  grpc::Status RecordsShow(grpc::ServerContext* ctx, const ifed::v1::RecordsShowRequest* req,
                           ifed::v1::RecordsShowResponse* resp) override {
    return Answer(ctx, *req, &records_request, records_response, resp);
  }
  grpc::Status Peers(grpc::ServerContext* ctx, const ifed::v1::PeersRequest* req,
                     ifed::v1::PeersResponse* resp) override {
    ifed::v1::PeersRequest ignored;
    return Answer(ctx, *req, &ignored, peers_response, resp);
  }

 private:
  template <typename Req, typename Resp>
  grpc::Status Answer(grpc::ServerContext* ctx, const Req& req, Req* keep, const Resp& canned,
                      Resp* resp) {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls;
    auto get = [&](const char* key) {
      auto it = ctx->client_metadata().find(key);
      return it == ctx->client_metadata().end()
                 ? std::string()
                 : std::string(it->second.data(), it->second.size());
    };
    staff = get("x-ifed-staff");
    roles = get("x-ifed-staff-roles");
    *keep = req;
    if (!status.ok()) return status;
    *resp = canned;
    return grpc::Status::OK;
  }
  std::mutex mu_;
};

// The fake served in-process, and a client of it.
struct FakeNode {
  FakeAdmin admin;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<AdminClient> client;

  FakeNode() {
    grpc::ServerBuilder b;
    b.RegisterService(&admin);
    server = b.BuildAndStart();
    client = std::make_unique<AdminClient>(server->InProcessChannel(grpc::ChannelArguments()),
                                           10000);
  }
  ~FakeNode() { server->Shutdown(); }
};

}  // namespace ifed::console

#endif  // IFED_CONSOLE_FAKE_ADMIN_TEST_UTIL_H_
