#include "node/audit/audit_log.h"

#include <chrono>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/common/clock.h"
#include "node/common/status_macros.h"

namespace ifed::audit {

std::string SeqKey(uint64_t seq) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i, seq >>= 8) k[i] = static_cast<char>(seq & 0xff);
  return k;
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(store::Store* store,
                                                         const Signer* signer,
                                                         AuditOptions options) {
  return Open(store, std::shared_ptr<const Signer>(signer, [](const Signer*) {}),
              std::move(options));
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(store::Store* store,
                                                         std::shared_ptr<const Signer> signer,
                                                         AuditOptions options) {
  if (!options.now_ms) options.now_ms = UnixMillisNow;
  std::unique_ptr<AuditLog> log(new AuditLog(store, signer, std::move(options)));
  {
    std::lock_guard<std::mutex> l(log->mu_);
    IFED_RETURN_IF_ERROR(log->ReloadHead());
  }
  if (log->o_.checkpoint_seconds > 0) log->timer_ = std::thread([p = log.get()] { p->TimerLoop(); });
  return log;
}

AuditLog::~AuditLog() { Close(); }

absl::Status AuditLog::ReloadHead() {
  auto last = store_->LastAudit();
  if (absl::IsNotFound(last.status())) {
    head_seq_ = 0;
    head_hash_ = kZeroHash;
    return absl::OkStatus();
  }
  if (!last.ok()) return last.status();
  auto p = Parsed::Parse(last->second);
  if (!p.ok() || !p->Int("seq") || SeqKey(static_cast<uint64_t>(*p->Int("seq"))) != last->first) {
    return absl::DataLossError("audit log head is corrupt");
  }
  head_seq_ = static_cast<uint64_t>(*p->Int("seq"));
  head_hash_ = HashLine(last->second);
  if (p->Str("action") == "checkpoint" && p->Str("sig")) {
    latest_ = {o_.node_id, static_cast<uint64_t>(p->Int("cp_seq").value_or(0)),
               p->Str("cp_hash").value_or(""), p->Int("ts_ms").value_or(0), *p->Str("sig")};
  }
  return absl::OkStatus();
}

Link AuditLog::NextLink() const {
  return Link{head_seq_ + 1, head_hash_, o_.now_ms(), o_.node_id};
}

void AuditLog::Advance(const Link& link, const std::string& line) {
  head_seq_ = link.seq;
  head_hash_ = HashLine(line);
}

// Group commit: concurrent appenders queue their events; one of them (the
// leader) chains every queued event in queue order and writes them in one
// synced WriteBatch, then wakes the others with the common result. One
// fsync serves a whole group instead of one per event, and each caller
// still returns only once its own event is durable (or with the error).
absl::Status AuditLog::Append(const Event& event) {
  PendingAppend me{&event};
  std::unique_lock<std::mutex> q(queue_mu_);
  queue_.push_back(&me);
  while (!me.done) {
    if (leader_active_) {
      queue_cv_.wait(q);
      continue;
    }
    leader_active_ = true;
    std::vector<PendingAppend*> group(queue_.begin(), queue_.end());
    queue_.clear();
    q.unlock();
    absl::Status status;
    {
      std::lock_guard<std::mutex> l(mu_);
      store::Store::AuditEntries entries;
      entries.reserve(group.size());
      for (PendingAppend* p : group) {
        const Link link = NextLink();
        std::string line = Encode(link, *p->event);
        Advance(link, line);  // undone by ReloadHead if the write fails.
        entries.emplace_back(SeqKey(link.seq), std::move(line));
      }
      status = store_->AppendAudit(entries);
      if (!status.ok()) {
        (void)ReloadHead();  // the write may or may not have landed.
      } else if (timer_.joinable()) {
        // Durable. A checkpoint now due is signed and written by the timer
        // thread, not inside this group's commit.
        if (o_.checkpoint_every != 0 && head_seq_ >= latest_.seq + 1 + o_.checkpoint_every) {
          checkpoint_wanted_ = true;
          cv_.notify_all();
        }
      } else {
        (void)MaybeCheckpointLocked();  // durable; a failed checkpoint retries later.
      }
    }
    q.lock();
    for (PendingAppend* p : group) {
      p->status = status;
      p->done = true;
    }
    leader_active_ = false;
    queue_cv_.notify_all();
  }
  return me.status;
}

absl::StatusOr<store::IngestResult> AuditLog::Ingest(
    absl::Span<const store::IngestItem> items,
    const std::function<Event(const store::IngestResult&)>& make) {
  std::lock_guard<std::mutex> l(mu_);
  const Link link = NextLink();
  std::string line;
  auto result = store_->Ingest(
      items, [&](const store::IngestResult& r) -> absl::StatusOr<store::Store::AuditEntries> {
        line = Encode(link, make(r));
        return store::Store::AuditEntries{{SeqKey(link.seq), line}};
      });
  if (!result.ok()) {
    (void)ReloadHead();
    return result.status();
  }
  Advance(link, line);
  (void)MaybeCheckpointLocked();
  return result;
}

absl::Status AuditLog::Write(const std::function<absl::Status(const EntriesFn&)>& write) {
  std::lock_guard<std::mutex> l(mu_);
  const Link link = NextLink();
  std::string line;
  absl::Status s = write([&](const Event& e) {
    line = Encode(link, e);
    return store::Store::AuditEntries{{SeqKey(link.seq), line}};
  });
  if (!s.ok()) {
    (void)ReloadHead();
    return s;
  }
  if (!line.empty()) {
    Advance(link, line);
    (void)MaybeCheckpointLocked();
  }
  return absl::OkStatus();
}

absl::Status AuditLog::CheckpointLocked() {
  if (head_seq_ == 0 || latest_.seq == head_seq_) return absl::OkStatus();
  const Link link = NextLink();
  IFED_ASSIGN_OR_RETURN(std::string sig, signer_->Sign(CheckpointMessage(
                                             o_.node_id, head_seq_, head_hash_, link.ts_ms)));
  HeldCheckpoint cp{o_.node_id, head_seq_, head_hash_, link.ts_ms, absl::BytesToHexString(sig)};
  Event e;
  e.action = "checkpoint";
  e.actor = "node";
  e.outcome = "ok";
  e.Set("cp_seq", static_cast<int64_t>(cp.seq)).Set("cp_hash", cp.hash).Set("sig", cp.sig);
  const std::string line = Encode(link, e);
  absl::Status s = store_->AppendAudit({{SeqKey(link.seq), line}});
  if (!s.ok()) {
    (void)ReloadHead();
    return s;
  }
  Advance(link, line);
  latest_ = std::move(cp);
  return absl::OkStatus();
}

absl::Status AuditLog::RotateSigner(std::shared_ptr<const Signer> next) {
  if (next == nullptr) return absl::InvalidArgumentError("no signer");
  std::lock_guard<std::mutex> l(mu_);
  if (next->cert_der() == signer_->cert_der()) {
    signer_ = std::move(next);  // same certificate (and so the same key).
    return absl::OkStatus();
  }
  const Link link = NextLink();
  const std::string old_sha = CertSha256Hex(signer_->cert_der());
  const std::string new_sha = CertSha256Hex(next->cert_der());
  IFED_ASSIGN_OR_RETURN(std::string sig,
                        signer_->Sign(SigningCertMessage(o_.node_id, head_seq_, head_hash_,
                                                         link.ts_ms, old_sha, new_sha)));
  Event e;
  e.action = "signing_cert";
  e.actor = "node";
  e.outcome = "ok";
  e.Set("cp_seq", static_cast<int64_t>(head_seq_))
      .Set("cp_hash", head_hash_)
      .Set("old_cert_sha256", old_sha)
      .Set("old_cert", signer_->chain_pem())
      .Set("cert_sha256", new_sha)
      .Set("cert", next->chain_pem())
      .Set("sig", absl::BytesToHexString(sig));
  const std::string line = Encode(link, e);
  absl::Status s = store_->AppendAudit({{SeqKey(link.seq), line}});
  if (!s.ok()) {
    (void)ReloadHead();
    return s;
  }
  Advance(link, line);
  signer_ = std::move(next);
  return CheckpointLocked();  // the new key signs the change at once.
}

std::shared_ptr<const Signer> AuditLog::signer() const {
  std::lock_guard<std::mutex> l(mu_);
  return signer_;
}

std::pair<std::shared_ptr<const Signer>, HeldCheckpoint> AuditLog::SigningState() const {
  std::lock_guard<std::mutex> l(mu_);
  return {signer_, latest_};
}

absl::StatusOr<std::string> AuditLog::SigningCertAt(int64_t since_ms) const {
  std::string cert;
  IFED_RETURN_IF_ERROR(store_->ScanAudit(SeqKey(1), [&](const std::string&, const std::string& line) {
    auto p = Parsed::Parse(line);
    if (!p.ok() || p->Int("ts_ms").value_or(0) < since_ms) return true;
    if (p->Str("action") == "signing_cert") {
      cert = p->Str("old_cert").value_or("");
      return false;
    }
    return true;
  }));
  if (!cert.empty()) return cert;
  return signer()->chain_pem();
}

absl::Status AuditLog::MaybeCheckpointLocked() {
  if (o_.checkpoint_every == 0 || head_seq_ < latest_.seq + 1 + o_.checkpoint_every) {
    return absl::OkStatus();
  }
  return CheckpointLocked();
}

absl::Status AuditLog::Checkpoint() {
  std::lock_guard<std::mutex> l(mu_);
  return CheckpointLocked();
}

void AuditLog::TimerLoop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!closed_) {
    cv_.wait_for(l, std::chrono::seconds(o_.checkpoint_seconds),
                 [this] { return closed_ || checkpoint_wanted_; });
    if (closed_) break;
    checkpoint_wanted_ = false;
    (void)CheckpointLocked();  // a failed write is retried on the next tick.
  }
}

