// The key center's HTTP/JSON API: every route in one table (api.cc), each a
// thin adapter that authenticates, decodes JSON into the domain's structs,
// calls Center, and encodes the result. Errors are
// {"error": {"code": ..., "message": ...}} with the status of
// net::HttpStatusOf.
//
// Long polls (GET /api/v1/hosts/H/bundle?wait=S&after=REV) are held without a
// thread: a waiter list woken by Center::OnRevision, and a server timer for
// the end of the wait. A change is rendered for the waiting hosts by a wake
// thread of the Api's own, in small batches, each answered as soon as it is
// rendered: the first hosts hear of a revocation after one batch, not after
// all of them, and the server's threads stay free to send the answers and
// take the hosts' next polls meanwhile.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "center/center.h"
#include "net/http_server.h"
#include "net/metrics.h"

namespace kw::center {

struct ApiOptions {
  int max_wait_seconds = 300;  // longest long poll accepted
};

class Api final : public net::Handler {
 public:
  // `center` and `metrics` must outlive the Api.
  Api(Center* center, net::Metrics* metrics, ApiOptions options = {});
  ~Api() override;

  void Handle(net::Request req, net::Responder respond, net::ServerContext& ctx) override;

  int64_t waiting() const;

  struct Waiter;

 private:
  void Wake(int64_t revision);
  void WakeLoop();
  // Answers waiter `id` (if still waiting) with `bundle`, or with its
  // host's bundle read now when null.
  void Finish(int64_t id, bool timed_out, const StatusOr<SignedBundle>* bundle = nullptr);

  Center* center_;
  net::Metrics* metrics_;
  ApiOptions options_;
  mutable std::mutex mu_;
  int64_t next_waiter_ = 1;
  std::map<int64_t, std::shared_ptr<Waiter>> waiters_;
  // The wake thread's work: batches of waiting hosts to render, replaced
  // whole by each newer revision (a newer list covers every waiter).
  std::condition_variable wake_cv_;
  std::vector<std::vector<int64_t>> wake_batches_;
  bool stopping_ = false;
  std::thread waker_;
};

}  // namespace kw::center
