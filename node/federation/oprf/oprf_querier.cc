#include "node/federation/oprf/oprf_querier.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "node/common/atomic_file.h"
#include "node/common/status_macros.h"
#include "node/federation/oprf/oprf_format.h"

namespace ifed::federation {
namespace oprf = crypto::oprf;
namespace filter = crypto::filter;
namespace {

bool ValidNodeId(absl::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// A partner as the querier names it: a node id, or "HUB/MEMBER" for a member
// asked through the hub.
bool ValidPeerId(const std::string& s) {
  const size_t slash = s.find('/');
  if (slash == std::string::npos) return ValidNodeId(s);
  const absl::string_view v(s);
  return ValidNodeId(v.substr(0, slash)) && ValidNodeId(v.substr(slash + 1));
}

// A peer's evaluated elements and proof for `n` blinded elements.
absl::StatusOr<oprf::Evaluation> ParseEvaluation(const std::string& evaluated,
                                                 const std::string& proof, size_t n) {
  if (evaluated.size() != n * oprf::kElementSize || proof.size() != oprf::kProofSize) {
    return absl::InvalidArgumentError("peer's OPRF answer has the wrong shape");
  }
  oprf::Evaluation eval;
  eval.elements.resize(n);
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(eval.elements[i].data(), evaluated.data() + i * oprf::kElementSize,
                oprf::kElementSize);
  }
  oprf::Proof p;
  std::memcpy(p.data(), proof.data(), p.size());
  eval.proof = p;
  return eval;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("no file ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<OprfQuerier>> OprfQuerier::Create(std::string dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::UnavailableError(absl::StrCat("mkdir ", dir, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<OprfQuerier>(new OprfQuerier(std::move(dir)));
}

std::string OprfQuerier::Path(const std::string& peer, const char* ext) const {
  std::string name = peer;  // "hub/at" -> "hub~at": '~' is in no node id.
  std::replace(name.begin(), name.end(), '/', '~');
  return absl::StrCat(dir_, "/", name, ext);
}

std::vector<std::string> OprfQuerier::RelayedPeers(const std::string& hub) const {
  std::vector<std::string> out;
  std::error_code ec;
  const std::string prefix = hub + "~";
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() <= prefix.size() + 4 || name.compare(0, prefix.size(), prefix) != 0 ||
        name.compare(name.size() - 4, 4, ".pub") != 0) {
      continue;
    }
    std::string peer = absl::StrCat(hub, "/", name.substr(prefix.size(),
                                                          name.size() - prefix.size() - 4));
    if (ValidPeerId(peer)) out.push_back(std::move(peer));
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<oprf::Element> OprfQuerier::PinnedKey(const std::string& peer) {
  if (!ValidPeerId(peer)) return absl::InvalidArgumentError("bad peer id");
  IFED_ASSIGN_OR_RETURN(std::string bytes, ReadFile(Path(peer, ".pub")));
  if (bytes.size() != oprf::kElementSize) {
    return absl::DataLossError(absl::StrCat("pinned key of ", peer, " is damaged"));
  }
  oprf::Element e;
  std::memcpy(e.data(), bytes.data(), e.size());
  return e;
}

absl::Status OprfQuerier::PinKey(const std::string& peer, const oprf::Element& key,
                                 bool* pinned_now) {
  std::lock_guard<std::mutex> l(mu_);
  *pinned_now = false;
  auto pinned = PinnedKey(peer);
  if (pinned.ok()) {
    if (CRYPTO_memcmp(pinned->data(), key.data(), key.size()) == 0) return absl::OkStatus();
    spdlog::error("ALERT: OPRF public key of peer {} changed; the pinned key is kept", peer);
    return absl::PermissionDeniedError(
        absl::StrCat("the OPRF public key of ", peer,
                     " differs from the pinned one (possible impersonation or unannounced "
                     "rotation)"));
  }
  if (!absl::IsNotFound(pinned.status())) return pinned.status();
  IFED_RETURN_IF_ERROR(WriteFileAtomic(Path(peer, ".pub"), std::string(key.begin(), key.end())));
  *pinned_now = true;
  spdlog::info("pinned the OPRF public key of peer {}", peer);
  return absl::OkStatus();
}

absl::StatusOr<OprfQuerier::KeyChange> OprfQuerier::CheckKey(
    const std::string& peer, const oprf::Element& current,
    const std::optional<oprf::Element>& next, int64_t activation) {
  std::lock_guard<std::mutex> l(mu_);
  auto announce = [&]() -> absl::Status {
    if (!next) {
      if (::unlink(Path(peer, ".next").c_str()) != 0 && errno != ENOENT) {
        return absl::UnavailableError(absl::StrCat("unlink: ", std::strerror(errno)));
      }
      return absl::OkStatus();
    }
    std::string rec(next->begin(), next->end());
    for (int i = 0; i < 8; ++i) rec.push_back(static_cast<char>(uint64_t(activation) >> (56 - 8 * i)));
    return WriteFileAtomic(Path(peer, ".next"), rec);
  };
  auto pinned = PinnedKey(peer);
  if (!pinned.ok()) {
    if (!absl::IsNotFound(pinned.status())) return pinned.status();
    IFED_RETURN_IF_ERROR(WriteFileAtomic(Path(peer, ".pub"), std::string(current.begin(), current.end())));
    IFED_RETURN_IF_ERROR(announce());
    spdlog::info("pinned the OPRF public key of peer {}", peer);
    return KeyChange::kPinned;
  }
  if (CRYPTO_memcmp(pinned->data(), current.data(), current.size()) == 0) {
    IFED_RETURN_IF_ERROR(announce());
    return KeyChange::kSame;
  }
  auto ann = ReadFile(Path(peer, ".next"));
  if (ann.ok() && ann->size() == oprf::kElementSize + 8 &&
      CRYPTO_memcmp(ann->data(), current.data(), current.size()) == 0) {
    IFED_RETURN_IF_ERROR(WriteFileAtomic(Path(peer, ".pub"), std::string(current.begin(), current.end())));
    IFED_RETURN_IF_ERROR(announce());
    held_.erase(peer);
    for (const char* ext : {".filter", ".delta"}) ::unlink(Path(peer, ext).c_str());
    spdlog::warn("OPRF key of peer {} rotated as announced: new key pinned, filter dropped", peer);
    return KeyChange::kRotated;
  }
  spdlog::error("ALERT: OPRF public key of peer {} changed without announcement; the pinned key "
                "is kept and nothing under the new key is used",
                peer);
  return absl::PermissionDeniedError(
      absl::StrCat("the OPRF public key of ", peer,
                   " differs from the pinned one and was not announced (possible impersonation "
                   "or unannounced rotation); the pinned key is kept"));
}

bool OprfQuerier::RotationDue(const std::string& peer, int64_t now) {
  if (!ValidPeerId(peer)) return false;
  auto ann = ReadFile(Path(peer, ".next"));
  if (!ann.ok() || ann->size() != oprf::kElementSize + 8) return false;
  uint64_t at = 0;
  for (int i = 0; i < 8; ++i) {
    at = (at << 8) | static_cast<uint8_t>((*ann)[oprf::kElementSize + i]);
  }
  return now >= static_cast<int64_t>(at);
}

absl::Status OprfQuerier::SaveDeltas(const std::string& peer, const Held& held) {
  ifed::v1::OprfFilterDeltaState st;
  st.set_snapshot_digest(std::string(held.filter->digest().begin(), held.filter->digest().end()));
  st.set_log_id(held.log_id);
  st.set_version(held.version);
  st.set_snapshot_items(held.filter->size());
  if (held.current) st.set_current_digest(std::string(held.current->begin(), held.current->end()));
  for (const auto& k : held.added) st.mutable_added()->append(k.begin(), k.end());
  for (const auto& k : held.removed) st.mutable_removed()->append(k.begin(), k.end());
  return WriteFileAtomic(Path(peer, ".delta"), st.SerializeAsString());
}

absl::Status OprfQuerier::StoreFilter(const std::string& peer, const std::string& bytes,
                                      const filter::Digest& digest,
                                      const oprf::Element& public_key, const std::string& log_id,
                                      uint64_t version) {
  IFED_ASSIGN_OR_RETURN(oprf::Element pinned, PinnedKey(peer));
  if (pinned != public_key) {
    return absl::PermissionDeniedError("filter made under a key other than the pinned one");
  }
  IFED_ASSIGN_OR_RETURN(filter::BinaryFuseFilter f, filter::BinaryFuseFilter::Deserialize(bytes));
  if (f.digest() != digest) return absl::DataLossError("filter digest does not match");
  auto held = std::make_shared<Held>();
  held->filter = std::make_shared<const filter::BinaryFuseFilter>(std::move(f));
  held->log_id = log_id;
  held->version = version;
  std::lock_guard<std::mutex> l(mu_);
  // The snapshot first, then its (empty) delta state: a crash in between
  // leaves a delta file naming another snapshot, which LoadHeld ignores.
  IFED_RETURN_IF_ERROR(WriteFileAtomic(Path(peer, ".filter"), bytes));
  IFED_RETURN_IF_ERROR(SaveDeltas(peer, *held));
  held_[peer] = std::move(held);
  return absl::OkStatus();
}

absl::Status OprfQuerier::ApplyDelta(const std::string& peer, const std::string& log_id,
                                     uint64_t since_version, uint64_t version,
                                     const oprf::Element& public_key, const std::string& data,
                                     uint64_t added, uint64_t removed,
                                     const filter::Digest& digest,
                                     const std::string& filter_digest) {
  IFED_ASSIGN_OR_RETURN(oprf::Element pinned, PinnedKey(peer));
  if (pinned != public_key) {
    return absl::PermissionDeniedError("delta made under a key other than the pinned one");
  }
  constexpr size_t kOut = oprf::kOutputSize;
  if (added > data.size() / kOut || removed > data.size() / kOut ||
      (added + removed) * kOut != data.size()) {
    return absl::DataLossError("delta size does not match its counts");
  }
  if (DeltaDigest(log_id, since_version, version, data) != digest) {
    return absl::DataLossError("delta digest does not match");
  }
  if (version <= since_version) return absl::DataLossError("delta does not move forward");
  if (!filter_digest.empty() && filter_digest.size() != std::tuple_size_v<filter::Digest>) {
    return absl::DataLossError("filter digest of the delta is not 32 bytes");
  }
  IFED_ASSIGN_OR_RETURN(std::shared_ptr<const Held> cur, LoadHeld(peer));
  if (cur->log_id != log_id || cur->version != since_version) {
    return absl::FailedPreconditionError("delta does not start at the version held");
  }
  auto next = std::make_shared<Held>(*cur);
  for (uint64_t i = 0; i < added; ++i) {
    const filter::Key k = OutputKey(data.substr(i * kOut, kOut));
    if (next->removed.erase(k) == 0) next->added.insert(k);
  }
  for (uint64_t i = added; i < added + removed; ++i) {
    const filter::Key k = OutputKey(data.substr(i * kOut, kOut));
    if (next->added.erase(k) == 0) next->removed.insert(k);
  }
  next->version = version;
  next->current.reset();
  if (!filter_digest.empty()) {
    next->current.emplace();
    std::copy(filter_digest.begin(), filter_digest.end(), next->current->begin());
  }
  std::lock_guard<std::mutex> l(mu_);
  IFED_RETURN_IF_ERROR(SaveDeltas(peer, *next));
  held_[peer] = std::move(next);
  return absl::OkStatus();
}

OprfQuerier::Position OprfQuerier::SyncPosition(const std::string& peer) {
  Position p;
  auto held = LoadHeld(peer);
  if (!held.ok()) return p;
  p.digest = (*held)->filter->digest();
  const size_t changes = (*held)->added.size() + (*held)->removed.size();
  if (changes > std::max<uint64_t>(1024, (*held)->filter->size() / 8)) return p;
  p.log_id = (*held)->log_id;
  p.version = (*held)->version;
  return p;
}

absl::Status OprfQuerier::DropFilter(const std::string& peer) {
  if (!ValidPeerId(peer)) return absl::InvalidArgumentError("bad peer id");
  std::lock_guard<std::mutex> l(mu_);
  held_.erase(peer);
  for (const char* ext : {".filter", ".delta"}) {
    if (::unlink(Path(peer, ext).c_str()) != 0 && errno != ENOENT) {
      return absl::UnavailableError(absl::StrCat("unlink ", Path(peer, ext), ": ",
                                                 std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const OprfQuerier::Held>> OprfQuerier::LoadHeld(
    const std::string& peer) {
  if (!ValidPeerId(peer)) return absl::InvalidArgumentError("bad peer id");
  std::lock_guard<std::mutex> l(mu_);
  auto it = held_.find(peer);
  if (it != held_.end()) return it->second;
  auto bytes = ReadFile(Path(peer, ".filter"));
  if (!bytes.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no OPRF filter of ", peer, " yet: run `ifedctl filters sync`"));
  }
  IFED_ASSIGN_OR_RETURN(filter::BinaryFuseFilter f, filter::BinaryFuseFilter::Deserialize(*bytes));
  auto held = std::make_shared<Held>();
  held->filter = std::make_shared<const filter::BinaryFuseFilter>(std::move(f));
  // The deltas, when they belong to this snapshot (else: version 0, the
  // next sync fetches a snapshot).
  if (auto d = ReadFile(Path(peer, ".delta")); d.ok()) {
    ifed::v1::OprfFilterDeltaState st;
    const auto& dg = held->filter->digest();
    if (st.ParseFromString(*d) && st.snapshot_digest() == std::string(dg.begin(), dg.end()) &&
        st.added().size() % oprf::kOutputSize == 0 &&
        st.removed().size() % oprf::kOutputSize == 0) {
      held->log_id = st.log_id();
      held->version = st.version();
      if (st.current_digest().size() == std::tuple_size_v<filter::Digest>) {
        held->current.emplace();
        std::copy(st.current_digest().begin(), st.current_digest().end(),
                  held->current->begin());
      }
      for (size_t i = 0; i < st.added().size(); i += oprf::kOutputSize) {
        held->added.insert(OutputKey(st.added().substr(i, oprf::kOutputSize)));
      }
      for (size_t i = 0; i < st.removed().size(); i += oprf::kOutputSize) {
        held->removed.insert(OutputKey(st.removed().substr(i, oprf::kOutputSize)));
      }
    } else {
      spdlog::warn("OPRF filter deltas of {} do not belong to its snapshot: ignored", peer);
    }
  }
  std::shared_ptr<const Held> shared = std::move(held);
  held_[peer] = shared;
  return shared;
}

absl::StatusOr<filter::Digest> OprfQuerier::FilterDigest(const std::string& peer) {
  auto h = LoadHeld(peer);
  if (!h.ok()) return absl::NotFoundError("no filter");
  return (*h)->current ? *(*h)->current : (*h)->filter->digest();
}

absl::StatusOr<std::vector<oprf::Output>> OprfQuerier::QueryBatch(
    const std::string& peer, const oprf::Element& key, absl::Span<const std::string> inputs,
    ifed::v1::OprfEvaluateRequest request, const EvaluateFn& evaluate) {
  IFED_ASSIGN_OR_RETURN(auto client, oprf::OprfClient::Create(oprf::Mode::kVoprf, key));
  IFED_ASSIGN_OR_RETURN(oprf::FinalizeData data,
                        client->Blind(std::vector<std::string>(inputs.begin(), inputs.end())));
  std::string* packed = request.mutable_blinded();
  packed->clear();
  packed->reserve(data.size() * oprf::kElementSize);
  for (const auto& e : data.blinded_elements()) packed->append(e.begin(), e.end());
  // The key pinned here: after a rotation the responder answers under it
  // for its overlap, until this node syncs again (and pins the new one).
  request.set_public_key(std::string(key.begin(), key.end()));
  IFED_ASSIGN_OR_RETURN(ifed::v1::OprfEvaluateResponse resp, evaluate(request));
  IFED_ASSIGN_OR_RETURN(oprf::Evaluation eval,
                        ParseEvaluation(resp.evaluated(), resp.proof(), data.size()));
  auto outputs = client->Finalize(data, eval);
  if (!outputs.ok()) {
    spdlog::error("ALERT: OPRF answer of peer {} failed verification: {}", peer,
                  std::string(outputs.status().message()));
    return absl::InvalidArgumentError(
        absl::StrCat("OPRF answer of ", peer, " failed verification"));
  }
  return std::move(*outputs);
}

absl::StatusOr<OprfQuerier::Answer> OprfQuerier::Query(const std::string& peer,
                                                       const std::vector<std::string>& inputs,
                                                       ifed::v1::OprfEvaluateRequest request,
                                                       const EvaluateFn& evaluate,
                                                       size_t max_batch, size_t* batches) {
  if (batches != nullptr) *batches = 0;
  if (inputs.empty()) return Answer{};
  if (max_batch == 0 || max_batch > oprf::kMaxBatch) max_batch = oprf::kMaxBatch;
  auto key = PinnedKey(peer);
  if (!key.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no pinned OPRF key of ", peer, ": run `ifedctl filters sync`"));
  }
  IFED_ASSIGN_OR_RETURN(std::shared_ptr<const Held> f, LoadHeld(peer));
  Answer a;
  a.outputs.reserve(inputs.size());
  const absl::Span<const std::string> all(inputs);
  for (size_t off = 0; off < inputs.size(); off += max_batch) {
    IFED_ASSIGN_OR_RETURN(std::vector<oprf::Output> outputs,
                          QueryBatch(peer, *key, all.subspan(off, max_batch), request, evaluate));
    if (batches != nullptr) ++*batches;
    a.outputs.insert(a.outputs.end(), outputs.begin(), outputs.end());
  }
  a.hit.reserve(a.outputs.size());
  for (const auto& o : a.outputs) a.hit.push_back(f->Contains(o));
  return a;
}

std::vector<absl::StatusOr<OprfQuerier::Answer>> OprfQuerier::QueryMany(
    const std::vector<std::string>& peers, const std::vector<std::string>& members,
    const std::vector<std::string>& inputs, ifed::v1::OprfEvaluateRequest request,
    const EvaluateFn& evaluate, size_t max_batch, size_t* batches) {
  if (batches != nullptr) *batches = 0;
  std::vector<absl::StatusOr<Answer>> out(peers.size(), Answer{});
  if (inputs.empty() || peers.size() != members.size()) return out;
  if (max_batch == 0 || max_batch > oprf::kMaxBatch) max_batch = oprf::kMaxBatch;
  std::vector<std::unique_ptr<oprf::OprfClient>> clients(peers.size());
  std::vector<std::shared_ptr<const Held>> held(peers.size());
  int live = -1;  // a partner still in the query
  for (size_t i = 0; i < peers.size(); ++i) {
    auto key = PinnedKey(peers[i]);
    if (!key.ok()) {
      out[i] = absl::FailedPreconditionError(
          absl::StrCat("no pinned OPRF key of ", peers[i], ": run `ifedctl filters sync`"));
      continue;
    }
    auto h = LoadHeld(peers[i]);
    auto client = oprf::OprfClient::Create(oprf::Mode::kVoprf, *key);
    if (!h.ok() || !client.ok()) {
      out[i] = !h.ok() ? h.status() : client.status();
      continue;
    }
    held[i] = std::move(*h);
    clients[i] = std::move(*client);
    out[i]->outputs.reserve(inputs.size());
    live = static_cast<int>(i);
  }
  const absl::Span<const std::string> all(inputs);
  for (size_t off = 0; off < inputs.size() && live >= 0; off += max_batch) {
    const auto part = all.subspan(off, max_batch);
    // One blinding for everyone: the blinds do not depend on a key.
    auto data = clients[live]->Blind(std::vector<std::string>(part.begin(), part.end()));
    absl::StatusOr<ifed::v1::OprfEvaluateResponse> resp =
        data.ok() ? absl::UnknownError("not sent") : data.status();
    if (data.ok()) {
      std::string* packed = request.mutable_blinded();
      packed->clear();
      packed->reserve(data->size() * oprf::kElementSize);
      for (const auto& e : data->blinded_elements()) packed->append(e.begin(), e.end());
      resp = evaluate(request);
      if (batches != nullptr) ++*batches;
    }
    live = -1;
    for (size_t i = 0; i < peers.size(); ++i) {
      if (!out[i].ok()) continue;
      if (!resp.ok()) {
        out[i] = resp.status();
        continue;
      }
      const auto m = std::find_if(resp->members().begin(), resp->members().end(),
                                  [&](const auto& e) { return e.member() == members[i]; });
      if (m == resp->members().end()) {
        out[i] = absl::DataLossError(absl::StrCat("the hub sent no answer of ", members[i]));
        continue;
      }
      if (m->status() != ifed::v1::MEMBER_ANSWERED) {
        out[i] = absl::Status(static_cast<absl::StatusCode>(
                                  m->code() != 0 ? m->code() : int(absl::StatusCode::kUnknown)),
                              absl::StrCat(ifed::v1::MemberStatus_Name(m->status()), ": ",
                                           m->message()));
        continue;
      }
      auto eval = ParseEvaluation(m->evaluated(), m->proof(), data->size());
      absl::StatusOr<std::vector<oprf::Output>> outputs =
          eval.ok() ? clients[i]->Finalize(*data, *eval)
                    : absl::StatusOr<std::vector<oprf::Output>>(eval.status());
      if (!outputs.ok()) {
        spdlog::error("ALERT: OPRF answer of peer {} failed verification: {}", peers[i],
                      std::string(outputs.status().message()));
        out[i] = absl::InvalidArgumentError(
            absl::StrCat("OPRF answer of ", peers[i], " failed verification"));
        continue;
      }
      out[i]->outputs.insert(out[i]->outputs.end(), outputs->begin(), outputs->end());
      live = static_cast<int>(i);
    }
  }
  for (size_t i = 0; i < peers.size(); ++i) {
    if (!out[i].ok()) continue;
    out[i]->hit.reserve(out[i]->outputs.size());
    for (const auto& o : out[i]->outputs) out[i]->hit.push_back(held[i]->Contains(o));
  }
  return out;
}

absl::StatusOr<std::vector<bool>> OprfQuerier::Contains(const std::string& peer,
                                                        const std::string& packed) {
  if (packed.size() % oprf::kOutputSize != 0) {
    return absl::InvalidArgumentError("outputs are packed 32-byte values");
  }
  IFED_ASSIGN_OR_RETURN(std::shared_ptr<const Held> f, LoadHeld(peer));
  std::vector<bool> in;
  in.reserve(packed.size() / oprf::kOutputSize);
  for (size_t off = 0; off < packed.size(); off += oprf::kOutputSize) {
    oprf::Output o;
    std::memcpy(o.data(), packed.data() + off, o.size());
    in.push_back(f->Contains(o));
  }
  return in;
}

}  // namespace ifed::federation
