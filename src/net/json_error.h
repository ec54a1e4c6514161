// JSON error responses and the one translation from Status to HTTP.
//
// Every error the HTTP layer sends has the shape
//   {"error": {"code": "not_found", "message": "key SHA256:... not found"}}
// so clients branch on `code` and show `message`. Pure functions,
// thread-safe.
#pragma once

#include <string_view>

#include "base/status.h"
#include "net/http_server.h"

namespace kw::net {

// A response with `status` and the JSON error body. The message is escaped
// by a JSON library; invalid UTF-8 in it is replaced, never an exception.
Response JsonError(int status, std::string_view code, std::string_view message);

// InvalidArgument and OutOfRange 400, Unauthenticated 401, PermissionDenied
// 403, NotFound 404, AlreadyExists and FailedPrecondition 409, Unimplemented
// 501, Unavailable 503, anything else 500; ok is 200.
int HttpStatusOf(const Status& status);

// The snake_case name of the code: "invalid_argument", "not_found", ...,
// "ok" for an ok status.
std::string_view ErrorCodeOf(const Status& status);

// JsonError(HttpStatusOf(s), ErrorCodeOf(s), s.message()).
Response ErrorResponse(const Status& status);

}  // namespace kw::net
