#include "node/config/yaml_proto.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/common/indicator_type.h"
#include "node/common/status_macros.h"

namespace ifed {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Limits against hostile input. Schemas here are not recursive, but the
// mapper is generic (google.protobuf.Struct is), and aliases can make a small
// text expand into many nodes.
constexpr int kMaxMessageDepth = 64;
constexpr long kMaxNodes = 250'000;

// Debian's Abseil has its own string_view; convert explicitly.
absl::string_view AV(std::string_view s) { return {s.data(), s.size()}; }

// --- Text checks before yaml-cpp sees the bytes ----------------------------

struct TextProblem {
  int line;  // 1-based
  std::string reason;
};

// Length of the UTF-8 sequence at s[i], or 0 if it is not valid UTF-8
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned cp;
  if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
  else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
  else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
  if (cp > 0x10FFFF) return 0;
  return n;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// YAML text must be UTF-8 without control characters other than tab, LF, CR.
std::optional<TextProblem> CheckText(std::string_view text) {
  int line = 1;
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') ++line;
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
      return TextProblem{line, absl::StrCat("control character 0x",
                                            absl::Hex(c, absl::kZeroPad2),
                                            " is not allowed in YAML")};
    }
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      return TextProblem{line, "invalid UTF-8 (YAML text must be UTF-8)"};
    }
    i += n;
  }
  return std::nullopt;
}

// The 0-based line `line0` of `text`, for hints on syntax errors.
std::string_view LineOfText(std::string_view text, int line0) {
  size_t pos = 0;
  for (int l = 0; l < line0; ++l) {
    pos = text.find('\n', pos);
    if (pos == std::string_view::npos) return {};
    ++pos;
  }
  const size_t end = text.find('\n', pos);
  return text.substr(pos, end == std::string_view::npos ? end : end - pos);
}

bool HasTabInIndentation(std::string_view line) {
  for (char c : line) {
    if (c == '\t') return true;
    if (c != ' ') return false;
  }
  return false;
}

// --- Scalars -----------------------------------------------------------------

std::string_view KindName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a sequence";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Undefined: break;
  }
  return "nothing";
}

// Numbers and booleans must be plain (unquoted) scalars, as in YAML's core
// schema: "5" in quotes is a string.
absl::Status RequirePlain(const YAML::Node& v, std::string_view what) {
  const std::string& tag = v.Tag();
  if (tag == "?" || tag == "tag:yaml.org,2002:int" ||
      tag == "tag:yaml.org,2002:float" || tag == "tag:yaml.org,2002:bool") {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "expected ", AV(what), ", got the string '", v.Scalar(), "'"));
}

absl::StatusOr<int64_t> ParseSigned(const YAML::Node& v, int64_t min,
                                    int64_t max, std::string_view type) {
  IFED_RETURN_IF_ERROR(RequirePlain(v, "an integer"));
  std::string_view s = v.Scalar();
  if (s.size() > 1 && s[0] == '+' && s[1] != '-') s.remove_prefix(1);
  int64_t x = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (ec == std::errc::result_out_of_range ||
      (ec == std::errc() && p == s.data() + s.size() && (x < min || x > max))) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", v.Scalar(), "' is out of range for ", AV(type), " [",
                     min, ", ", max, "]"));
  }
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected an integer, got '", v.Scalar(), "'"));
  }
  return x;
}

absl::StatusOr<uint64_t> ParseUnsigned(const YAML::Node& v, uint64_t max,
                                       std::string_view type) {
  IFED_RETURN_IF_ERROR(RequirePlain(v, "a non-negative integer"));
  std::string_view s = v.Scalar();
  if (!s.empty() && s[0] == '-') {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", v.Scalar(), "' is negative; ", AV(type), " must be >= 0"));
  }
  if (s.size() > 1 && s[0] == '+') s.remove_prefix(1);
  uint64_t x = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (ec == std::errc::result_out_of_range ||
      (ec == std::errc() && p == s.data() + s.size() && x > max)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", v.Scalar(), "' is out of range for ", AV(type), " (max ", max,
        ")"));
  }
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a non-negative integer, got '", v.Scalar(),
                     "'"));
  }
  return x;
}

