#include "net/json_error.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace kw::net {
namespace {

TEST(JsonError, HasTheErrorShape) {
  Response r = JsonError(404, "not_found", "key \"a\\b\"\nnot found");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"]["code"], "not_found");
  EXPECT_EQ(j["error"]["message"], "key \"a\\b\"\nnot found");
  EXPECT_EQ(j.size(), 1u);
  EXPECT_EQ(j["error"].size(), 2u);
}

TEST(JsonError, InvalidUtf8IsReplacedNotThrown) {
  Response r = JsonError(400, "invalid_argument", std::string("bad \xff\xfe byte"));
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"]["message"], "bad \xEF\xBF\xBD\xEF\xBF\xBD byte");
}

TEST(HttpStatusOf, MapsEveryCode) {
  struct Case {
    Status status;
    int http;
    std::string_view code;
  };
  const Case cases[] = {
      {OkStatus(), 200, "ok"},
      {InvalidArgumentError("x"), 400, "invalid_argument"},
      {OutOfRangeError("x"), 400, "out_of_range"},
      {UnauthenticatedError("x"), 401, "unauthenticated"},
      {PermissionDeniedError("x"), 403, "permission_denied"},
      {NotFoundError("x"), 404, "not_found"},
      {AlreadyExistsError("x"), 409, "already_exists"},
      {FailedPreconditionError("x"), 409, "failed_precondition"},
      {UnimplementedError("x"), 501, "unimplemented"},
      {UnavailableError("x"), 503, "unavailable"},
      {DataLossError("x"), 500, "data_loss"},
      {InternalError("x"), 500, "internal"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(HttpStatusOf(c.status), c.http) << c.status.ToString();
    EXPECT_EQ(ErrorCodeOf(c.status), c.code) << c.status.ToString();
  }
}

TEST(ErrorResponse, TranslatesAStatus) {
  Response r = ErrorResponse(NotFoundError("user alice not found"));
  EXPECT_EQ(r.status, 404);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"]["code"], "not_found");
  EXPECT_EQ(j["error"]["message"], "user alice not found");
}

}  // namespace
}  // namespace kw::net
