#include "node/federation/oprf_service.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"

namespace ifed::federation {
namespace oprf = crypto::oprf;
namespace filter = crypto::filter;
namespace {

constexpr size_t kMaxRequestId = 128;

bool PrintableId(const std::string& s) {
  if (s.size() > kMaxRequestId) return false;
  for (unsigned char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

bool ValidPeerId(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// Filter seed: fixed per partner, so an unchanged view gives the same bytes.
uint64_t FilterSeed(const std::string& peer) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (unsigned char c : peer) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// A scoped canonical value: wiped when it goes away.
struct Wiped {
  std::string s;
  ~Wiped() {
    if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  }
};

absl::Status WriteFileAtomic(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("open ", tmp, ": ", std::strerror(errno)));
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return absl::UnavailableError(absl::StrCat("write ", tmp, ": ", std::strerror(errno)));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return absl::UnavailableError(absl::StrCat("sync ", tmp, ": ", std::strerror(errno)));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("rename ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("no file ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string OprfInput(IndicatorType type, const std::string& canonical) {
  return absl::StrCat(TypeName(type), std::string(1, '\0'), canonical);
}

// --- Responder ---------------------------------------------------------------

absl::StatusOr<std::unique_ptr<OprfResponder>> OprfResponder::Create(crypto::SecretBytes seed,
                                                                     OprfResponderDeps deps) {
  if (seed.size() != 32) return absl::InvalidArgumentError("the OPRF seed must be 32 bytes");
  if (deps.store == nullptr || deps.sealer == nullptr || deps.policy == nullptr || !deps.now) {
    return absl::InvalidArgumentError("OprfResponder needs store, sealer, policy and clock");
  }
  if (deps.filter_bits < 1 || deps.filter_bits > 32) {
    return absl::InvalidArgumentError("filter_bits must be 1..32");
  }
  return std::unique_ptr<OprfResponder>(new OprfResponder(std::move(seed), std::move(deps)));
}

absl::StatusOr<const oprf::OprfServer*> OprfResponder::ServerFor(const std::string& peer) {
  std::lock_guard<std::mutex> l(keys_mu_);
  auto& server = servers_[peer];
  if (!server) {
    const auto* info = reinterpret_cast<const uint8_t*>(peer.data());
    auto key = oprf::DeriveKeyPair(oprf::Mode::kVoprf, seed_.span(),
                                   absl::MakeConstSpan(info, peer.size()));
    if (!key.ok()) {
      servers_.erase(peer);
      return key.status();
    }
    auto created = oprf::OprfServer::Create(oprf::Mode::kVoprf, std::move(*key));
    if (!created.ok()) {
      servers_.erase(peer);
      return created.status();
    }
    server = std::move(*created);
  }
  return server.get();
}

absl::StatusOr<const policy::EffectiveRule*> OprfResponder::Check(
    const std::string& peer, const policy::Policy& policy, const ifed::v1::Purpose* purpose,
    size_t items) const {
  const int64_t now = d_.now();
  if (purpose == nullptr) {  // no purpose (key, filter): a rule in force with scheme oprf.
    const policy::EffectiveRule* rule = policy.Find(peer, policy::Direction::kInbound, now);
    if (rule == nullptr) return absl::PermissionDeniedError("no sharing rule for this partner");
    if (rule->rule.scheme() != ifed::v1::OPRF) {
      return absl::PermissionDeniedError("the oprf scheme is not allowed for this partner");
    }
    return rule;
  }
  policy::Query q{.partner = peer,
                  .direction = policy::Direction::kInbound,
                  .purpose = *purpose,
                  .types = {},  // not sent: the filter holds the allowed types only
                  .scheme = ifed::v1::OPRF,
                  .items = items,
                  .now = now};
  policy::Decision d = policy.Decide(q);
  if (!d.status.ok()) {
    spdlog::info("policy {} denies oprf call from {}: {}", policy.version(), peer, d.reason);
    return d.status;
  }
  return d.rule;
}

absl::StatusOr<oprf::Element> OprfResponder::PublicKey(const std::string& peer) {
  std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  IFED_RETURN_IF_ERROR(Check(peer, *policy, nullptr, 0).status());
  IFED_ASSIGN_OR_RETURN(const oprf::OprfServer* server, ServerFor(peer));
  return server->public_key();
}

absl::Status OprfResponder::Evaluate(const std::string& peer,
                                     const ifed::v1::OprfEvaluateRequest& request,
                                     ifed::v1::OprfEvaluateResponse* response) {
  if (!PrintableId(request.request_id())) {
    return absl::InvalidArgumentError("request_id must be 1-128 printable ASCII characters");
  }
  const std::string& packed = request.blinded();
  if (packed.empty() || packed.size() % oprf::kElementSize != 0) {
    return absl::InvalidArgumentError("blinded must be packed 33-byte elements, at least one");
  }
  const size_t n = packed.size() / oprf::kElementSize;
  if (n > oprf::kMaxBatch) {
    return absl::InvalidArgumentError(absl::StrCat("at most ", oprf::kMaxBatch, " elements"));
  }
  std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  const ifed::v1::Purpose purpose = request.purpose();
  IFED_ASSIGN_OR_RETURN(const policy::EffectiveRule* rule, Check(peer, *policy, &purpose, n));
  if (d_.quotas != nullptr) {
    const ifed::v1::Quota& rq = rule->rule.quota();
    ifed::v1::Quota budget = rq;
    // The policy fills an unset quota with 0 (= unlimited): for OPRF an
    // unlimited partner could enumerate, so the node default applies.
    if (rq.items_per_second() == 0 && rq.items_per_day() == 0) {
      budget.set_items_per_second(d_.default_budget.per_second);
      budget.set_burst(d_.default_budget.per_second);
      budget.set_items_per_day(d_.default_budget.per_day);
    }
    IFED_RETURN_IF_ERROR(d_.quotas->Take(peer, budget, n, NowMs()));
  }
  std::vector<oprf::Element> blinded(n);
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(blinded[i].data(), packed.data() + i * oprf::kElementSize, oprf::kElementSize);
  }
  IFED_ASSIGN_OR_RETURN(const oprf::OprfServer* server, ServerFor(peer));
  IFED_ASSIGN_OR_RETURN(oprf::Evaluation eval, server->BlindEvaluate(blinded));
  response->set_request_id(request.request_id());
  std::string* out = response->mutable_evaluated();
  out->reserve(n * oprf::kElementSize);
  for (const auto& e : eval.elements) out->append(e.begin(), e.end());
  if (eval.proof) response->set_proof(std::string(eval.proof->begin(), eval.proof->end()));
  spdlog::info("oprf evaluate from {} request {} purpose {}: {} elements, policy {} ({})", peer,
               request.request_id(), ifed::v1::Purpose_Name(purpose), n,
               rule->source.ToString(), policy->version());
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<OprfResponder::View>> OprfResponder::Build(
    const std::string& peer, const policy::EffectiveRule& rule,
    const oprf::OprfServer& server) {
  auto view = std::make_shared<View>();
  std::vector<filter::Key> outputs;
  const int64_t now = d_.now();
  absl::Status failed;
  uint64_t skipped = 0;
  IFED_RETURN_IF_ERROR(d_.store->ScanRecordsWithSealed(
      [&](const ifed::v1::Record& rec, const std::string& sealed) {
        if (std::find(rule.rule.types().begin(), rule.rule.types().end(), rec.type()) ==
                rule.rule.types().end() ||
            !policy::Policy::RecordVisible(rule, peer, rec, now)) {
          return true;
        }
        if (sealed.empty()) {
          ++skipped;
          return true;
        }
        auto canonical = d_.sealer->Open(sealed, rec.record_id());
        if (!canonical.ok()) {
          failed = canonical.status();
          return false;
        }
        Wiped plain{std::move(*canonical)};
        Wiped input{OprfInput(static_cast<IndicatorType>(rec.type()), plain.s)};
        auto out = server.Evaluate(input.s);
        if (!out.ok()) {
          failed = out.status();
          return false;
        }
        outputs.push_back(*out);
        view->records[std::string(out->begin(), out->end())].push_back(rec.record_id());
        return true;
      }));
  if (!failed.ok()) {
    spdlog::error("oprf filter for {} not built: {}", peer, std::string(failed.message()));
    return absl::InternalError("filter build failed");
  }
  IFED_ASSIGN_OR_RETURN(
      filter::BinaryFuseFilter f,
      filter::BinaryFuseFilter::Build(
          outputs, {.fingerprint_bits = d_.filter_bits, .seed = FilterSeed(peer)}));
  auto snap = std::make_shared<FilterSnapshot>();
  snap->bytes = f.Serialize();
  snap->digest = f.digest();
  snap->items = f.size();
  snap->public_key = server.public_key();
  view->filter = std::move(snap);
  if (skipped > 0) spdlog::warn("oprf filter for {}: {} records without a sealed value", peer, skipped);
  return view;
}

absl::StatusOr<std::shared_ptr<const OprfResponder::View>> OprfResponder::ViewFor(
    const std::string& peer, const policy::Policy& policy, const policy::EffectiveRule& rule) {
  IFED_ASSIGN_OR_RETURN(auto counts, d_.store->CountByType());
  const uint64_t generation = generation_.load();
  const int64_t now = d_.now();
  std::lock_guard<std::mutex> l(views_mu_);
  auto it = views_.find(peer);
  if (it != views_.end()) {
    const View& v = *it->second;
    if (v.policy_version == policy.version() && v.counts == counts &&
        v.generation == generation && now - v.built_at < d_.filter_max_age_s) {
      return it->second;
    }
  }
  IFED_ASSIGN_OR_RETURN(const oprf::OprfServer* server, ServerFor(peer));
  IFED_ASSIGN_OR_RETURN(std::shared_ptr<View> view, Build(peer, rule, *server));
  view->policy_version = policy.version();
  view->counts = std::move(counts);
  view->generation = generation;
  view->built_at = now;
  // The snapshot's generation: strictly increasing per partner.
  const uint64_t previous = it == views_.end() ? 0 : it->second->filter->generation;
  auto snap = std::make_shared<FilterSnapshot>(*view->filter);
  snap->generation = previous + 1;
  view->filter = std::move(snap);
  spdlog::info("oprf filter for {} built: {} items, {} bytes, generation {}", peer,
               view->filter->items, view->filter->bytes.size(), view->filter->generation);
  views_[peer] = view;
  return std::shared_ptr<const View>(std::move(view));
}

absl::StatusOr<std::shared_ptr<const FilterSnapshot>> OprfResponder::Filter(
    const std::string& peer) {
  std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  IFED_ASSIGN_OR_RETURN(const policy::EffectiveRule* rule, Check(peer, *policy, nullptr, 0));
  IFED_ASSIGN_OR_RETURN(auto view, ViewFor(peer, *policy, *rule));
  return view->filter;
}

absl::Status OprfResponder::Resolve(const std::string& peer,
                                    const ifed::v1::ResolveRequest& request,
                                    ifed::v1::ResolveResponse* response) {
  if (!PrintableId(request.request_id())) {
    return absl::InvalidArgumentError("request_id must be 1-128 printable ASCII characters");
  }
  const std::string& packed = request.outputs();
  if (packed.empty() || packed.size() % oprf::kOutputSize != 0) {
    return absl::InvalidArgumentError("outputs must be packed 32-byte values, at least one");
  }
  const size_t n = packed.size() / oprf::kOutputSize;
  std::shared_ptr<const policy::Policy> policy = d_.policy->Get();
  const ifed::v1::Purpose purpose = request.purpose();
  IFED_ASSIGN_OR_RETURN(const policy::EffectiveRule* rule, Check(peer, *policy, &purpose, n));
  IFED_ASSIGN_OR_RETURN(auto view, ViewFor(peer, *policy, *rule));
  const ifed::v1::Disclosure disclosure = rule->rule.disclosure();
  response->set_request_id(request.request_id());
  response->set_responder(d_.node_id);
  response->set_disclosure(disclosure);
  uint64_t hits = 0;
  for (size_t i = 0; i < n; ++i) {
    auto* r = response->add_results();
    r->set_verdict(ifed::v1::NO_HIT);
    auto it = view->records.find(packed.substr(i * oprf::kOutputSize, oprf::kOutputSize));
    if (it == view->records.end()) continue;
    r->set_verdict(ifed::v1::HIT);
    ++hits;
    if (disclosure >= ifed::v1::HIT_WITH_REFERENCE) r->set_reference(it->second.front());
    if (disclosure >= ifed::v1::HIT_WITH_CONTACT) r->set_contact(d_.contact);
  }
  spdlog::info("oprf resolve from {} request {}: {} outputs, {} hits, disclosure {}", peer,
               request.request_id(), n, hits, ifed::v1::Disclosure_Name(disclosure));
  return absl::OkStatus();
}

// --- Querier -----------------------------------------------------------------

absl::StatusOr<std::unique_ptr<OprfQuerier>> OprfQuerier::Create(std::string dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::UnavailableError(absl::StrCat("mkdir ", dir, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<OprfQuerier>(new OprfQuerier(std::move(dir)));
}

std::string OprfQuerier::Path(const std::string& peer, const char* ext) const {
  return absl::StrCat(dir_, "/", peer, ext);
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

absl::Status OprfQuerier::StoreFilter(const std::string& peer, const std::string& bytes,
                                      const filter::Digest& digest,
                                      const oprf::Element& public_key) {
  IFED_ASSIGN_OR_RETURN(oprf::Element pinned, PinnedKey(peer));
  if (pinned != public_key) {
    return absl::PermissionDeniedError("filter made under a key other than the pinned one");
  }
  IFED_ASSIGN_OR_RETURN(filter::BinaryFuseFilter f, filter::BinaryFuseFilter::Deserialize(bytes));
  if (f.digest() != digest) return absl::DataLossError("filter digest does not match");
  std::lock_guard<std::mutex> l(mu_);
  IFED_RETURN_IF_ERROR(WriteFileAtomic(Path(peer, ".filter"), bytes));
  filters_[peer] = std::make_shared<const filter::BinaryFuseFilter>(std::move(f));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const filter::BinaryFuseFilter>> OprfQuerier::LoadFilter(
    const std::string& peer) {
  if (!ValidPeerId(peer)) return absl::InvalidArgumentError("bad peer id");
  std::lock_guard<std::mutex> l(mu_);
  auto it = filters_.find(peer);
  if (it != filters_.end()) return it->second;
  auto bytes = ReadFile(Path(peer, ".filter"));
  if (!bytes.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no OPRF filter of ", peer, " yet: run `ifedctl filters sync`"));
  }
  IFED_ASSIGN_OR_RETURN(filter::BinaryFuseFilter f, filter::BinaryFuseFilter::Deserialize(*bytes));
  auto shared = std::make_shared<const filter::BinaryFuseFilter>(std::move(f));
  filters_[peer] = shared;
  return shared;
}

absl::StatusOr<filter::Digest> OprfQuerier::FilterDigest(const std::string& peer) {
  auto f = LoadFilter(peer);
  if (!f.ok()) return absl::NotFoundError("no filter");
  return (*f)->digest();
}

absl::StatusOr<OprfQuerier::Answer> OprfQuerier::Query(const std::string& peer,
                                                       const std::vector<std::string>& inputs,
                                                       ifed::v1::OprfEvaluateRequest request,
                                                       const EvaluateFn& evaluate) {
  if (inputs.empty()) return Answer{};
  auto key = PinnedKey(peer);
  if (!key.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no pinned OPRF key of ", peer, ": run `ifedctl filters sync`"));
  }
  IFED_ASSIGN_OR_RETURN(auto f, LoadFilter(peer));
  IFED_ASSIGN_OR_RETURN(auto client, oprf::OprfClient::Create(oprf::Mode::kVoprf, *key));
  IFED_ASSIGN_OR_RETURN(oprf::FinalizeData data, client->Blind(inputs));
  std::string* packed = request.mutable_blinded();
  packed->reserve(data.size() * oprf::kElementSize);
  for (const auto& e : data.blinded_elements()) packed->append(e.begin(), e.end());
  IFED_ASSIGN_OR_RETURN(ifed::v1::OprfEvaluateResponse resp, evaluate(request));
  if (resp.evaluated().size() != data.size() * oprf::kElementSize ||
      resp.proof().size() != oprf::kProofSize) {
    return absl::InvalidArgumentError("peer's OPRF answer has the wrong shape");
  }
  oprf::Evaluation eval;
  eval.elements.resize(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    std::memcpy(eval.elements[i].data(), resp.evaluated().data() + i * oprf::kElementSize,
                oprf::kElementSize);
  }
  oprf::Proof proof;
  std::memcpy(proof.data(), resp.proof().data(), proof.size());
  eval.proof = proof;
  auto outputs = client->Finalize(data, eval);
  if (!outputs.ok()) {
    spdlog::error("ALERT: OPRF answer of peer {} failed verification: {}", peer,
                  std::string(outputs.status().message()));
    return absl::InvalidArgumentError(
        absl::StrCat("OPRF answer of ", peer, " failed verification"));
  }
  Answer a;
  a.outputs = std::move(*outputs);
  a.hit.reserve(a.outputs.size());
  for (const auto& o : a.outputs) a.hit.push_back(f->Contains(o));
  return a;
}

absl::StatusOr<std::vector<bool>> OprfQuerier::Contains(const std::string& peer,
                                                        const std::string& packed) {
  if (packed.size() % oprf::kOutputSize != 0) {
    return absl::InvalidArgumentError("outputs are packed 32-byte values");
  }
  IFED_ASSIGN_OR_RETURN(auto f, LoadFilter(peer));
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