absl::StatusOr<double> ParseDouble(const YAML::Node& v, bool is_float) {
  IFED_RETURN_IF_ERROR(RequirePlain(v, "a number"));
  const std::string lower = absl::AsciiStrToLower(v.Scalar());
  if (lower == ".inf" || lower == "+.inf") {
    return std::numeric_limits<double>::infinity();
  }
  if (lower == "-.inf") return -std::numeric_limits<double>::infinity();
  if (lower == ".nan") return std::numeric_limits<double>::quiet_NaN();
  std::string_view s = lower;
  if (s.size() > 1 && s[0] == '+' && s[1] != '-') s.remove_prefix(1);
  double x = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (ec == std::errc::result_out_of_range ||
      (ec == std::errc() && is_float && std::isfinite(x) &&
       std::fabs(x) > std::numeric_limits<float>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", v.Scalar(), "' is out of range for ",
                     is_float ? "float" : "double"));
  }
  if (ec != std::errc() || p != s.data() + s.size() || s.empty() ||
      std::isnan(x) || std::isinf(x)) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a number, got '", v.Scalar(), "'"));
  }
  return x;
}

absl::StatusOr<bool> ParseBool(const YAML::Node& v) {
  IFED_RETURN_IF_ERROR(RequirePlain(v, "true or false"));
  const std::string lower = absl::AsciiStrToLower(v.Scalar());
  if (lower == "true") return true;
  if (lower == "false") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("expected true or false, got '", v.Scalar(), "'"));
}

// "TLP_" for Tlp (zero value TLP_UNSPECIFIED); "" when there is no convention.
std::string EnumPrefix(const EnumDescriptor& type) {
  const EnumValueDescriptor* zero = type.FindValueByNumber(0);
  constexpr std::string_view kUnspecified = "UNSPECIFIED";
  if (zero == nullptr) return "";
  const std::string& name = zero->name();
  if (name.size() < kUnspecified.size() ||
      name.compare(name.size() - kUnspecified.size(), kUnspecified.size(),
                   kUnspecified) != 0) {
    return "";
  }
  return name.substr(0, name.size() - kUnspecified.size());
}

std::string StripPrefix(std::string s, const std::string& prefix) {
  if (!prefix.empty() && s.size() > prefix.size() && s.rfind(prefix, 0) == 0) {
    s.erase(0, prefix.size());
  }
  return s;
}

// "clear, green, amber, amber_strict, red": the short spellings, for errors.
std::string EnumChoices(const EnumDescriptor& type) {
  const std::string prefix = EnumPrefix(type);
  std::vector<std::string> names;
  for (int i = 0; i < type.value_count(); ++i) {
    if (type.value(i)->number() == 0) continue;
    names.push_back(
        absl::AsciiStrToLower(StripPrefix(type.value(i)->name(), prefix)));
  }
  return absl::StrJoin(names, ", ");
}

absl::StatusOr<int> ParseEnum(const YAML::Node& v, const EnumDescriptor& type) {
  const EnumValueDescriptor* value = FindEnumValue(type, v.Scalar());
  if (value != nullptr) return value->number();
  return absl::InvalidArgumentError(
      absl::StrCat("'", v.Scalar(), "' is not a valid ", type.name(),
                   "; expected one of: ", EnumChoices(type)));
}

