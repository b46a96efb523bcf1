// Standing queries over the admin socket: the caller is checked and the
// values normalised here; the watch manager (node/query/watch_manager.h)
// pseudonymises them, asks each partner to hold them (keyed scheme) or
// keeps their OPRF outputs (OPRF scheme), withdraws watches and lists what
// is held. Audited there: "watch.out" and "watch.remove" (ids, counts and
// types, never a value).
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "node/admin/service.h"
#include "node/admin/staff.h"
#include "node/common/ids.h"

namespace ifed::admin {
namespace {

constexpr int kMaxWatchValues = 10000;

grpc::Status Err(grpc::StatusCode code, std::string msg) { return grpc::Status(code, msg); }

}  // namespace

grpc::Status AdminService::Watches(grpc::ServerContext* ctx,
                                   const ifed::v1::WatchesRequest* request,
                                   ifed::v1::WatchesResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "Watches", request->action()); !denied.ok()) return denied;
  const std::string& action = request->action();
  if (action == "events") return ToGrpc(watches_->Events(request->since_ms(), response));
  if (action == "list") return ToGrpc(watches_->List(request->inbound(), response));
  // add / remove: the partners, or the configured hub.
  auto selected = WatchPeers(*request);
  if (!selected.ok()) return ToGrpc(selected.status());
  if (action == "remove") {
    if (!PrintableId(request->watch_id(), 64, IdSlash::kRefused)) {
      return Err(grpc::StatusCode::INVALID_ARGUMENT, "remove needs --id WATCH_ID");
    }
    return ToGrpc(watches_->Remove(LocalActor(ctx), *selected, request->watch_id(), response));
  }
  if (action != "add") {
    return Err(grpc::StatusCode::INVALID_ARGUMENT, "action is one of add, list, remove, events");
  }
  if (request->values_size() == 0 || request->values_size() > kMaxWatchValues) {
    return Err(grpc::StatusCode::INVALID_ARGUMENT,
               absl::StrCat("between 1 and ", kMaxWatchValues, " values per watch"));
  }
  if (request->until() != 0 && request->until() <= d_.now()) {
    return Err(grpc::StatusCode::INVALID_ARGUMENT, "--until is not in the future");
  }
  if (d_.keys == nullptr) return NoFederationKey();
  query::NewWatch w{.actor = LocalActor(ctx),
                    .purpose = request->purpose() == ifed::v1::PURPOSE_UNSPECIFIED
                                   ? ifed::v1::MIGRANT_SMUGGLING
                                   : request->purpose(),
                    .until = request->until(),
                    .forms = {},
                    .peers = std::move(*selected),
                    .jurisdictions = {request->jurisdictions().begin(),
                                      request->jurisdictions().end()}};
  // Normalise every value; one bad value refuses the watch. The value and
  // every form derived from it are watched (a wa.me link's phone, an
  // address's provider mailbox), as match asks them.
  normalize::Options options;
  options.default_region = request->region();
  for (int i = 0; i < request->values_size(); ++i) {
    auto c = d_.normalizer->Normalize(static_cast<IndicatorType>(request->type()),
                                      request->values(i), options);
    if (!c.ok()) {
      response->add_errors(absl::StrCat("value ", i + 1, ": ", c.status().message()));
      continue;
    }
    if (const std::string* warning = c->AnyWarning()) {
      response->add_errors(absl::StrCat("value ", i + 1, ": on the normalisation warning list: ",
                                        *warning));
      continue;
    }
    w.forms.emplace_back(static_cast<ifed::v1::IndicatorType>(c->type), c->value);
    for (const normalize::Canonical& d : c->derived) {
      w.forms.emplace_back(static_cast<ifed::v1::IndicatorType>(d.type), d.value);
    }
  }
  if (response->errors_size() > 0) {
    return Err(grpc::StatusCode::INVALID_ARGUMENT,
               absl::StrCat(response->errors_size(), " value(s) refused; nothing watched: ",
                            response->errors(0)));
  }
  return ToGrpc(watches_->Add(w, response));
}

absl::StatusOr<std::vector<std::string>> AdminService::WatchPeers(
    const ifed::v1::WatchesRequest& request) const {
  for (const std::string& j : request.jurisdictions()) {
    if (j.size() != 2 || !std::isupper(static_cast<unsigned char>(j[0])) ||
        !std::isupper(static_cast<unsigned char>(j[1]))) {
      return absl::InvalidArgumentError(
          "--jurisdiction takes an ISO 3166-1 alpha-2 code, e.g. AT");
    }
  }
  if (!request.hub()) {
    if (request.jurisdictions_size() > 0) {
      bool hubs_only = !request.all() && request.peers_size() > 0;
      for (const std::string& p : request.peers()) hubs_only = hubs_only && d_.peers->IsHub(p);
      if (!hubs_only) {
        return absl::InvalidArgumentError("--jurisdiction picks members of a hub: use it with --hub");
      }
    }
    auto selected = SelectPeers(request.all(), request.peers());
    if (!selected.ok()) return absl::InvalidArgumentError(selected.status().message());
    return selected;
  }
  if (request.all() || request.peers_size() > 0) {
    return absl::InvalidArgumentError("--hub goes without --peer and --all");
  }
  std::vector<std::string> hubs = d_.peers->Hubs();
  if (hubs.empty()) {
    return absl::FailedPreconditionError(
        "--hub: no hub configured (mark the hub's entry under peers: with `role: hub` in this "
        "node's config)");
  }
  return hubs;
}

}  // namespace ifed::admin
