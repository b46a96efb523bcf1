// What an analyst does in the console, as plain calls on the node's admin
// API for a signed-in person (AdminClient carries their identity). Input
// arrives as the JSON the page sends; every check that can fail on input
// is made here, before the node is asked, and fails with InvalidArgument
// and a message for the person (never echoing an indicator value). Results
// are JSON for the page. Unit-tested against a fake node (analyst_test.cc).
#ifndef IFED_CONSOLE_ANALYST_H_
#define IFED_CONSOLE_ANALYST_H_

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "node/console/admin_client.h"
#include "node/console/sessions.h"

namespace ifed::console {

// Largest number of items one match or watch may carry (the node's own
// limit is higher; a person pasting more is better served by ifedctl).
inline constexpr size_t kMaxConsoleItems = 5000;

class Analyst {
 public:
  Analyst(AdminClient* admin, std::function<int64_t()> now_ms)
      : admin_(admin), now_ms_(std::move(now_ms)) {}

  // Matches a pasted list or a CSV against partners.
  //   {"target": "peers"|"all"|"hub", "peers": [..], "jurisdictions": [..],
  //    "purpose": "migrant_smuggling", "case": "CASE-1",
  //    "type": "phone", "region": "DE", "text": "one value per line"
  //    | "csv": "type,value[,region,platform] with a header line",
  //    "resolve": false}
  // Returns {"request_id", "rows": [{"item", "value", "type", "canonical",
  // "peer", "verdict", "scheme", "via", "reference", "contact", "derived",
  // "form_type", "form"}], hits first, "errors": [{"item", "error"}],
  // "peer_errors": [{"peer", "code", "message"}], "hits", "items"}.
  absl::StatusOr<nlohmann::json> Match(const Staff& staff, const nlohmann::json& form);

  // The page's result rows as a file: CSV (one line per row, header) or a
  // STIX 2.1 bundle of the HIT rows (sightings at the partner).
  static absl::StatusOr<std::string> ExportCsv(const nlohmann::json& rows);
  static absl::StatusOr<std::string> ExportStix(const nlohmann::json& rows, int64_t now_ms);

  // One of our own records, from a hit reference we gave out (or a record
  // id): its case, TLP, crime area, dates and the post it was extracted
  // from. {"reference": "..."}.
  absl::StatusOr<nlohmann::json> Trace(const Staff& staff, const nlohmann::json& form);

  // Follow-ups this node asked of partners: request one
  // {"peer", "reference", "purpose", "legal_basis", "justification"}, and
  // the list with each one's state (asking the owners of pending ones).
  absl::StatusOr<nlohmann::json> RequestFollowUp(const Staff& staff, const nlohmann::json& form);
  absl::StatusOr<nlohmann::json> FollowUpStatus(const Staff& staff);

  // Watches this node asked partners to hold: add
  // {"target", "peers", "jurisdictions", "type", "region", "text", "purpose",
  //  "until_days"}, list, remove {"watch_id", "peers"?}.
  absl::StatusOr<nlohmann::json> AddWatch(const Staff& staff, const nlohmann::json& form);
  absl::StatusOr<nlohmann::json> ListWatches(const Staff& staff);
  absl::StatusOr<nlohmann::json> RemoveWatch(const Staff& staff, const nlohmann::json& form);

  // Watch alerts received at or after `since_ms`, newest first, with the
  // count: {"alerts": [...], "count", "now_ms"}.
  absl::StatusOr<nlohmann::json> Alerts(const Staff& staff, int64_t since_ms);

  // The configured partners (ids, health not asked): {"peers": [..]}.
  absl::StatusOr<nlohmann::json> Peers(const Staff& staff);

 private:
  AdminClient* const admin_;
  const std::function<int64_t()> now_ms_;
};

// Form helpers shared by the console's pages (also used by the approver
// and operations pages).
// The string member `key` of `form` ("" when absent); InvalidArgument
// naming the key when present but not a string or longer than `max`.
absl::StatusOr<std::string> FormString(const nlohmann::json& form, const char* key,
                                       size_t max = 1024);
// The purpose named by the form's "purpose" (default migrant_smuggling).
absl::StatusOr<ifed::v1::Purpose> FormPurpose(const nlohmann::json& form);
// The string array member `key` (empty when absent).
absl::StatusOr<std::vector<std::string>> FormStrings(const nlohmann::json& form, const char* key);
// A follow-up as the pages show it (the approver's queue adds its own fields).
nlohmann::json FollowUpJson(const ifed::v1::FollowUpRecord& r);

}  // namespace ifed::console

#endif  // IFED_CONSOLE_ANALYST_H_
