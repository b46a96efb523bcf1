// Data lifecycle on the admin API: erasure of listed values or of
// a case, the expiry sweep, backup. A removal and its audit event are one
// WriteBatch; events carry counts, never a value or a case reference.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "node/admin/service.h"
#include "node/admin/staff.h"
#include "node/common/logging.h"
#include "node/common/status_macros.h"

namespace ifed::admin {
namespace {

constexpr size_t kMaxEraseValues = 100'000;
constexpr size_t kSweepBatch = 50'000;
constexpr size_t kMaxCaseRecords = 5'000'000;

// Removes `ids` with an event `action` (fields: requested, removed, per type).
absl::StatusOr<store::Store::RemoveResult> RemoveAudited(
    store::Store* store, audit::AuditLog* audit, const std::vector<std::string>& ids,
    const store::Store::AliasFn& aliases, const std::string& action, const std::string& actor,
    std::vector<std::pair<std::string, int64_t>> fields) {
  auto make = [&](const store::Store::RemoveResult& r) {
    audit::Event e;
    e.action = action;
    e.actor = actor;
    e.outcome = "ok";
    for (auto& [k, v] : fields) e.Set(k, v);
    e.Set("removed", static_cast<int64_t>(r.removed));
    if (r.notices > 0) e.Set("watch_withdrawals", static_cast<int64_t>(r.notices));
    for (const auto& [type, n] : r.by_type) {
      e.Set(absl::StrCat("type_", TypeName(static_cast<IndicatorType>(type))),
            static_cast<int64_t>(n));
    }
    return e;
  };
  if (audit == nullptr) return store->Remove(ids, aliases, nullptr);
  absl::StatusOr<store::Store::RemoveResult> result;
  absl::Status s = audit->Write([&](const audit::AuditLog::EntriesFn& entries) {
    result = store->Remove(ids, aliases,
                           [&](const store::Store::RemoveResult& r)
                               -> absl::StatusOr<store::Store::AuditEntries> {
                             return entries(make(r));
                           });
    return result.status();
  });
  if (!s.ok()) return s;
  return result;
}

grpc::Status Internal(const char* what, const absl::Status& s) {
  spdlog::error("{}: {}", what, std::string(s.message()));
  // A damaged store says what to do (and names no value): the operator needs it.
  if (absl::IsDataLoss(s)) {
    return grpc::Status(grpc::StatusCode::DATA_LOSS,
                        absl::StrCat(what, " failed; nothing removed: ", s.message()));
  }
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, absl::StrCat(what, " failed; nothing removed"));
}

}  // namespace

store::Store::AliasFn EpochAliases(const store::Store* store,
                                   const crypto::KeyedPseudonymizer* keys,
                                   const crypto::Sealer* sealer) {
  return [=](const ifed::v1::Record& r, const std::string& sealed)
             -> absl::StatusOr<std::vector<std::pair<uint32_t, store::Pseudonym>>> {
    std::vector<std::pair<uint32_t, store::Pseudonym>> out;
    if (sealed.empty() || keys == nullptr || sealer == nullptr) return out;
    IFED_ASSIGN_OR_RETURN(std::vector<uint32_t> epochs, store->IndexedEpochs());
    std::string canonical;
    for (uint32_t epoch : epochs) {
      if (epoch == r.epoch() || !keys->HasEpoch(epoch)) continue;
      if (canonical.empty()) {
        IFED_ASSIGN_OR_RETURN(canonical, sealer->Open(sealed, r.record_id()));
      }
      IFED_ASSIGN_OR_RETURN(crypto::Pseudonym p,
                            keys->Pseudonymize(epoch, static_cast<IndicatorType>(r.type()),
                                               canonical));
      out.emplace_back(epoch, p);
    }
    return out;
  };
}

absl::StatusOr<uint64_t> SweepExpired(store::Store* store, audit::AuditLog* audit,
                                      const store::Store::AliasFn& aliases, int64_t now) {
  uint64_t total = 0;
  for (;;) {
    IFED_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                          store->FindRecords(
                              [now](const ifed::v1::Record& r) {
                                return r.expires() != 0 && r.expires() <= now;
                              },
                              kSweepBatch));
    if (ids.empty()) return total;
    IFED_ASSIGN_OR_RETURN(auto r, RemoveAudited(store, audit, ids, aliases, "expire", "node",
                                                {{"expired", static_cast<int64_t>(ids.size())}}));
    total += r.removed;
    if (ids.size() < kSweepBatch) return total;
  }
}

