// A small RFC 4180 CSV reader for ingest files: comma separated, optional
// double quotes ("" escapes a quote, quoted fields may span lines), CRLF or
// LF. Each record carries the line number it starts on.
#ifndef IFED_CLI_CSV_H_
#define IFED_CLI_CSV_H_

#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace ifed::cli {

struct CsvRecord {
  size_t line = 0;
  std::vector<std::string> fields;
};

class CsvReader {
 public:
  explicit CsvReader(std::istream& in) : in_(in) {}
  // Next record; NotFound at end of input; InvalidArgument (with the line)
  // on an unterminated quote or a stray quote inside an unquoted field.
  absl::StatusOr<CsvRecord> Next();

 private:
  std::istream& in_;
  size_t line_ = 0;
};

}  // namespace ifed::cli

#endif  // IFED_CLI_CSV_H_
