#include "node/daemon/key_rotation.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "node/common/atomic_file.h"
#include "node/common/indicator_type.h"
#include "node/common/status_macros.h"
#include "node/crypto/key_file.h"
#include "node/daemon/binding.h"

namespace ifed::daemon {
namespace {

// Replaces a key file durably (node/common/atomic_file.h), 0600.
absl::Status ReplaceFile(const std::string& path, const std::string& text) {
  if (absl::Status s = WriteFileAtomic(path, text, {.mode = 0600}); !s.ok()) {
    return absl::UnavailableError(
        absl::StrCat(path, ": cannot replace the key file (", s.message(), ")"));
  }
  return absl::OkStatus();
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The key set in `path` must extend `in_force` to `epoch`: its highest
// epoch, the current one kept for the overlap, and the same key for every
// epoch both hold (another one would silently break its pseudonyms).
absl::StatusOr<std::map<uint32_t, crypto::SecretBytes>> CheckNextKeySet(
    const crypto::KeyedPseudonymizer& in_force, const std::string& path, uint32_t epoch) {
  const uint32_t current = in_force.current_epoch();
  if (epoch <= current) {
    return absl::InvalidArgumentError(
        absl::StrCat("epoch ", epoch, " is not above the current epoch ", current));
  }
  auto keys = crypto::LoadFederationKeys(path);
  if (!keys.ok()) return absl::InvalidArgumentError(keys.status().message());
  if (keys->rbegin()->first != epoch) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": its highest epoch is ", keys->rbegin()->first, ", not ", epoch));
  }
  if (keys->count(current) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": must keep the current epoch ", current,
                                                   " for the overlap (drop it later with `keys "
                                                   "drop`)"));
  }
  auto probe = crypto::KeyedPseudonymizer::Create(*keys);
  if (!probe.ok()) return absl::InvalidArgumentError(probe.status().message());
  for (uint32_t e : in_force.epochs()) {
    if (!(*probe)->HasEpoch(e)) continue;
    if (in_force.Pseudonymize(e, IndicatorType::kUrl, "ifed:key-check").value() !=
        (*probe)->Pseudonymize(e, IndicatorType::kUrl, "ifed:key-check").value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": epoch ", e, " is another key than the one in force"));
    }
  }
  return std::move(*keys);
}

void AuditOrLog(audit::AuditLog* audit, const audit::Event& e, const char* what) {
  if (absl::Status a = audit->Append(e); !a.ok()) {
    spdlog::error("audit of {} failed: {}", what, std::string(a.message()));
  }
}

}  // namespace

absl::Status KeyRotation::Handle(const ifed::v1::KeysRequest& request, const std::string& actor,
                                 ifed::v1::KeysResponse* response) {
  std::lock_guard<std::mutex> l(mu_);
  if (d_.keys == nullptr) {
    return absl::FailedPreconditionError("this node is a hub: it holds no federation key");
  }
  const std::string& action = request.action();
  if (action == "rotate") {
    IFED_RETURN_IF_ERROR(Rotate(request, actor));
  } else if (action == "drop") {
    IFED_RETURN_IF_ERROR(Drop(request.epoch(), actor));
  } else if (action != "status" && !action.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown keys action '", action, "': status, rotate or drop"));
  }
  Describe(response);
  return absl::OkStatus();
}

void KeyRotation::RecordBinding() const {
  (void)WriteBinding(*d_.store, BindingInputs{.node_id = d_.node_id,
                                              .federation = d_.federation,
                                              .keys = d_.keys,
                                              .sealer = d_.sealer});
}

absl::Status KeyRotation::Rotate(const ifed::v1::KeysRequest& request, const std::string& actor) {
  if (rotator_.joinable()) {
    if (rotating_) return absl::FailedPreconditionError("a rotation is running");
    rotator_.join();
  }
  const uint32_t current = d_.keys->current_epoch();
  IFED_ASSIGN_OR_RETURN(auto keys, CheckNextKeySet(*d_.keys, request.key_file(), request.epoch()));
  // Durable first: a restart must come back with the new key set.
  if (request.key_file() != d_.key_file) {
    IFED_RETURN_IF_ERROR(ReplaceFile(d_.key_file, ReadText(request.key_file())));
  }
  if (absl::Status s = d_.keys->Replace(keys); !s.ok()) return absl::InternalError(s.message());
  RecordBinding();
  audit::Event e;
  e.action = "keys.rotate.start";
  e.actor = actor;
  e.outcome = "ok";
  e.Set("from_epoch", static_cast<int64_t>(current))
      .Set("epoch", static_cast<int64_t>(request.epoch()));
  AuditOrLog(d_.audit, e, "a key rotation");
  spdlog::info("key rotation to epoch {} started by {}", request.epoch(), actor);
  rotating_ = true;
  rotation_epoch_ = request.epoch();
  rotated_ = 0;
  rotation_error_.clear();
  rotator_ = std::thread([this] {
    absl::Status s = Reindex();  // re-pseudonymise; both epochs served meanwhile.
    std::lock_guard<std::mutex> l(mu_);
    if (absl::IsCancelled(s)) {
      spdlog::info(
          "key rotation paused for shutdown after {} records; it resumes at the next "
          "start",
          rotated_.load());
    } else if (!s.ok()) {
      rotation_error_ = std::string(s.message());
      spdlog::error("key rotation failed (resumes at the next start): {}", rotation_error_);
    }
    rotating_ = false;
  });
  return absl::OkStatus();
}

