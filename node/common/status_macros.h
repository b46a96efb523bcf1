// Status propagation helpers. Debian 12's Abseil (20220623) has
// absl::Status/StatusOr but no macros: this is the project's single pair.
#ifndef IFED_COMMON_STATUS_MACROS_H_
#define IFED_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define IFED_CONCAT_INNER_(a, b) a##b
#define IFED_CONCAT_(a, b) IFED_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the enclosing function if it is not OK.
#define IFED_RETURN_IF_ERROR(expr)                  \
  do {                                              \
    ::absl::Status ifed_status_ = (expr);           \
    if (!ifed_status_.ok()) return ifed_status_;    \
  } while (0)

// `lhs = *expr` if OK, else returns its status from the enclosing function.
#define IFED_ASSIGN_OR_RETURN(lhs, expr) \
  IFED_ASSIGN_OR_RETURN_IMPL_(IFED_CONCAT_(ifed_statusor_, __LINE__), lhs, expr)
#define IFED_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

#endif  // IFED_COMMON_STATUS_MACROS_H_
