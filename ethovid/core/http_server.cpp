#include "ethovid/core/http_server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "ethovid/core/error.hpp"

namespace ethovid::core {

HttpServer::HttpServer() {
  set_socket_options([](socket_t sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
}

int HttpServer::bind_listener(const std::string& host, int port, const std::string& what) {
  int bound = 0;
  if (port == 0) {
    bound = bind_to_any_port(host);
  } else if (port > 0 && port <= 65535 && bind_to_port(host, port)) {
    bound = port;
  }
  if (bound <= 0) {
    throw ConfigError(what + " cannot listen on " + host + ":" + std::to_string(port) +
                      " (in use, or not an address of this machine)");
  }
  ::listen(svr_sock_, SOMAXCONN);
  return bound;
}

bool HttpServer::listen_until_stopped() {
  // With stop_listening(): whichever of the two stores comes second sees the other's, so a stop
  // before, during or after the start of listening always ends it.
  serving_ = true;
  const bool ok = stopping_ || listen_after_bind();
  serving_ = false;
  return ok;
}

void HttpServer::stop_listening() {
  stopping_ = true;
  while (serving_ && !is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop();
  const socket_t sock = svr_sock_.exchange(INVALID_SOCKET);  // bound, never served
  if (sock != INVALID_SOCKET) ::close(sock);
}

}  // namespace ethovid::core
