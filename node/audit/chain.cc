#include "node/audit/chain.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "node/audit/event.h"

namespace ifed::audit {

std::string CheckpointMessage(absl::string_view node, uint64_t seq, absl::string_view hash_hex,
                              int64_t ts_ms) {
  return absl::StrCat("ifed-audit-checkpoint-v1\n", node, "\n", seq, "\n", hash_hex, "\n", ts_ms);
}

std::string SigningCertMessage(absl::string_view node, uint64_t seq, absl::string_view hash_hex,
                               int64_t ts_ms, absl::string_view old_cert_sha256,
                               absl::string_view new_cert_sha256) {
  return absl::StrCat("ifed-audit-signing-cert-v1\n", node, "\n", seq, "\n", hash_hex, "\n",
                      ts_ms, "\n", old_cert_sha256, "\n", new_cert_sha256);
}

std::vector<HeldCheckpoint> CheckpointsIn(absl::string_view jsonl) {
  std::vector<HeldCheckpoint> out;
  for (absl::string_view line : absl::StrSplit(jsonl, '\n', absl::SkipWhitespace())) {
    auto p = Parsed::Parse(line);
    if (!p.ok()) continue;
    if (p->Str("action") == "checkpoint" && p->Int("cp_seq") && p->Str("cp_hash") &&
        p->Str("sig") && p->Str("node")) {
      out.push_back({*p->Str("node"), static_cast<uint64_t>(*p->Int("cp_seq")),
                     *p->Str("cp_hash"), p->Int("ts_ms").value_or(0), *p->Str("sig")});
    }
    if (p->Str("peer_cp_node") && p->Int("peer_cp_seq") && p->Str("peer_cp_hash") &&
        p->Str("peer_cp_sig")) {
      out.push_back({*p->Str("peer_cp_node"), static_cast<uint64_t>(*p->Int("peer_cp_seq")),
                     *p->Str("peer_cp_hash"), p->Int("peer_cp_ts_ms").value_or(0),
                     *p->Str("peer_cp_sig")});
    }
  }
  return out;
}

ChainVerifier::ChainVerifier(const Verifier* verifier, bool from_genesis,
                             std::vector<HeldCheckpoint> held, CertCheck check_cert)
    : verifier_(verifier),
      check_cert_(std::move(check_cert)),
      from_genesis_(from_genesis),
      held_(std::move(held)) {}

const Verifier* ChainVerifier::current() const {
  if (renewed_) return renewed_.get();
  return verifier_ ? verifier_ : header_verifier_.get();
}

// A renewal of the signing certificate, signed by the key in force.
bool ChainVerifier::ChangeCert(uint64_t seq, const Parsed& p, absl::string_view prev,
                               int64_t ts) {
  const auto cp_seq = p.Int("cp_seq");
  const auto cp_hash = p.Str("cp_hash");
  const auto old_sha = p.Str("old_cert_sha256");
  const auto cert = p.Str("cert");
  const auto sig_hex = p.Str("sig");
  if (!cp_seq || !cp_hash || !old_sha || !cert || !sig_hex ||
      static_cast<uint64_t>(*cp_seq) != seq - 1 || *cp_hash != prev) {
    Fail(seq, "certificate change does not name the event before it");
    return false;
  }
  const Verifier* v = current();
  if (v == nullptr) {
    Fail(seq, "no certificate to verify the certificate change (give --cert)");
    return false;
  }
  if (*old_sha != v->cert_sha256()) {
    Fail(seq, "certificate change does not start from the certificate in force");
    return false;
  }
  auto next = Verifier::FromCertPem(*cert);
  if (!next.ok()) {
    Fail(seq, absl::StrCat("certificate change carries no usable certificate: ",
                           next.status().message()));
    return false;
  }
  std::string sig;
  if (!FromHex(*sig_hex, &sig) ||
      !v->Verify(SigningCertMessage(r_.node, seq - 1, *cp_hash, ts, *old_sha,
                                    (*next)->cert_sha256()),
                 sig)
           .ok()) {
    Fail(seq, "certificate change is not signed by the previous key (forged)");
    return false;
  }
  const std::string suffix = absl::StrCat("/node/", r_.node);
  const std::string& id = (*next)->spiffe_id();
  if (id.size() <= suffix.size() || id.compare(id.size() - suffix.size(), suffix.size(), suffix) != 0 ||
      id.rfind("spiffe://", 0) != 0) {
    Fail(seq, "the new certificate names another node");
    return false;
  }
  if (check_cert_) {
    if (absl::Status s = check_cert_(r_.node, *cert); !s.ok()) {
      Fail(seq, absl::StrCat("the new certificate is not the node's: ", s.message()));
      return false;
    }
  }
  renewed_ = std::move(*next);
  ++r_.cert_changes;
  VerifyPendingHeld();
  return true;
}

void ChainVerifier::Fail(uint64_t seq, std::string why) {
  if (!r_.ok) return;
  r_.ok = false;
  r_.first_bad_seq = seq;
  r_.error = std::move(why);
}

void ChainVerifier::Add(absl::string_view line) {
  if (!r_.ok) return;
  if (line.empty()) return;
  auto p = Parsed::Parse(line);
  if (!p.ok()) {
    Fail(r_.last_seq + 1, absl::StrCat("line after seq ", r_.last_seq, ": ", p.status().message()));
    return;
  }
  if (!p->Has("seq")) {  // export header
    if (p->Str("export") != kExportMagic) {
      Fail(r_.last_seq + 1, "unknown line (neither an event nor an export header)");
      return;
    }
    if (auto node = p->Str("node"); node && r_.node.empty()) r_.node = *node;
    if (auto cert = p->Str("cert"); cert && verifier_ == nullptr && !header_verifier_) {
      auto v = Verifier::FromCertPem(*cert);
      if (v.ok()) header_verifier_ = std::move(*v);
    }
    return;
  }
  AddEvent(line);
}

void ChainVerifier::AddEvent(absl::string_view line) {
  auto p = Parsed::Parse(line);
  const auto seq_i = p->Int("seq");
  const auto prev = p->Str("prev");
  const auto node = p->Str("node");
  const auto ts = p->Int("ts_ms");
  const uint64_t expected = seen_ ? r_.last_seq + 1 : (from_genesis_ ? 1 : 0);
  if (!seq_i || *seq_i <= 0 || !prev || !node || !ts || !p->Str("action")) {
    Fail(expected ? expected : r_.last_seq + 1, "event lacks seq, prev, ts_ms, node or action");
    return;
  }
  const uint64_t seq = static_cast<uint64_t>(*seq_i);
  if (expected != 0 && seq != expected) {
    Fail(expected, seq > expected
                       ? absl::StrCat("event ", expected, " missing (next is ", seq, ")")
                       : absl::StrCat("event ", seq, " out of order (expected ", expected, ")"));
    return;
  }
  if (!seen_) {
    r_.first_seq = seq;
    if (seq == 1 && *prev != kZeroHash) {
      Fail(1, "first event does not start the chain");
      return;
    }
    if (r_.node.empty()) r_.node = *node;
    LoadHeld();
  } else if (*prev != last_hash_) {
    Fail(seq - 1, absl::StrCat("event ", seq - 1, " does not hash to the prev of event ", seq,
                               " (changed or replaced)"));
    return;
  }
  if (*node != r_.node) {
    Fail(seq, absl::StrCat("event of another node '", *node, "'"));
    return;
  }
  const std::string hash = HashLine(line);
  if (p->Str("action") == "signing_cert" && !ChangeCert(seq, *p, *prev, *ts)) return;
  if (p->Str("action") == "checkpoint") {
    const Verifier* v = current();
    const auto cp_seq = p->Int("cp_seq");
    const auto cp_hash = p->Str("cp_hash");
    const auto sig_hex = p->Str("sig");
    std::string sig;
    if (!cp_seq || !cp_hash || !sig_hex || static_cast<uint64_t>(*cp_seq) != seq - 1 ||
        *cp_hash != *prev) {
      Fail(seq, "checkpoint does not name the event before it");
      return;
    }
    if (v == nullptr) {
      Fail(seq, "no certificate to verify checkpoints (give --cert)");
      return;
    }
    if (!FromHex(*sig_hex, &sig) ||
        !v->Verify(CheckpointMessage(*node, seq - 1, *cp_hash, *ts), sig).ok()) {
      Fail(seq, "checkpoint signature does not verify (forged or wrong certificate)");
      return;
    }
    ++r_.checkpoints;
    r_.last_checkpoint_seq = seq - 1;
  }
  if (auto it = held_by_seq_.find(seq); it != held_by_seq_.end()) {
    if (it->second != hash) {
      Fail(seq, absl::StrCat("event ", seq, " differs from the checkpoint a partner holds"));
      return;
    }
    ++r_.held_checked;
  }
  seen_ = true;
  last_hash_ = hash;
  r_.last_seq = seq;
  ++r_.events;
}

void ChainVerifier::LoadHeld() {
  if (held_loaded_) return;
  held_loaded_ = true;
  for (const HeldCheckpoint& h : held_) {
    if (h.node == r_.node) pending_held_.push_back(h);
  }
  VerifyPendingHeld();
}

// A held checkpoint verifies under the certificate in force when it was
// signed: the one at the start, or one that a later change brings in.
void ChainVerifier::VerifyPendingHeld() {
  const Verifier* v = current();
  std::vector<HeldCheckpoint> still;
  for (HeldCheckpoint& h : pending_held_) {
    std::string sig;
    if (v == nullptr || !FromHex(h.sig, &sig) ||
        !v->Verify(CheckpointMessage(h.node, h.seq, h.hash, h.ts_ms), sig).ok()) {
      still.push_back(std::move(h));
      continue;
    }
    held_by_seq_[h.seq] = h.hash;
  }
  pending_held_ = std::move(still);
}

VerifyReport ChainVerifier::Finish() {
  if (r_.ok) LoadHeld();
  for (const HeldCheckpoint& h : pending_held_) {
    r_.notes.push_back(absl::StrCat("held checkpoint at seq ", h.seq,
                                    " has no valid signature: ignored"));
  }
  pending_held_.clear();
  if (r_.ok) {
    if (!seen_) {
      r_.notes.push_back("no events");
    }
    for (const auto& [seq, hash] : held_by_seq_) {
      if (seq > r_.last_seq) {
        Fail(r_.last_seq + 1,
             absl::StrCat("log truncated: it ends at seq ", r_.last_seq,
                          " but a partner holds a signed checkpoint at seq ", seq));
        break;
      }
    }
  }
  if (r_.ok && r_.last_seq > r_.last_checkpoint_seq) {
    r_.notes.push_back(absl::StrCat(r_.last_seq - r_.last_checkpoint_seq,
                                    " event(s) after the last signed checkpoint"));
  }
  return r_;
}

}  // namespace ifed::audit
