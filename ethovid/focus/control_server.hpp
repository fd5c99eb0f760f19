#pragma once
// The focus stage's local control server (issue 12 §3), on cpp-httplib, reading and driving a
// SessionHub:
//
//   GET  /ui                   the page (ui_page.hpp), served from the binary
//   GET  /                     redirects to /ui (keeping the query, i.e. the token)
//   GET  /stream               MJPEG (multipart/x-mixed-replace) of the published frames
//   GET  /status               the last published status, as JSON
//   GET  /events               Server-Sent Events (id:, event: type, data: JSON); resumes after
//                              Last-Event-ID; `?from=now` starts after the newest event
//   POST /session/start|pause|stop, /camera/on|off, /intervention/test
//                              posts the ControlCommand -> 202 {"accepted": "start"} etc.
//
// Security of a server on the user's own machine, which any web page the user opens can send
// requests to:
//   - it binds loopback unless told otherwise; a non-loopback host needs a token, and with a
//     token EVERY request must carry it: `Authorization: Bearer T` or `?token=T` (an <img> or an
//     EventSource cannot set headers). 401 without one, 403 with a wrong one.
//   - a Host header that is neither the bound address nor localhost / 127.0.0.1 / [::1] with
//     the bound port is refused (403): that is how a DNS-rebinding page would arrive.
//   - a POST needs `Content-Type: application/json` or the token (403): a cross-site form cannot
//     send that type without a CORS preflight, and the server answers no CORS.
//   - bodies over 64 KiB get 413; at most 8 streams (/stream and /events together) are open at
//     once, more get 503, so there are always threads left for /status and the buttons.
// Every error body is {"error": ..., "kind": ...}.
#include <memory>
#include <string>

#include "ethovid/focus/session_hub.hpp"

namespace ethovid::focus {

struct ControlServerOptions {
  std::string host = "127.0.0.1";  // loopback unless asked
  int port = 8001;                 // 0: any free port (bind() says which)
  std::string token;               // required when host is not loopback
};

class ControlServer {
 public:
  ControlServer(SessionHub& hub, ControlServerOptions options);
  ~ControlServer();  // stop()
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds the listening socket and returns the port. ConfigError when it cannot, when the host
  // is not loopback and there is no token, or when the token has characters a header cannot
  // carry.
  int bind();
  // Serves on a background thread until stop(); bind() first.
  void start();
  // Safe from any thread, idempotent; open streams end within a quarter of a second.
  void stop();

  int port() const;  // 0 before bind()
  // The page's address, e.g. http://127.0.0.1:8001/ui (with ?token=... when there is a token),
  // for the line `focus run` prints.
  std::string ui_url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(const std::string& host);

}  // namespace ethovid::focus