// Parses scalar `v` for field `f` of `msg` and sets it (or appends it, for a
// repeated field). The error message is the reason only.
absl::Status StoreScalar(const YAML::Node& v, const FieldDescriptor* f,
                         Message* msg) {
  const Reflection* r = msg->GetReflection();
  const bool rep = f->is_repeated();
  constexpr auto i32min = std::numeric_limits<int32_t>::min();
  constexpr auto i32max = std::numeric_limits<int32_t>::max();
  constexpr auto i64min = std::numeric_limits<int64_t>::min();
  constexpr auto i64max = std::numeric_limits<int64_t>::max();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      IFED_ASSIGN_OR_RETURN(const int64_t x,
                            ParseSigned(v, i32min, i32max, "int32"));
      rep ? r->AddInt32(msg, f, x) : r->SetInt32(msg, f, x);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      IFED_ASSIGN_OR_RETURN(const int64_t x,
                            ParseSigned(v, i64min, i64max, "int64"));
      rep ? r->AddInt64(msg, f, x) : r->SetInt64(msg, f, x);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      IFED_ASSIGN_OR_RETURN(
          const uint64_t x,
          ParseUnsigned(v, std::numeric_limits<uint32_t>::max(), "uint32"));
      rep ? r->AddUInt32(msg, f, x) : r->SetUInt32(msg, f, x);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      IFED_ASSIGN_OR_RETURN(
          const uint64_t x,
          ParseUnsigned(v, std::numeric_limits<uint64_t>::max(), "uint64"));
      rep ? r->AddUInt64(msg, f, x) : r->SetUInt64(msg, f, x);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      IFED_ASSIGN_OR_RETURN(const double x, ParseDouble(v, false));
      rep ? r->AddDouble(msg, f, x) : r->SetDouble(msg, f, x);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      IFED_ASSIGN_OR_RETURN(const double x, ParseDouble(v, true));
      const float y = static_cast<float>(x);
      rep ? r->AddFloat(msg, f, y) : r->SetFloat(msg, f, y);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      IFED_ASSIGN_OR_RETURN(const bool x, ParseBool(v));
      rep ? r->AddBool(msg, f, x) : r->SetBool(msg, f, x);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      IFED_ASSIGN_OR_RETURN(const int x, ParseEnum(v, *f->enum_type()));
      rep ? r->AddEnumValue(msg, f, x) : r->SetEnumValue(msg, f, x);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      const std::string& s = v.Scalar();
      if (f->type() == FieldDescriptor::TYPE_STRING && !IsValidUtf8(s)) {
        return absl::InvalidArgumentError("string is not valid UTF-8");
      }
      rep ? r->AddString(msg, f, s) : r->SetString(msg, f, s);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return absl::InternalError("not a scalar field");
}

// --- The walk ------------------------------------------------------------------

class Mapper {
 public:
  Mapper(std::string_view file, std::string_view text, FieldLines* lines)
      : file_(file), text_(text), lines_(lines) {}

  // `node` is the YAML for message `msg` at `path` ("" for the root), written
  // at `line` (1-based).
  absl::Status MapMessage(const YAML::Node& node, const std::string& path,
                          int line, Message* msg, int depth);

  absl::Status Error(int line, std::string_view path,
                     std::string_view reason) const {
    if (path.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(AV(file_), ":", line, ": ", AV(reason)));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        AV(file_), ":", line, ": field '", AV(path), "': ", AV(reason)));
  }

 private:
  absl::Status MapField(const YAML::Node& v, const std::string& path, int line,
                        const FieldDescriptor* f, Message* msg, int depth);
  absl::Status MapRepeated(const YAML::Node& v, const std::string& path,
                           int line, const FieldDescriptor* f, Message* msg,
                           int depth);
  absl::Status MapMapField(const YAML::Node& v, const std::string& path,
                           int line, const FieldDescriptor* f, Message* msg,
                           int depth);
  absl::Status Scalar(const YAML::Node& v, const std::string& path, int line,
                      const FieldDescriptor* f, Message* msg);

  // The 1-based line of `n`, or `fallback` when yaml-cpp has no mark for it.
  int LineOf(const YAML::Node& n, int fallback) const {
    const YAML::Mark m = n.Mark();
    if (m.is_null() || m.line < 0 || m.pos < 0) return fallback;
    if (!n.IsNull()) return m.line + 1;
    // yaml-cpp marks an empty node where the next token starts (`-` of the
    // next element, or the end): the node is on the last non-blank line
    // before that. Marks count bytes after a byte order mark.
    const size_t bom = text_.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
    size_t pos = std::min(text_.size(), static_cast<size_t>(m.pos) + bom);
    while (pos > bom && absl::ascii_isspace(text_[pos - 1])) --pos;
    if (pos == bom) return fallback;
    return 1 + static_cast<int>(std::count(text_.begin(),
                                           text_.begin() + (pos - 1), '\n'));
  }
  void Record(const std::string& path, int line) {
    if (lines_ != nullptr) (*lines_)[path] = line;
  }
  absl::Status Count(int line) {
    if (++nodes_ > kMaxNodes) {
      return Error(line, "", "document too large or too deeply aliased");
    }
    return absl::OkStatus();
  }

  std::string_view file_;
  std::string_view text_;
  FieldLines* lines_;
  long nodes_ = 0;
};