grpc::Status AdminService::Erase(grpc::ServerContext* ctx, const ifed::v1::EraseRequest* request,
                                 ifed::v1::EraseResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "Erase"); !denied.ok()) return denied;
  logging::RequestScope log_scope(logging::NewRequestId());
  if (d_.keys == nullptr) return NoFederationKey();
  const bool by_case = !request->case_ref().empty();
  if (by_case == (request->values_size() > 0)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "give either values (with a type) or a case reference");
  }
  if (request->values_size() > static_cast<int>(kMaxEraseValues)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "too many values");
  }
  if (request->case_ref().size() > 256) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "case reference too long (max 256)");
  }
  std::vector<std::string> ids;
  int64_t derived = 0;  // records of what an erased value named (same case).
  if (by_case) {
    auto found = d_.store->FindRecords(
        [&](const ifed::v1::Record& r) { return r.case_ref() == request->case_ref(); },
        kMaxCaseRecords);
    if (!found.ok()) return Internal("erase", found.status());
    ids = std::move(*found);
  } else {
    if (request->type() == ifed::v1::INDICATOR_TYPE_UNSPECIFIED) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "a type is required with values");
    }
    auto epochs = d_.store->IndexedEpochs();
    if (!epochs.ok()) return Internal("erase", epochs.status());
    normalize::Options options;
    options.default_region = request->region();
    // All or nothing: an invalid value refuses the whole request.
    for (int i = 0; i < request->values_size(); ++i) {
      const auto type = static_cast<IndicatorType>(request->type());
      auto canon = d_.normalizer->Normalize(type, request->values(i), options);
      if (!canon.ok()) {
        response->add_errors(absl::StrCat("value ", i + 1, ": ", canon.status().message()));
        continue;
      }
      size_t before = ids.size();
      auto records_of = [&](const normalize::Canonical& form) -> absl::StatusOr<std::vector<std::string>> {
        std::vector<std::string> out;
        for (uint32_t epoch : *epochs) {
          if (!d_.keys->HasEpoch(epoch)) continue;
          IFED_ASSIGN_OR_RETURN(crypto::Pseudonym p,
                                d_.keys->Pseudonymize(epoch, form.type, form.value));
          IFED_ASSIGN_OR_RETURN(std::vector<std::string> found,
                                d_.store->FindByPseudonym(epoch, static_cast<int>(form.type), p));
          out.insert(out.end(), found.begin(), found.end());
        }
        return out;
      };
      auto own = records_of(*canon);
      if (!own.ok()) return Internal("erase", own.status());
      ids.insert(ids.end(), own->begin(), own->end());
      if (ids.size() == before) {
        response->set_not_found(response->not_found() + 1);
        continue;
      }
      // What the value named (a t.me link's channel, a wa.me link's phone)
      // was stored with it, in the same case: it goes too. The same handle
      // ingested on its own in another case stays.
      std::set<std::string> cases;
      for (size_t k = before; k < ids.size(); ++k) {
        if (auto r = d_.store->GetRecord(ids[k]); r.ok()) cases.insert(r->case_ref());
      }
      for (const normalize::Canonical& form : canon->derived) {
        auto found = records_of(form);
        if (!found.ok()) return Internal("erase", found.status());
        for (const std::string& id : *found) {
          auto r = d_.store->GetRecord(id);
          if (r.ok() && cases.count(r->case_ref()) > 0) {
            ids.push_back(id);
            ++derived;
          }
        }
      }
    }
    if (response->errors_size() > 0) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat(response->errors_size(),
                                       " invalid value(s), nothing erased: ",
                                       response->errors(0)));
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  auto result = RemoveAudited(
      d_.store, d_.audit, ids, EpochAliases(d_.store, d_.keys, d_.sealer), "erase",
      LocalActor(ctx),
      {{by_case ? "case" : "values", by_case ? 1 : static_cast<int64_t>(request->values_size())},
       {"not_found", static_cast<int64_t>(response->not_found())},
       {"derived", derived}});
  if (!result.ok()) return Internal("erase", result.status());
  if (result->removed > 0 && d_.on_records_removed) d_.on_records_removed();
  response->set_erased(result->removed);
  spdlog::info("erase: {} records removed", result->removed);
  return grpc::Status::OK;
}

grpc::Status AdminService::Sweep(grpc::ServerContext* ctx, const ifed::v1::SweepRequest*,
                                 ifed::v1::SweepResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "Sweep"); !denied.ok()) return denied;
  logging::RequestScope log_scope(logging::NewRequestId());
  if (!d_.sweep) return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "this node runs no expiry sweep");
  auto n = d_.sweep();
  if (!n.ok()) return Internal("sweep", n.status());
  response->set_removed(*n);
  return grpc::Status::OK;
}

grpc::Status AdminService::Backup(grpc::ServerContext* ctx, const ifed::v1::BackupRequest* request,
                                  ifed::v1::BackupResponse* response) {
  if (grpc::Status denied = Authorize(ctx, "Backup"); !denied.ok()) return denied;
  logging::RequestScope log_scope(logging::NewRequestId());
  if (request->dir().empty() || request->dir()[0] != '/') {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "backup needs an absolute directory path");
  }
  auto id = d_.store->Backup(request->dir());
  if (d_.audit != nullptr) {
    audit::Event e;
    e.action = "backup";
    e.actor = LocalActor(ctx);
    e.outcome = id.ok() ? "ok" : "error";
    e.Set("dir", request->dir());
    if (id.ok()) e.Set("backup_id", static_cast<int64_t>(*id));
    if (!d_.audit->Append(e).ok()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "audit log unavailable");
    }
  }
  if (!id.ok()) {
    spdlog::error("backup to {} failed: {}", request->dir(), std::string(id.status().message()));
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("backup failed: ", id.status().message()));
  }
  response->set_backup_id(*id);
  response->set_dir(request->dir());
  return grpc::Status::OK;
}

}  // namespace ifed::admin
