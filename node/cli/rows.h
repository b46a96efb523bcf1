// Reading indicator files (the ingest CSV format) into admin API rows.
//   header: type,value,case_ref,tlp,crime_area,region,platform (any order;
//   type and value required; case_ref and tlp required for ingest).
//   platform: for handle rows whose value names no platform ("@name",
//   "name"): facebook, instagram, tiktok, x, telegram, vk, youtube,
//   snapchat, whatsapp, viber, signal (or an alias such as tg, ig, fb).
#ifndef IFED_CLI_ROWS_H_
#define IFED_CLI_ROWS_H_

#include <optional>
#include <string>
#include <vector>

#include "proto/admin.pb.h"

namespace ifed::cli {

// "clear", "green", "amber", "amber+strict", "red", with or without "TLP:".
std::optional<ifed::v1::Tlp> ParseTlp(const std::string& s);
// "migrant_smuggling", "MIGRANT_SMUGGLING", "migrant-smuggling", ...
std::optional<ifed::v1::Purpose> ParsePurpose(const std::string& s);

// "" when the `platform` column's value fits a row of `type` (empty, or a
// known platform on a handle row); else the reason, for "field platform:".
std::string CheckPlatform(ifed::v1::IndicatorType type, const std::string& platform);

struct FileRows {
  std::vector<ifed::v1::IngestRow> rows;
  std::vector<std::string> errors;  // "line L: field F: reason"
};

// Reads the whole file. `for_ingest` makes case_ref and tlp required.
FileRows ReadRows(const std::string& path, bool for_ingest);

}  // namespace ifed::cli

#endif  // IFED_CLI_ROWS_H_