std::string Child(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : absl::StrCat(path, ".", AV(name));
}

absl::Status Mapper::MapMessage(const YAML::Node& node, const std::string& path,
                                int line, Message* msg, int depth) {
  if (depth > kMaxMessageDepth) return Error(line, path, "nested too deeply");
  if (!node.IsMap()) {
    return Error(line, path,
                 absl::StrCat("expected a mapping of ",
                              msg->GetDescriptor()->name(), " fields, got ",
                              AV(KindName(node))));
  }
  const Descriptor* desc = msg->GetDescriptor();
  std::map<std::string, int, std::less<>> seen;  // key -> line
  for (const auto& kv : node) {
    // Copies: yaml-cpp's iterator_value is a temporary; Node is a handle.
    const YAML::Node key = kv.first;
    const YAML::Node value = kv.second;
    const int kline = LineOf(key, line);
    IFED_RETURN_IF_ERROR(Count(kline));
    if (!key.IsScalar()) {
      return Error(kline, path, "keys must be field names (scalars)");
    }
    const std::string fpath = Child(path, key.Scalar());
    if (auto [prev, fresh] = seen.emplace(key.Scalar(), kline); !fresh) {
      return Error(kline, fpath,
                   absl::StrCat("duplicate key (first at line ", prev->second,
                                ")"));
    }
    const FieldDescriptor* f = desc->FindFieldByName(key.Scalar());
    if (f == nullptr) {
      std::vector<std::string> names;
      for (int i = 0; i < desc->field_count(); ++i) {
        names.push_back(desc->field(i)->name());
      }
      return Error(kline, fpath,
                   absl::StrCat("unknown field of ", desc->name(),
                                "; expected one of: ",
                                absl::StrJoin(names, ", ")));
    }
    Record(fpath, kline);
    if (value.IsNull()) continue;  // `key:` or `key: ~` leaves it unset.
    if (const auto* oneof = f->real_containing_oneof();
        oneof != nullptr && msg->GetReflection()->HasOneof(*msg, oneof)) {
      const FieldDescriptor* other =
          msg->GetReflection()->GetOneofFieldDescriptor(*msg, oneof);
      return Error(kline, fpath,
                   absl::StrCat("conflicts with '", other->name(),
                                "' (both in oneof ", oneof->name(), ")"));
    }
    IFED_RETURN_IF_ERROR(MapField(value, fpath, kline, f, msg, depth));
  }
  return absl::OkStatus();
}

absl::Status Mapper::MapField(const YAML::Node& v, const std::string& path,
                              int line, const FieldDescriptor* f, Message* msg,
                              int depth) {
  if (f->is_map()) return MapMapField(v, path, line, f, msg, depth);
  if (f->is_repeated()) return MapRepeated(v, path, line, f, msg, depth);
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    return MapMessage(v, path, line,
                      msg->GetReflection()->MutableMessage(msg, f), depth + 1);
  }
  return Scalar(v, path, line, f, msg);
}

absl::Status Mapper::MapRepeated(const YAML::Node& v, const std::string& path,
                                 int line, const FieldDescriptor* f,
                                 Message* msg, int depth) {
  if (!v.IsSequence()) {
    return Error(line, path,
                 absl::StrCat("expected a sequence (a list), got ",
                              AV(KindName(v))));
  }
  const bool is_message = f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
  for (size_t i = 0; i < v.size(); ++i) {
    const YAML::Node elem = v[i];
    const std::string epath = absl::StrCat(path, "[", i, "]");
    const int eline = LineOf(elem, line);
    IFED_RETURN_IF_ERROR(Count(eline));
    Record(epath, eline);
    if (elem.IsNull()) return Error(eline, epath, "empty list element");
    if (is_message) {
      IFED_RETURN_IF_ERROR(MapMessage(elem, epath, eline,
                                      msg->GetReflection()->AddMessage(msg, f),
                                      depth + 1));
    } else {
      IFED_RETURN_IF_ERROR(Scalar(elem, epath, eline, f, msg));
    }
  }
  return absl::OkStatus();
}

