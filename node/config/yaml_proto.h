// YAML written by administrators, mapped onto protobuf messages by
// reflection, so that the .proto file is the schema of the YAML file.
//
// Mapping rules:
//  - A message is a YAML mapping whose keys are the proto field names
//    (snake_case). An unknown key, a duplicate key and a non-scalar key are
//    errors. A key with a null value (`key:`, `key: ~`) leaves the field unset.
//  - A repeated field is a YAML sequence (a scalar is an error); a null
//    element is an error. A map<K, V> field is a YAML mapping.
//  - Integers are plain decimal scalars in range of the field's type (a
//    quoted "5", `-1` for an unsigned field or an overflow is an error).
//    Booleans are `true` / `false` (any case); `yes`, `1`, ... are errors.
//    Strings take any scalar and must be valid UTF-8.
//  - Enums: see FindEnumValue. The zero (UNSPECIFIED) value is refused.
//  - Setting two members of one oneof is an error.
//
// Every error is InvalidArgument, formatted
//   FILE:LINE: field 'a.b[2].c': reason
// with a 1-based line (`FILE:LINE: reason` when no field applies, e.g. a YAML
// syntax error or bytes that are not UTF-8). Input never makes these
// functions crash or throw: binary garbage, tabs used for indentation, huge
// numbers, deep nesting and oversized files are errors.
//
// Thread-safe: no shared state.
#ifndef IFED_CONFIG_YAML_PROTO_H_
#define IFED_CONFIG_YAML_PROTO_H_

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace ifed {

// Largest YAML text accepted (bytes).
inline constexpr size_t kMaxYamlBytes = 16 << 20;

// Where each field was written: field path -> 1-based line. Paths are the ones
// used in error messages: "node_id", "tls.cert", "peers[1]" (the element),
// "peers[1].id", "labels[key]" for a map entry. Only fields present in the
// YAML appear, so it also tells "absent" from "explicitly zero".
using FieldLines = std::map<std::string, int, std::less<>>;

// Parses `yaml_text` into `*out`, which is cleared first. `file_name` is only
// used in error messages. An empty document (or only comments) yields an
// empty message and OK. If `lines` is not null it is cleared and filled as
// described above (also on error, up to the failing field).
absl::Status YamlToProto(std::string_view yaml_text, std::string_view file_name,
                         google::protobuf::Message* out,
                         FieldLines* lines = nullptr);

// Reads the file at `path` and calls YamlToProto with `path` as file name.
// A file that cannot be read gives NotFound / PermissionDenied /
// InvalidArgument (too large, a directory) naming the path.
absl::Status LoadYamlFile(const std::string& path,
                          google::protobuf::Message* out,
                          FieldLines* lines = nullptr);

// The value of `type` that `spelling` names, or nullptr if none does or if it
// names the zero (UNSPECIFIED) value. Matching is ASCII case-insensitive,
// `+` stands for `_`, and the enum's prefix may be omitted or written with a
// colon: the prefix is the zero value's name without "UNSPECIFIED" (Tlp:
// "TLP_", Role: "ROLE_", Disclosure: "DISCLOSURE_", ...). So Tlp TLP_AMBER_STRICT
// is "TLP_AMBER_STRICT", "tlp_amber_strict", "amber_strict", "AMBER+STRICT",
// "TLP:AMBER+STRICT"; Role MEMBER is "member", "ROLE_MEMBER"; IndicatorType
// CRYPTO_WALLET is also "crypto" and "wallet" (node/common/indicator_type.h).
const google::protobuf::EnumValueDescriptor* FindEnumValue(
    const google::protobuf::EnumDescriptor& type, std::string_view spelling);

}  // namespace ifed

#endif  // IFED_CONFIG_YAML_PROTO_H_
