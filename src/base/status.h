// Status and StatusOr<T>: errors as values (no exceptions across our code).
//
// A deliberately small cousin of absl::Status. A Status is a code and a
// message; messages about text name the place ("keys.pub:3: ..."), and
// callers add context with WithContext() as the error travels up. Edges
// translate once: to_exit_code() in the CLI, later to HTTP and PAM results.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace kw {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // malformed input: a parse error, a bad flag
  kNotFound,           // a file, key or entry that does not exist
  kAlreadyExists,      // refusing to overwrite
  kPermissionDenied,   // file modes, authorization
  kFailedPrecondition, // e.g. a key that needs a passphrase
  kUnauthenticated,    // wrong passphrase, bad signature
  kOutOfRange,         // a value outside what the format allows
  kUnimplemented,      // a format feature we deliberately do not support
  kUnavailable,        // a peer that cannot be reached
  kDataLoss,           // corrupt data on disk
  kInternal,           // a bug or a library failure
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "CODE: message", for logs and tests.
  std::string ToString() const;

  // Returns a copy whose message is "prefix: message" (no-op when ok).
  Status WithContext(std::string_view prefix) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
inline Status InvalidArgumentError(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExistsError(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status PermissionDeniedError(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
inline Status FailedPreconditionError(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status UnauthenticatedError(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
inline Status OutOfRangeError(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status UnimplementedError(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status DataLossError(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// StatusOr<T>: either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const Status& status) : status_(status) { assert(!status_.ok()); Normalize(); }
  StatusOr(Status&& status) : status_(std::move(status)) { assert(!status_.ok()); Normalize(); }
  StatusOr(const T& value) : value_(value) {}
  StatusOr(T&& value) : value_(std::move(value)) {}
  template <typename U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
             !std::is_same_v<std::decay_t<U>, Status> && !std::is_same_v<std::decay_t<U>, StatusOr>)
  StatusOr(U&& value) : value_(T(std::forward<U>(value))) {}

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void Normalize() {
    if (status_.ok()) status_ = InternalError("StatusOr constructed from an ok Status");
  }
  Status status_;
  std::optional<T> value_;
};

namespace internal {
inline const Status& GetStatus(const Status& s) { return s; }
template <typename T>
const Status& GetStatus(const StatusOr<T>& s) { return s.status(); }
}  // namespace internal

}  // namespace kw

#define KW_CONCAT_INNER_(a, b) a##b
#define KW_CONCAT_(a, b) KW_CONCAT_INNER_(a, b)

// KW_RETURN_IF_ERROR(expr): returns the Status of expr (a Status or StatusOr) if not ok.
// (The temporary's name is unique per use, so uses may nest: a lambda
// using it inside the expression of another.)
#define KW_RETURN_IF_ERROR(expr) KW_RETURN_IF_ERROR_IMPL_(KW_CONCAT_(kw_status_or_, __COUNTER__), expr)
#define KW_RETURN_IF_ERROR_IMPL_(tmp, expr)              \
  do {                                                   \
    const auto& tmp = (expr);                            \
    if (!::kw::internal::GetStatus(tmp).ok())            \
      return ::kw::internal::GetStatus(tmp);             \
  } while (0)

// KW_ASSIGN_OR_RETURN(lhs, expr): lhs = value of a StatusOr, or return its error.
#define KW_ASSIGN_OR_RETURN(lhs, expr) \
  KW_ASSIGN_OR_RETURN_IMPL_(KW_CONCAT_(kw_statusor_, __LINE__), lhs, expr)
#define KW_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
