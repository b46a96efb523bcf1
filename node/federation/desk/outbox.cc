#include "node/federation/desk/outbox.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "node/common/clock.h"
#include "node/common/status_macros.h"
#include "node/federation/desk/watch_service.h"
#include "node/store/tables.h"

namespace ifed::federation {
namespace {

// The audit event of one entry that left the outbox.
audit::Event DeliveredEvent(const ifed::v1::OutboxEntry& e, int code) {
  audit::Event ev;
  const ifed::v1::Delivery& d = e.delivery();
  ev.actor = "node";
  ev.outcome = code == 0 ? "ok" : "refused";
  if (d.has_watch()) {
    ev.action = "watch.notify";
    ev.Set("peer", e.peer())
        .Set("delivery_id", d.delivery_id())
        .Set("watch_id", d.watch().watch_id())
        .Set("kind", ifed::v1::WatchEventKind_Name(d.watch().kind()))
        .Set("type", ifed::v1::IndicatorType_Name(d.watch().type()));
    // A hub relays for a member: it keeps none of the member's references.
    if (d.watch().member().empty()) {
      ev.Set("reference", d.watch().reference());
    } else {
      ev.Set("member", d.watch().member());
    }
  } else {
    ev.action = "followup.deliver";
    ev.Set("peer", e.peer())
        .Set("delivery_id", d.delivery_id())
        .Set("followup_id", d.followup_answer().followup_id())
        .Set("state", ifed::v1::FollowUpState_Name(d.followup_answer().state()));
  }
  ev.Set("attempts", static_cast<int64_t>(e.attempts() + 1))
      .Set("queued_ms", UnixMillisNow() - e.created_ms());
  if (code != 0) ev.Set("code", static_cast<int64_t>(code));
  return ev;
}

}  // namespace

absl::StatusOr<uint64_t> PruneReceivedIds(store::Store* store, int64_t before_ms) {
  uint64_t total = 0;
  std::string after;  // keys are not ordered by time: resume the scan past the last batch.
  for (;;) {
    store::MetaWrites writes;
    std::string last;
    bool more = false;
    IFED_RETURN_IF_ERROR(store->ScanMeta(store::WatchTable::kReceived,
                                         [&](const std::string& k, const std::string& v) {
                                           if (k <= after) return true;
                                           last = k;
                                           int64_t at = 0;
                                           if (!absl::SimpleAtoi(v, &at) || at < before_ms)
                                             writes.deletes.push_back(k);
                                           if (writes.deletes.size() >= 10000) {
                                             more = true;
                                             return false;
                                           }
                                           return true;
                                         }));
    if (!writes.deletes.empty()) {
      IFED_RETURN_IF_ERROR(store->CommitMeta(writes));
      total += writes.deletes.size();
    }
    if (!more) return total;
    after = last;
  }
}

void Courier::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Courier::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Courier::Kick() {
  {
    std::lock_guard<std::mutex> l(mu_);
    kicked_ = true;
  }
  cv_.notify_all();
}

void Courier::Loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    kicked_ = false;
    l.unlock();
    if (auto n = RunOnce(); !n.ok()) {
      spdlog::error("outbox pass failed: {}", std::string(n.status().message()));
    }
    if (o_.on_pass) o_.on_pass();
    l.lock();
    cv_.wait_for(l, o_.poll, [this] { return stop_ || kicked_; });
  }
}