absl::Status Mapper::MapMapField(const YAML::Node& v, const std::string& path,
                                 int line, const FieldDescriptor* f,
                                 Message* msg, int depth) {
  if (!v.IsMap()) {
    return Error(line, path,
                 absl::StrCat("expected a mapping, got ", AV(KindName(v))));
  }
  const FieldDescriptor* key_f = f->message_type()->map_key();
  const FieldDescriptor* value_f = f->message_type()->map_value();
  std::map<std::string, int, std::less<>> seen;
  for (const auto& kv : v) {
    const YAML::Node key = kv.first;
    const YAML::Node value = kv.second;
    const int kline = LineOf(key, line);
    IFED_RETURN_IF_ERROR(Count(kline));
    if (!key.IsScalar()) return Error(kline, path, "map keys must be scalars");
    const std::string epath = absl::StrCat(path, "[", key.Scalar(), "]");
    if (auto [prev, fresh] = seen.emplace(key.Scalar(), kline); !fresh) {
      return Error(kline, epath,
                   absl::StrCat("duplicate key (first at line ", prev->second,
                                ")"));
    }
    Record(epath, kline);
    Message* entry = msg->GetReflection()->AddMessage(msg, f);
    if (absl::Status s = StoreScalar(key, key_f, entry); !s.ok()) {
      return Error(kline, epath, absl::StrCat("key: ", s.message()));
    }
    if (value.IsNull()) return Error(kline, epath, "missing value");
    if (value_f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      IFED_RETURN_IF_ERROR(MapMessage(
          value, epath, kline,
          entry->GetReflection()->MutableMessage(entry, value_f), depth + 1));
    } else {
      IFED_RETURN_IF_ERROR(Scalar(value, epath, kline, value_f, entry));
    }
  }
  return absl::OkStatus();
}

absl::Status Mapper::Scalar(const YAML::Node& v, const std::string& path,
                            int line, const FieldDescriptor* f, Message* msg) {
  const int vline = LineOf(v, line);
  if (!v.IsScalar()) {
    return Error(vline, path,
                 absl::StrCat("expected a scalar, got ", AV(KindName(v))));
  }
  if (absl::Status s = StoreScalar(v, f, msg); !s.ok()) {
    return Error(vline, path, std::string(s.message()));
  }
  return absl::OkStatus();
}

absl::Status SyntaxError(std::string_view file, std::string_view text,
                         const YAML::Exception& e) {
  const int line0 = e.mark.is_null() || e.mark.line < 0 ? 0 : e.mark.line;
  std::string reason = absl::StrCat("YAML syntax error: ", e.msg);
  if (HasTabInIndentation(LineOfText(text, line0)) ||
      (line0 > 0 && HasTabInIndentation(LineOfText(text, line0 - 1)))) {
    absl::StrAppend(&reason, " (tabs are not allowed for indentation)");
  }
  return absl::InvalidArgumentError(
      absl::StrCat(AV(file), ":", line0 + 1, ": ", reason));
}

