// Policy: the sharing rules this node applies to partners' queries, loaded
// from the YAML files of the policy directory (schema: proto/policy.proto).
// Default deny: a partner no rule names is refused.
//
// This is the foundation's allow-list; each decision carries the file that
// made it, so it can be explained.
#ifndef IFED_POLICY_POLICY_H_
#define IFED_POLICY_POLICY_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "proto/policy.pb.h"

namespace ifed::policy {

struct Rule {
  ifed::v1::PartnerRule rule;  // defaults filled in.
  std::string source;          // "file.yaml".
};

// Immutable once loaded: share it freely between threads.
class Policy {
 public:
  // Loads every *.yaml / *.yml file of `dir` (sorted by name). A bad file, a
  // duplicate partner or an empty directory fails the whole load with the
  // file and reason.
  static absl::StatusOr<std::shared_ptr<const Policy>> LoadDir(const std::string& dir);

  // The rule for `partner`, or PermissionDenied naming no rule.
  absl::StatusOr<const Rule*> For(const std::string& partner) const;

  // Whether a hit on a record of this type and TLP may be reported.
  static bool Allows(const ifed::v1::PartnerRule& rule, ifed::v1::IndicatorType type);
  static bool AllowsTlp(const ifed::v1::PartnerRule& rule, ifed::v1::Tlp tlp);
  static bool AllowsPurpose(const ifed::v1::PartnerRule& rule, ifed::v1::Purpose purpose);

  size_t size() const { return rules_.size(); }
  // Short fingerprint (SHA-256 prefix, hex) of the loaded files, for audit.
  const std::string& version() const { return version_; }

 private:
  std::map<std::string, Rule> rules_;
  std::string version_;
};

// The policy in force, swapped atomically on reload. A failed reload keeps
// the old policy.
class PolicyHolder {
 public:
  explicit PolicyHolder(std::shared_ptr<const Policy> initial)
      : current_(std::move(initial)) {}
  std::shared_ptr<const Policy> Get() const {
    std::lock_guard<std::mutex> l(mu_);
    return current_;
  }
  absl::Status Reload(const std::string& dir);

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Policy> current_;
};

}  // namespace ifed::policy

#endif  // IFED_POLICY_POLICY_H_
