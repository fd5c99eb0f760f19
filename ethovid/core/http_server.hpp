#pragma once
// The cpp-httplib server under ethovid's three servers (`serve`, the focus control server,
// `focus serve`), with what cpp-httplib 0.11 gets wrong for them fixed in one place:
//   - it listens with a backlog of 5: twenty clients connecting at once overflow it, and a
//     connection the kernel completes late may send its request only after the server gave up
//     waiting; Linux lets listen() be called again on a listening socket to widen it;
//   - its default socket options include SO_REUSEPORT, which lets a second server bind a port
//     already served and take half its connections; SO_REUSEADDR alone only skips TIME_WAIT;
//   - stop() does nothing until the listening loop runs, and a socket bound but never served is
//     closed only at the end of the process.
#include <atomic>
#include <string>

#include <httplib.h>

namespace ethovid::core {

class HttpServer : public httplib::Server {
 public:
  HttpServer();

  // Binds host:port (0: any free port) and returns the port. ConfigError "<what> cannot listen on
  // HOST:PORT (in use, or not an address of this machine)".
  int bind_listener(const std::string& host, int port, const std::string& what);
  // Serves until stop_listening(), on the calling thread; false when listening failed.
  bool listen_until_stopped();
  // Safe from any thread, before, during or after the start of listening; idempotent.
  void stop_listening();

 private:
  std::atomic<bool> stopping_{false};
  std::atomic<bool> serving_{false};  // listen_until_stopped() is in (or about to enter) the loop
};

}  // namespace ethovid::core