// Notes whether a document has any content, and where it starts.
class DocumentProbe : public YAML::EventHandler {
 public:
  bool has_content() const { return first_line_ >= 0; }
  int first_line() const { return first_line_ + 1; }  // 1-based

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { Saw(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Saw(m);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Saw(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Saw(m);
  }
  void OnMapEnd() override {}

 private:
  void Saw(const YAML::Mark& m) {
    if (first_line_ < 0) first_line_ = m.line < 0 ? 0 : m.line;
  }
  int first_line_ = -1;
};

// One document with content at most (empty ones around it are fine). Walks
// the documents with a bound: yaml-cpp 0.7 never ends a stream that has stray
// content after a document (a lone ',' or "[a],"), so YAML::LoadAll loops
// forever and exhausts memory. May throw YAML::Exception.
absl::Status CheckSingleDocument(const Mapper& mapper, std::string_view text) {
  constexpr int kMaxDocuments = 64;
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  int with_content = 0;
  int last_line = 1;
  for (int n = 0;; ++n) {
    DocumentProbe probe;
    if (!parser.HandleNextDocument(probe)) return absl::OkStatus();
    if (n == kMaxDocuments) {
      return mapper.Error(last_line, "",
                          "YAML syntax error: unexpected content after the "
                          "document (a stray ',' or ']'?)");
    }
    if (!probe.has_content()) continue;
    last_line = probe.first_line();
    if (++with_content > 1) {
      return mapper.Error(
          last_line, "",
          "more than one YAML document ('---') in the file is not supported");
    }
  }
}

}  // namespace

const EnumValueDescriptor* FindEnumValue(const EnumDescriptor& type,
                                         std::string_view spelling) {
  const std::string prefix = EnumPrefix(type);
  std::string want = absl::AsciiStrToUpper(AV(spelling));
  for (char& c : want) {
    if (c == '+') c = '_';
  }
  // "TLP:AMBER" -> "TLP_AMBER".
  if (prefix.size() > 1) {
    const std::string colon = absl::StrCat(
        absl::string_view(prefix).substr(0, prefix.size() - 1), ":");
    if (want.rfind(colon, 0) == 0) want.replace(0, colon.size(), prefix);
  }
  want = StripPrefix(want, prefix);
  for (int i = 0; i < type.value_count(); ++i) {
    const EnumValueDescriptor* v = type.value(i);
    if (StripPrefix(v->name(), prefix) == want) {
      return v->number() == 0 ? nullptr : v;
    }
  }
  // The indicator type names used everywhere else ("crypto", "wallet").
  if (type.full_name() == "ifed.v1.IndicatorType") {
    if (std::optional<IndicatorType> t = ParseType(spelling)) {
      return type.FindValueByNumber(static_cast<int>(*t));
    }
  }
  return nullptr;
}

absl::Status YamlToProto(std::string_view yaml_text, std::string_view file_name,
                         google::protobuf::Message* out, FieldLines* lines) {
  out->Clear();
  if (lines != nullptr) lines->clear();
  Mapper mapper(file_name, yaml_text, lines);
  if (yaml_text.size() > kMaxYamlBytes) {
    return mapper.Error(1, "", absl::StrCat("file larger than ", kMaxYamlBytes,
                                            " bytes"));
  }
  if (std::optional<TextProblem> p = CheckText(yaml_text)) {
    return mapper.Error(p->line, "", p->reason);
  }
  YAML::Node root;
  try {
    IFED_RETURN_IF_ERROR(CheckSingleDocument(mapper, yaml_text));
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::DeepRecursion& e) {
    return mapper.Error(std::max(e.mark.line, 0) + 1, "",
                        "YAML nested too deeply");
  } catch (const YAML::Exception& e) {
    return SyntaxError(file_name, yaml_text, e);
  } catch (const std::exception& e) {
    return mapper.Error(1, "", absl::StrCat("cannot parse YAML: ", e.what()));
  }
  if (root.IsNull()) return absl::OkStatus();  // Empty: empty message.
  try {
    return mapper.MapMessage(root, "", root.Mark().line + 1, out, 0);
  } catch (const YAML::Exception& e) {
    return mapper.Error(std::max(e.mark.line, 0) + 1, "",
                        absl::StrCat("cannot map YAML: ", e.msg));
  }
}

absl::Status LoadYamlFile(const std::string& path,
                          google::protobuf::Message* out, FieldLines* lines) {
  out->Clear();
  if (lines != nullptr) lines->clear();
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    const int err = errno;
    const std::string msg =
        absl::StrCat(path, ": cannot open: ", std::strerror(err));
    if (err == ENOENT || err == ENOTDIR) return absl::NotFoundError(msg);
    if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(msg);
    return absl::InvalidArgumentError(msg);
  }
  std::string text;
  char buf[64 * 1024];
  int err = 0;
  while (true) {
    const size_t n = std::fread(buf, 1, sizeof buf, f);
    text.append(buf, n);
    if (text.size() > kMaxYamlBytes) break;
    if (n < sizeof buf) {
      if (std::ferror(f)) err = errno;
      break;
    }
  }
  std::fclose(f);
  if (err != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot read: ", std::strerror(err)));
  }
  if (text.size() > kMaxYamlBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": file larger than ", kMaxYamlBytes, " bytes"));
  }
  return YamlToProto(text, path, out, lines);
}

}  // namespace ifed
