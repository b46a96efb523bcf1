#include "node/cli/csv.h"

#include "absl/strings/str_cat.h"

namespace ifed::cli {

absl::StatusOr<CsvRecord> CsvReader::Next() {
  std::string line;
  // Skip blank lines.
  do {
    if (!std::getline(in_, line)) return absl::NotFoundError("end of input");
    ++line_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
  } while (line.empty());
  CsvRecord rec;
  rec.line = line_;
  std::string field;
  bool quoted = false, was_quoted = false;
  size_t i = 0;
  for (;;) {
    if (i == line.size()) {
      if (!quoted) break;
      std::string more;
      if (!std::getline(in_, more)) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", rec.line, ": unterminated quoted field"));
      }
      ++line_;
      if (!more.empty() && more.back() == '\r') more.pop_back();
      field += '\n';
      line = std::move(more);
      i = 0;
      continue;
    }
    const char c = line[i++];
    if (quoted) {
      if (c == '"') {
        if (i < line.size() && line[i] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c == ',') {
      rec.fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (c == '"') {
      if (!field.empty() || was_quoted) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", line_, ": stray quote in unquoted field"));
      }
      quoted = was_quoted = true;
    } else {
      if (was_quoted) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", line_, ": text after closing quote"));
      }
      field += c;
    }
  }
  rec.fields.push_back(std::move(field));
  return rec;
}

}  // namespace ifed::cli
