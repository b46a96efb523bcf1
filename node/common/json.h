// JSON string escaping, shared by the JSON log lines and the audit events
// (whose bytes are hashed: the escaping is part of the audit format).
#ifndef IFED_COMMON_JSON_H_
#define IFED_COMMON_JSON_H_

#include <string>
#include <string_view>

namespace ifed {

// Escapes `"`, `\`, and control characters (incl. DEL) for a JSON string.
std::string JsonEscape(std::string_view s);

}  // namespace ifed

#endif  // IFED_COMMON_JSON_H_
