// Reading indicator files (the ingest CSV format) into admin API rows.
//   header: type,value,case_ref,tlp,crime_area,region (any order; type and
//   value required; case_ref and tlp required for ingest)
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

struct FileRows {
  std::vector<ifed::v1::IngestRow> rows;
  std::vector<std::string> errors;  // "line L: field F: reason"
};

// Reads the whole file. `for_ingest` makes case_ref and tlp required.
FileRows ReadRows(const std::string& path, bool for_ingest);

}  // namespace ifed::cli

#endif  // IFED_CLI_ROWS_H_
