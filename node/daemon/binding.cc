#include "node/daemon/binding.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"
#include "node/store/tables.h"
#include "proto/store.pb.h"

namespace ifed::daemon {
namespace {

constexpr const char* kKey = store::BindingTable::kKey;
constexpr char kLabel[] = "ifed/data-dir-binding/v1";

absl::StatusOr<std::string> Fingerprint(const crypto::KeyedPseudonymizer& keys, uint32_t epoch) {
  IFED_ASSIGN_OR_RETURN(crypto::Pseudonym p,
                        keys.Pseudonymize(epoch, IndicatorType::kUnspecified, kLabel));
  return std::string(p.begin(), p.begin() + 16);
}

absl::Status Refuse(const std::string& what) {
  return absl::FailedPreconditionError(absl::StrCat(
      "data dir refused: ", what,
      ". Use this node's own data dir and key files, or restore this node's backup "
      "into an empty data dir (ifed-node --config FILE --restore DIR)"));
}

}  // namespace

absl::Status CheckBinding(const store::Store& store, const BindingInputs& in) {
  auto value = store.GetMeta(kKey);
  if (absl::IsNotFound(value.status())) return absl::OkStatus();
  IFED_RETURN_IF_ERROR(value.status());
  ifed::v1::DataDirBinding b;
  if (!b.ParseFromString(*value)) return absl::DataLossError("data dir binding does not parse");
  if (b.node_id() != in.node_id) {
    return Refuse(absl::StrCat("it belongs to node '", b.node_id(), "', this is node '",
                               in.node_id, "'"));
  }
  if (b.federation() != in.federation) {
    return Refuse(absl::StrCat("it belongs to federation '", b.federation(), "', not '",
                               in.federation, "'"));
  }
  if (in.keys != nullptr && in.keys->current_epoch() < b.highest_epoch()) {
    return Refuse(absl::StrCat("it holds data of key epoch ", b.highest_epoch(),
                               " but the federation key file ends at epoch ",
                               in.keys->current_epoch()));
  }
  for (uint32_t epoch : in.keys != nullptr ? in.keys->epochs() : std::vector<uint32_t>{}) {
    auto it = b.epoch_fingerprints().find(epoch);
    if (it == b.epoch_fingerprints().end()) continue;  // a new epoch: rotation.
    IFED_ASSIGN_OR_RETURN(std::string fp, Fingerprint(*in.keys, epoch));
    if (fp != it->second) {
      return Refuse(absl::StrCat("the federation key of epoch ", epoch,
                                 " is not the key this data dir was made with"));
    }
  }
  if (!b.sealed_label().empty() && !in.sealer->Open(b.sealed_label(), kKey).ok()) {
    return Refuse("the local sealing key is not the key this data dir was made with");
  }
  return absl::OkStatus();
}

absl::Status WriteBinding(store::Store& store, const BindingInputs& in) {
  ifed::v1::DataDirBinding b;
  if (auto old = store.GetMeta(kKey); old.ok()) {
    if (!b.ParseFromString(*old)) return absl::DataLossError("data dir binding does not parse");
  } else if (!absl::IsNotFound(old.status())) {
    return old.status();
  }
  b.set_node_id(in.node_id);
  b.set_federation(in.federation);
  b.mutable_epoch_fingerprints()->clear();
  if (in.keys != nullptr) {
    for (uint32_t epoch : in.keys->epochs()) {
      IFED_ASSIGN_OR_RETURN(std::string fp, Fingerprint(*in.keys, epoch));
      (*b.mutable_epoch_fingerprints())[epoch] = fp;
    }
    b.set_highest_epoch(std::max(b.highest_epoch(), in.keys->current_epoch()));
  }
  if (b.sealed_label().empty()) {
    IFED_ASSIGN_OR_RETURN(std::string sealed, in.sealer->Seal(kLabel, kKey));
    b.set_sealed_label(sealed);
  }
  return store.PutMeta(kKey, b.SerializeAsString());
}

}  // namespace ifed::daemon