void AuditLog::Close() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (closed_) return;
    closed_ = true;
    (void)CheckpointLocked();
  }
  cv_.notify_all();
  if (timer_.joinable()) timer_.join();
}

HeldCheckpoint AuditLog::LatestCheckpoint() const {
  std::lock_guard<std::mutex> l(mu_);
  return latest_;
}

uint64_t AuditLog::head_seq() const {
  std::lock_guard<std::mutex> l(mu_);
  return head_seq_;
}

absl::Status AuditLog::Export(int64_t since_ms, int64_t until_ms,
                              const std::function<bool(const std::string&)>& fn) const {
  bool started = false;
  IFED_RETURN_IF_ERROR(store_->ScanAudit(SeqKey(1), [&](const std::string&, const std::string& line) {
    auto p = Parsed::Parse(line);
    if (!p.ok()) {
      // Hand it on: the verifier names the broken event.
      return fn(line);
    }
    const int64_t ts = p->Int("ts_ms").value_or(0);
    if (until_ms != 0 && ts > until_ms) {
      if (p->Str("action") == "checkpoint") fn(line);  // covers the selection.
      return false;
    }
    if (!started && ts < since_ms) return true;
    started = true;
    return fn(line);
  }));
  return absl::OkStatus();
}

}  // namespace ifed::audit