absl::StatusOr<size_t> Courier::RunOnce() {
  const int64_t now = UnixMillisNow();
  std::map<std::string, std::vector<std::pair<std::string, ifed::v1::OutboxEntry>>> due;
  std::vector<std::pair<std::string, ifed::v1::OutboxEntry>> expired;
  uint64_t waiting = 0;
  IFED_RETURN_IF_ERROR(store_->ScanMeta(
      store::OutboxTable::kPrefix, [&](const std::string& k, const std::string& v) {
        ifed::v1::OutboxEntry e;
        if (!e.ParseFromString(v)) {
          spdlog::error("outbox entry {} does not parse; left in place", k);
          return true;
        }
        if (e.created_ms() > 0 && now - e.created_ms() > o_.lifetime.count()) {
          expired.emplace_back(k, std::move(e));
          return true;
        }
        ++waiting;
        auto& list = due[e.peer()];
        if (e.next_attempt_ms() <= now && list.size() < o_.max_per_call)
          list.emplace_back(k, std::move(e));
        return true;
      }));
  pending_.store(waiting);
  for (const auto& [k, e] : expired) {  // given up: deleted with its audit event.
    store::MetaWrites w;
    w.deletes.push_back(k);
    audit::Event ev = DeliveredEvent(e, static_cast<int>(grpc::StatusCode::DEADLINE_EXCEEDED));
    ev.outcome = "expired";
    ev.Set("last_error", e.last_error());
    if (audit_ != nullptr) {
      IFED_RETURN_IF_ERROR(audit_->Write([&](const audit::AuditLog::EntriesFn& entries_of) {
        return store_->CommitMeta(w, entries_of(ev));
      }));
    } else {
      IFED_RETURN_IF_ERROR(store_->CommitMeta(w));
    }
    expired_.fetch_add(1);
    spdlog::warn("outbox: delivery {} to {} expired after {} attempts (last error: {})",
                 e.delivery().delivery_id(), e.peer(), e.attempts(), e.last_error());
  }
  size_t acked = 0;
  for (auto& [peer, entries] : due) {
    if (entries.empty()) continue;
    ifed::v1::DeliverRequest req;
    for (const auto& [k, e] : entries) *req.add_deliveries() = e.delivery();
    ifed::v1::DeliverResponse resp;
    grpc::Status s;
    if (ifed::v1::Federation::Stub* stub = peers_->StubOf(peer); stub == nullptr) {
      s = grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "peer not configured");
    } else {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + peers_->timeout());
      s = stub->Deliver(&ctx, req, &resp);
      if (s.ok() && resp.codes_size() != req.deliveries_size()) {
        s = grpc::Status(grpc::StatusCode::INTERNAL, "acknowledgement count mismatch");
      }
    }
    if (!s.ok()) {
      // Retry later: doubled per failure, up to the ceiling.
      for (auto& [k, e] : entries) {
        e.set_attempts(e.attempts() + 1);
        const int shift = static_cast<int>(std::min<uint32_t>(e.attempts() - 1, 20));
        const int64_t wait = std::min<int64_t>(o_.retry.count() << shift, o_.max_backoff.count());
        e.set_next_attempt_ms(now + wait);
        e.set_last_error(absl::StrCat(static_cast<int>(s.error_code()), " ", s.error_message()).substr(0, 200));
        store::MetaWrites w;
        w.puts.emplace_back(k, e.SerializeAsString());
        IFED_RETURN_IF_ERROR(store_->CommitMeta(w));
      }
      spdlog::warn("outbox: {} deliveries to {} failed ({} {}), retrying", entries.size(), peer,
                   static_cast<int>(s.error_code()), s.error_message());
      continue;
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      const auto& [k, e] = entries[i];
      const int code = resp.codes(static_cast<int>(i));
      store::MetaWrites w;
      w.deletes.push_back(k);
      const audit::Event ev = DeliveredEvent(e, code);
      if (audit_ != nullptr) {
        IFED_RETURN_IF_ERROR(audit_->Write([&](const audit::AuditLog::EntriesFn& entries_of) {
          return store_->CommitMeta(w, entries_of(ev));
        }));
      } else {
        IFED_RETURN_IF_ERROR(store_->CommitMeta(w));
      }
      if (code == 0) {
        ++acked;
        delivered_.fetch_add(1);
      } else {
        spdlog::warn("outbox: {} refused delivery {} for good (code {})", peer,
                     e.delivery().delivery_id(), code);
      }
    }
  }
  return acked;
}

}  // namespace ifed::federation