absl::Status KeyRotation::Drop(uint32_t epoch, const std::string& actor) {
  const uint32_t current = d_.keys->current_epoch();
  if (epoch == current) return absl::InvalidArgumentError("the current epoch cannot be dropped");
  if (!d_.keys->HasEpoch(epoch)) {
    return absl::NotFoundError(absl::StrCat("epoch ", epoch, " is not in the key set"));
  }
  if (rotating_) {
    return absl::FailedPreconditionError(
        "a rotation is running: drop the old epoch when it has finished");
  }
  // The key file without the epoch's line, checked before it replaces the old one.
  std::string kept;
  std::istringstream lines(ReadText(d_.key_file));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string first;
    fields >> first;
    if (first == std::to_string(epoch)) continue;
    kept += line + "\n";
  }
  const std::string tmp_check = d_.key_file + ".check";
  IFED_RETURN_IF_ERROR(ReplaceFile(tmp_check, kept));
  auto keys = crypto::LoadFederationKeys(tmp_check);
  ::unlink(tmp_check.c_str());
  if (!keys.ok() || keys->count(epoch) > 0 || keys->count(current) == 0) {
    return absl::FailedPreconditionError(
        "the key file does not have one line per epoch; edit it by hand");
  }
  IFED_RETURN_IF_ERROR(ReplaceFile(d_.key_file, kept));
  if (absl::Status s = d_.keys->Replace(*keys); !s.ok()) return absl::InternalError(s.message());
  auto dropped = d_.store->DropEpoch(epoch);
  RecordBinding();
  audit::Event e;
  e.action = "keys.drop_epoch";
  e.actor = actor;
  e.outcome = dropped.ok() ? "ok" : "error";
  e.Set("epoch", static_cast<int64_t>(epoch))
      .Set("index_entries", static_cast<int64_t>(dropped.ok() ? *dropped : 0));
  AuditOrLog(d_.audit, e, "an epoch drop");
  if (!dropped.ok()) return absl::UnavailableError(dropped.status().message());
  spdlog::info("key epoch {} dropped by {}: {} index entries", epoch, actor, *dropped);
  return absl::OkStatus();
}

void KeyRotation::Describe(ifed::v1::KeysResponse* response) const {
  response->set_current_epoch(d_.keys->current_epoch());
  for (uint32_t e : d_.keys->epochs()) response->add_epochs(e);
  if (auto indexed = d_.store->IndexedEpochs(); indexed.ok()) {
    for (uint32_t e : *indexed) response->add_indexed_epochs(e);
  }
  response->set_rotating(rotating_);
  response->set_rotation_epoch(rotation_epoch_);
  response->set_rotated(rotated_.load());
  response->set_last_error(rotation_error_);
  response->set_rotation_ms(rotation_ms_.load());
  if (auto counts = d_.store->CountByType(); counts.ok()) {
    uint64_t total = 0;
    for (const auto& [type, n] : *counts) total += n;
    response->set_records(total);
  }
}

absl::Status KeyRotation::Reindex() {
  if (d_.keys == nullptr) return absl::OkStatus();  // a hub: no keyed records.
  const uint32_t current = d_.keys->current_epoch();
  const auto start = std::chrono::steady_clock::now();
  auto derive = [this, current](const ifed::v1::Record& r,
                                const std::string& sealed) -> absl::StatusOr<store::Pseudonym> {
    IFED_ASSIGN_OR_RETURN(std::string canonical, d_.sealer->Open(sealed, r.record_id()));
    return d_.keys->Pseudonymize(current, static_cast<IndicatorType>(r.type()), canonical);
  };
  IFED_ASSIGN_OR_RETURN(uint64_t done,
                        d_.store->Reindex(current, derive, 10000, [this](uint64_t n) {
                          rotated_ = n;
                          if (n % 100000 == 0) {
                            spdlog::info("key rotation: {} records re-pseudonymised", n);
                          }
                          return !stopping_.load();  // a shutdown does not wait for the rest
                        }));
  const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count();
  if (done > 0) {
    rotation_ms_ = ms;
    spdlog::info("key rotation to epoch {}: {} records in {} ms", current, done, ms);
    audit::Event e;
    e.action = "keys.rotate";
    e.actor = "node";
    e.outcome = "ok";
    e.Set("epoch", static_cast<int64_t>(current))
        .Set("records", static_cast<int64_t>(done))
        .Set("ms", ms);
    IFED_RETURN_IF_ERROR(d_.audit->Append(e));
  }
  IFED_ASSIGN_OR_RETURN(std::vector<uint32_t> epochs, d_.store->IndexedEpochs());
  for (uint32_t epoch : epochs) {
    if (d_.keys->HasEpoch(epoch)) continue;
    IFED_ASSIGN_OR_RETURN(uint64_t dropped, d_.store->DropEpoch(epoch));
    spdlog::info("key epoch {} no longer in the key file: {} index entries dropped", epoch,
                 dropped);
    audit::Event e;
    e.action = "keys.drop_epoch";
    e.actor = "node";
    e.outcome = "ok";
    e.Set("epoch", static_cast<int64_t>(epoch)).Set("entries", static_cast<int64_t>(dropped));
    IFED_RETURN_IF_ERROR(d_.audit->Append(e));
  }
  return absl::OkStatus();
}

void KeyRotation::Stop() {
  stopping_ = true;  // a running rotation stops after its batch and resumes at the next start.
  if (rotator_.joinable()) rotator_.join();
}

}  // namespace ifed::daemon
