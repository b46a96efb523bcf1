#include "node/federation/transport/call_guard.h"

#include <openssl/rand.h>

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "node/common/clock.h"

namespace ifed::federation {
namespace {

bool ValidRequestId(absl::string_view id) {
  if (id.size() < 16 || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// The single value of `name`, or InvalidArgument; NotFound when absent.
absl::StatusOr<std::string> One(const std::multimap<grpc::string_ref, grpc::string_ref>& md,
                                const char* name) {
  auto [begin, end] = md.equal_range(name);
  if (begin == end) return absl::NotFoundError(name);
  if (std::next(begin) != end) {
    return absl::InvalidArgumentError(absl::StrCat("metadata ", name, " sent more than once"));
  }
  return std::string(begin->second.data(), begin->second.size());
}

}  // namespace

absl::StatusOr<CallStamp> ReadCallStamp(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  CallStamp stamp;
  auto id = One(metadata, kRequestIdHeader);
  if (!id.ok()) {
    if (absl::IsNotFound(id.status())) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata ", kRequestIdHeader, " is required (replay protection)"));
    }
    return id.status();
  }
  if (!ValidRequestId(*id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metadata ", kRequestIdHeader, " must be 16-128 characters of [A-Za-z0-9._:-]"));
  }
  stamp.request_id = std::move(*id);
  auto ts = One(metadata, kTimestampHeader);
  if (!ts.ok()) {
    if (absl::IsNotFound(ts.status())) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata ", kTimestampHeader, " is required (replay protection)"));
    }
    return ts.status();
  }
  if (ts->empty() || ts->size() > 15 || ts->find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(*ts, &stamp.timestamp_ms)) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata ", kTimestampHeader, " must be unix milliseconds"));
  }
  auto node = One(metadata, kNodeIdHeader);
  if (node.ok()) {
    if (node->empty()) {
      return absl::InvalidArgumentError(absl::StrCat("metadata ", kNodeIdHeader, " is empty"));
    }
    stamp.claimed_node = std::move(*node);
  } else if (!absl::IsNotFound(node.status())) {
    return node.status();
  }
  return stamp;
}

std::vector<std::pair<std::string, std::string>> NewStampHeaders(const std::string& node_id) {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof(raw)) != 1) std::abort();  // no randomness: nothing is safe.
  static const char* hex = "0123456789abcdef";
  std::string id;
  for (unsigned char b : raw) {
    id.push_back(hex[b >> 4]);
    id.push_back(hex[b & 15]);
  }
  std::vector<std::pair<std::string, std::string>> out = {
      {kRequestIdHeader, std::move(id)}, {kTimestampHeader, std::to_string(UnixMillisNow())}};
  if (!node_id.empty()) out.emplace_back(kNodeIdHeader, node_id);
  return out;
}

ReplayGuard::ReplayGuard(ReplayOptions options)
    : o_(std::move(options)), started_ms_(Now()) {}

int64_t ReplayGuard::Now() const { return o_.now_ms ? o_.now_ms() : UnixMillisNow(); }

absl::Status ReplayGuard::Admit(const std::string& peer, const CallStamp& stamp) {
  const int64_t now = Now();
  const int64_t window_ms = o_.window.count() * 1000;
  if (stamp.timestamp_ms < now - window_ms || stamp.timestamp_ms > now + window_ms) {
    return absl::FailedPreconditionError(absl::StrCat(
        "request timestamp is ", (stamp.timestamp_ms - now) / 1000,
        " s off this node's clock; at most ", o_.window.count(),
        " s are accepted (check the caller's clock)"));
  }
  // Ids seen before a restart are not remembered: refuse what was stamped
  // before this process started rather than persist every id.
  if (stamp.timestamp_ms < started_ms_) {
    return absl::FailedPreconditionError(
        "request stamped before this node started; send a new request");
  }
  std::lock_guard<std::mutex> l(mu_);
  PeerIds& ids = peers_[peer];
  while (!ids.by_expiry.empty() && ids.by_expiry.top().first < now) {
    ids.expiry.erase(ids.by_expiry.top().second);
    ids.by_expiry.pop();
  }
  const uint64_t id = absl::Hash<std::string>{}(stamp.request_id);
  if (ids.expiry.contains(id)) {
    return absl::AlreadyExistsError(
        "request id already used by this caller within the replay window (replayed request)");
  }
  if (ids.expiry.size() >= o_.max_ids_per_peer) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "more than ", o_.max_ids_per_peer, " requests within the replay window; slow down"));
  }
  // Replayable until its timestamp leaves the window.
  const int64_t forget_after = stamp.timestamp_ms + window_ms;
  ids.expiry.emplace(id, forget_after);
  ids.by_expiry.emplace(forget_after, id);
  return absl::OkStatus();
}

size_t ReplayGuard::remembered(const std::string& peer) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = peers_.find(peer);
  return it == peers_.end() ? 0 : it->second.expiry.size();
}

}  // namespace ifed::federation
