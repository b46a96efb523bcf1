#include "node/policy/policy.h"

#include <openssl/sha.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/common/status_macros.h"
#include "node/config/yaml_proto.h"

namespace ifed::policy {

namespace fs = std::filesystem;

absl::StatusOr<std::shared_ptr<const Policy>> Policy::LoadDir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat(dir, ": policy directory not found"));
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(e.path());
  }
  if (ec) return absl::UnavailableError(absl::StrCat(dir, ": ", ec.message()));
  std::sort(files.begin(), files.end());
  auto policy = std::make_shared<Policy>();
  SHA256_CTX sha;
  SHA256_Init(&sha);
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    const std::string body = text.str();
    const std::string name = file.filename().string();
    SHA256_Update(&sha, name.data(), name.size() + 1);
    SHA256_Update(&sha, body.data(), body.size());
    ifed::v1::PolicyFile pf;
    IFED_RETURN_IF_ERROR(ifed::YamlToProto(body, file.string(), &pf));
    for (int i = 0; i < pf.partners_size(); ++i) {
      ifed::v1::PartnerRule r = pf.partners(i);
      const std::string where = absl::StrCat(file.string(), ": partners[", i, "]");
      if (r.partner().empty()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": field 'partner' is required"));
      }
      if (policy->rules_.count(r.partner())) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": partner '", r.partner(), "' already has a rule in ",
            policy->rules_[r.partner()].source));
      }
      if (r.disclosure() == ifed::v1::DISCLOSURE_UNSPECIFIED) r.set_disclosure(ifed::v1::HIT_ONLY);
      if (r.max_tlp() == ifed::v1::TLP_UNSPECIFIED) r.set_max_tlp(ifed::v1::TLP_GREEN);
      if (r.max_batch() == 0) r.set_max_batch(10000);
      const std::string partner = r.partner();
      policy->rules_.emplace(partner, Rule{std::move(r), name});
    }
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &sha);
  policy->version_ = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), 8));
  return std::shared_ptr<const Policy>(std::move(policy));
}

absl::StatusOr<const Rule*> Policy::For(const std::string& partner) const {
  auto it = rules_.find(partner);
  if (it == rules_.end()) {
    return absl::PermissionDeniedError("no sharing rule for this partner");
  }
  return &it->second;
}

bool Policy::Allows(const ifed::v1::PartnerRule& rule, ifed::v1::IndicatorType type) {
  return std::find(rule.types().begin(), rule.types().end(), type) != rule.types().end();
}

bool Policy::AllowsTlp(const ifed::v1::PartnerRule& rule, ifed::v1::Tlp tlp) {
  return tlp != ifed::v1::TLP_UNSPECIFIED && tlp != ifed::v1::TLP_RED &&
         tlp <= rule.max_tlp();
}

bool Policy::AllowsPurpose(const ifed::v1::PartnerRule& rule, ifed::v1::Purpose purpose) {
  if (purpose == ifed::v1::PURPOSE_UNSPECIFIED) return false;
  return rule.purposes().empty() ||
         std::find(rule.purposes().begin(), rule.purposes().end(), purpose) !=
             rule.purposes().end();
}

absl::Status PolicyHolder::Reload(const std::string& dir) {
  IFED_ASSIGN_OR_RETURN(std::shared_ptr<const Policy> fresh, Policy::LoadDir(dir));
  std::lock_guard<std::mutex> l(mu_);
  current_ = std::move(fresh);
  return absl::OkStatus();
}

}  // namespace ifed::policy
