// Private to the HTTP server: one connection's request/response loop.
//
// A session reads a request, hands it to the Handler and reads nothing more
// until the Responder has answered; then it writes the response and, with
// keep-alive, reads the next request. Everything a session does runs on its
// own strand. It stays alive while an I/O operation is pending or while the
// request's Responder is unanswered (the Responder holds it), and no longer.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "net/server_core.h"

namespace kw::net::internal {

// Starts serving an accepted socket (bound to its own strand), plain HTTP.
void StartPlainSession(ServerCore& core, boost::asio::ip::tcp::socket socket);
// Same, after a TLS handshake with `tls` (which outlives the session).
void StartTlsSession(ServerCore& core, boost::asio::ssl::context& tls, boost::asio::ip::tcp::socket socket);

}  // namespace kw::net::internal
