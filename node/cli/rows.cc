#include "node/cli/rows.h"

#include <fstream>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "node/cli/csv.h"
#include "node/common/indicator_type.h"
#include "node/normalize/normalizer.h"

namespace ifed::cli {

std::optional<ifed::v1::Tlp> ParseTlp(const std::string& in) {
  std::string s = absl::AsciiStrToLower(absl::StripAsciiWhitespace(in));
  if (s.rfind("tlp:", 0) == 0) s = s.substr(4);
  if (s == "clear" || s == "white") return ifed::v1::TLP_CLEAR;
  if (s == "green") return ifed::v1::TLP_GREEN;
  if (s == "amber") return ifed::v1::TLP_AMBER;
  if (s == "amber+strict") return ifed::v1::TLP_AMBER_STRICT;
  if (s == "red") return ifed::v1::TLP_RED;
  return std::nullopt;
}

std::optional<ifed::v1::Purpose> ParsePurpose(const std::string& in) {
  std::string s = absl::AsciiStrToUpper(absl::StrReplaceAll(in, {{"-", "_"}}));
  ifed::v1::Purpose p;
  if (!ifed::v1::Purpose_Parse(s, &p) || p == ifed::v1::PURPOSE_UNSPECIFIED) return std::nullopt;
  return p;
}

std::string CheckPlatform(ifed::v1::IndicatorType type, const std::string& platform) {
  if (platform.empty()) return "";
  if (type != ifed::v1::HANDLE) return "only handle rows name a platform";
  if (!normalize::IsKnownPlatform(platform)) {
    return "unknown platform (facebook, instagram, tiktok, x, telegram, vk, youtube, snapchat, "
           "whatsapp, viber, signal)";
  }
  return "";
}

FileRows ReadRows(const std::string& path, bool for_ingest) {
  FileRows out;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.errors.push_back(absl::StrCat(path, ": cannot open"));
    return out;
  }
  CsvReader reader(in);
  auto header = reader.Next();
  if (!header.ok()) {
    out.errors.push_back(absl::StrCat(path, ": missing header row"));
    return out;
  }
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < header->fields.size(); ++i) {
    const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(header->fields[i]));
    if (name != "type" && name != "value" && name != "case_ref" && name != "tlp" &&
        name != "crime_area" && name != "region" && name != "sharing" && name != "platform") {
      out.errors.push_back(absl::StrCat("line 1: field ", name, ": unknown column"));
      continue;
    }
    if (col.count(name)) out.errors.push_back(absl::StrCat("line 1: field ", name, ": duplicate column"));
    col[name] = i;
  }
  std::vector<std::string> required = {"type", "value"};
  if (for_ingest) required.insert(required.end(), {"case_ref", "tlp"});
  for (const auto& r : required) {
    if (!col.count(r)) out.errors.push_back(absl::StrCat("line 1: field ", r, ": column missing"));
  }
  if (!out.errors.empty()) return out;
  for (;;) {
    auto rec = reader.Next();
    if (rec.status().code() == absl::StatusCode::kNotFound) break;
    if (!rec.ok()) {
      out.errors.push_back(std::string(rec.status().message()));
      break;
    }
    if (rec->fields.size() != header->fields.size()) {
      out.errors.push_back(absl::StrCat("line ", rec->line, ": expected ", header->fields.size(),
                                        " fields, found ", rec->fields.size()));
      continue;
    }
    auto get = [&](const char* name) -> std::string {
      auto it = col.find(name);
      return it == col.end() ? "" : std::string(absl::StripAsciiWhitespace(rec->fields[it->second]));
    };
    ifed::v1::IngestRow row;
    row.set_line(static_cast<uint32_t>(rec->line));
    auto type = ParseType(get("type"));
    if (!type) {
      out.errors.push_back(absl::StrCat("line ", rec->line, ": field type: unknown indicator type"));
    } else {
      row.set_type(static_cast<ifed::v1::IndicatorType>(*type));
    }
    row.set_value(rec->fields[col["value"]]);
    if (get("value").empty()) out.errors.push_back(absl::StrCat("line ", rec->line, ": field value: empty"));
    row.set_case_ref(get("case_ref"));
    row.set_crime_area(get("crime_area"));
    row.set_region(absl::AsciiStrToUpper(get("region")));
    if (const std::string err = CheckPlatform(row.type(), get("platform")); !err.empty()) {
      out.errors.push_back(absl::StrCat("line ", rec->line, ": field platform: ", err));
    } else {
      row.set_platform(absl::AsciiStrToLower(get("platform")));
    }
    if (for_ingest) {
      auto tlp = ParseTlp(get("tlp"));
      if (!tlp) {
        out.errors.push_back(absl::StrCat("line ", rec->line,
                                          ": field tlp: expected clear, green, amber, amber+strict or red"));
      } else {
        row.set_tlp(*tlp);
      }
      if (row.case_ref().empty()) {
        out.errors.push_back(absl::StrCat("line ", rec->line, ": field case_ref: empty"));
      }
    }
    out.rows.push_back(std::move(row));
  }
  return out;
}

}  // namespace ifed::cli
