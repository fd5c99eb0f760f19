#include "ethovid/focus/control_server.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <set>
#include <thread>

#include "ethovid/core/error.hpp"
#include "ethovid/core/http_server.hpp"
#include "ethovid/core/percent_encode.hpp"
#include "ethovid/focus/ui_page.hpp"

namespace ethovid::focus {

namespace {

using Json = nlohmann::json;

// How long a streaming handler waits for the hub before it looks at stop() again: the bound on
// how long stop() takes with streams open.
constexpr auto kStreamWait = std::chrono::milliseconds(250);
// A stream with nothing new sends something this often (the last frame again, an SSE comment),
// because only a failed write tells that the client has gone and its thread may be freed.
constexpr auto kStreamIdle = std::chrono::seconds(2);
constexpr int kHttpThreads = 16;
constexpr int kMaxStreams = 8;  // leaves kHttpThreads - kMaxStreams threads for everything else
constexpr std::size_t kMaxBody = 64 * 1024;
constexpr const char* kBoundary = "ethovid-focus-frame";

std::string to_text(const Json& value) {
  // Status text may hold bytes that are not UTF-8 (a file name): replace them, never fail.
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void reply(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(to_text(body) + "\n", "application/json");
}

void reply_error(httplib::Response& res, int status, const std::string& kind,
                 const std::string& message) {
  reply(res, status, {{"error", message}, {"kind", kind}});
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// An address literal in its one canonical spelling ("0:0::1" and "::1" are the same host), any
// other name in lower case; brackets around an IPv6 literal are dropped.
std::string canonical_host(std::string host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  char text[INET6_ADDRSTRLEN] = {};
  in_addr v4{};
  in6_addr v6{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1 &&
      ::inet_ntop(AF_INET, &v4, text, sizeof text)) {
    return text;
  }
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1 &&
      ::inet_ntop(AF_INET6, &v6, text, sizeof text)) {
    return text;
  }
  return lower(host);
}

bool is_wildcard_host(const std::string& host) {
  const std::string h = canonical_host(host);
  return h.empty() || h == "0.0.0.0" || h == "::";
}

// The names a browser on this machine may put in the Host header: the bound address, and the
// loopback names. A server bound to every address also answers to each address of this
// machine and to its host name.
std::set<std::string> allowed_host_names(const std::string& host) {
  std::set<std::string> names = {"localhost", "127.0.0.1", "::1"};
  if (!is_wildcard_host(host)) {
    names.insert(canonical_host(host));
    return names;
  }
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) == 0) {
    for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
      if (entry->ifa_addr == nullptr) continue;
      char text[INET6_ADDRSTRLEN] = {};
      const int family = entry->ifa_addr->sa_family;
      const void* address = nullptr;
      if (family == AF_INET) {
        address = &reinterpret_cast<const sockaddr_in*>(entry->ifa_addr)->sin_addr;
      } else if (family == AF_INET6) {
        address = &reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr)->sin6_addr;
      }
      if (address != nullptr && ::inet_ntop(family, address, text, sizeof text)) {
        names.insert(text);
      }
    }
    ::freeifaddrs(list);
  }
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) == 0 && name[0] != '\0') names.insert(lower(name));
  return names;
}

// Splits a Host header ("name", "name:port", "[v6]" or "[v6]:port") into its name and port;
// the port is -1 when absent and 0 when it is not a port number.
std::pair<std::string, int> split_host_header(const std::string& value) {
  std::string name = value;
  std::string port;
  bool has_port = false;
  if (!value.empty() && value.front() == '[') {
    const auto close = value.find(']');
    if (close == std::string::npos) return {value, 0};
    name = value.substr(1, close - 1);
    if (close + 1 < value.size()) {
      if (value[close + 1] != ':') return {name, 0};
      has_port = true;
      port = value.substr(close + 2);
    }
  } else if (const auto colon = value.find(':'); colon != std::string::npos) {
    if (value.find(':', colon + 1) != std::string::npos) return {value, 0};  // v6 needs brackets
    name = value.substr(0, colon);
    has_port = true;
    port = value.substr(colon + 1);
  }
  if (!has_port) return {name, -1};
  const bool digits =
      !port.empty() && port.size() <= 5 &&
      std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); });
  return {name, digits ? std::stoi(port) : 0};
}

// Compares in time that does not depend on where the two differ, so a wrong token tells an
// attacker nothing about the right one.
bool same_secret(const std::string& given, const std::string& expected) {
  if (expected.empty()) return given.empty();
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ expected[i % expected.size()]);
  }
  return diff == 0;
}

// The media type of a Content-Type header, without its parameters, in lower case.
std::string media_type(const std::string& content_type) {
  std::string type = lower(content_type.substr(0, content_type.find(';')));
  const auto first = type.find_first_not_of(" \t");
  const auto last = type.find_last_not_of(" \t");
  return first == std::string::npos ? "" : type.substr(first, last - first + 1);
}

struct Action {
  ControlCommand command;
  const char* name;  // what the 202 reply says was accepted
};

}  // namespace

bool is_loopback_host(const std::string& host) {
  const std::string h = canonical_host(host);
  if (h == "localhost") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

struct ControlServer::Impl {
  SessionHub& hub;
  ControlServerOptions options;
  core::HttpServer http;
  std::thread thread;
  int port = 0;
  std::set<std::string> allowed_hosts;
  std::atomic<bool> stopping{false};  // ends the open streams
  std::atomic<int> open_streams{0};

  Impl(SessionHub& h, ControlServerOptions o) : hub(h), options(std::move(o)) {
    http.new_task_queue = [] { return new httplib::ThreadPool(kHttpThreads); };
    http.set_keep_alive_timeout(1);  // idle connections must not hold up stop()
    http.set_payload_max_length(kMaxBody);
    // Sent with every answer: nothing here may be framed, sniffed, embedded by another site's
    // page (an <img> of /stream elsewhere) or leak the token in a Referer.
    http.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                              {"Cross-Origin-Resource-Policy", "same-origin"},
                              {"Referrer-Policy", "no-referrer"},
                              {"X-Frame-Options", "DENY"},
                              {"Cache-Control", "no-store"}});
    routes();
  }

  void routes() {
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      return guard(req, res) ? httplib::Server::HandlerResponse::Unhandled
                             : httplib::Server::HandlerResponse::Handled;
    });
    http.Get("/", [](const httplib::Request& req, httplib::Response& res) {
      const std::string query =
          req.has_param("token") ? "?token=" + core::percent_encode(req.get_param_value("token")) : "";
      res.set_redirect("/ui" + query);
    });
    http.Get("/ui", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("Content-Security-Policy",
                     "default-src 'none'; img-src 'self'; connect-src 'self'; "
                     "script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                     "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
      res.set_content(std::string(ui_page_html()), "text/html; charset=utf-8");
    });
    // The page's icon, so the browser does not ask for /favicon.ico and log a 404.
    http.Get("/favicon.svg", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(
          "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'>"
          "<circle cx='8' cy='8' r='7' fill='#2e9e5b'/><circle cx='8' cy='8' r='3' "
          "fill='#fff'/></svg>",
          "image/svg+xml");
    });
    http.Get("/status", [this](const httplib::Request&, httplib::Response& res) {
      reply(res, 200, hub.status());
    });
    http.Get("/stream",
             [this](const httplib::Request&, httplib::Response& res) { stream_frames(res); });
    http.Get("/events", [this](const httplib::Request& req, httplib::Response& res) {
      stream_events(req, res);
    });
    http.Post(R"(/session/(start|pause|stop))", [this](const httplib::Request& req,
                                                       httplib::Response& res) {
      const std::string what = req.matches[1];
      const ControlCommand command = what == "start"   ? ControlCommand::Start
                                     : what == "pause" ? ControlCommand::Pause
                                                       : ControlCommand::Stop;
      act(req, res, {command, what == "start" ? "start" : what == "pause" ? "pause" : "stop"});
    });
    http.Post(R"(/camera/(on|off))", [this](const httplib::Request& req, httplib::Response& res) {
      const bool on = std::string(req.matches[1]) == "on";
      act(req, res,
          on ? Action{ControlCommand::CameraOn, "camera_on"}
             : Action{ControlCommand::CameraOff, "camera_off"});
    });
    http.Post("/intervention/test", [this](const httplib::Request& req, httplib::Response& res) {
      act(req, res, {ControlCommand::TestIntervention, "test_intervention"});
    });
    http.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr failure) {
          try {
            std::rethrow_exception(failure);
          } catch (const std::exception& e) {
            reply_error(res, 500, "ComputationError", e.what());
          }
        });
    // What httplib refuses itself (no route 404, a body over the limit 413) gets a JSON body too.
    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      if (res.status == 413) {
        return reply_error(
            res, 413, "PayloadTooLarge",
            "the request body is over the limit of " + std::to_string(kMaxBody) + " bytes");
      }
      if (res.status == 404) {
        return reply_error(res, 404, "NotFound",
                           req.method + " " + req.path + " is not part of this API");
      }
      reply_error(res, res.status, "BadRequest",
                  "HTTP " + std::to_string(res.status) + " for " + req.method + " " + req.path);
    });
  }

  // The checks every request passes before its route runs (see the header). False: refused,
  // with the answer in `res`.
  bool guard(const httplib::Request& req, httplib::Response& res) {
    const std::string host = req.get_header_value("Host");
    if (!allowed_host(host)) {
      reply_error(res, 403, "AccessError",
                  "Host '" + host + "' is not this server's address (" + options.host + ":" +
                      std::to_string(port) + ") nor localhost on its port");
      return false;
    }
    // A page of another site posting here through the user's browser says so in Origin.
    if (req.has_header("Origin")) {
      const std::string origin = req.get_header_value("Origin");
      const std::string prefix = "http://";
      if (origin.rfind(prefix, 0) != 0 || !allowed_host(origin.substr(prefix.size()))) {
        reply_error(res, 403, "AccessError",
                    "requests from the page of origin '" + origin + "' are refused");
        return false;
      }
    }
    if (!options.token.empty()) {
      std::string given;
      const std::string auth = req.get_header_value("Authorization");
      if (lower(auth.substr(0, 7)) == "bearer ") {
        given = auth.substr(7);
        given.erase(0, given.find_first_not_of(' '));
      } else if (req.has_param("token")) {
        given = req.get_param_value("token");
      } else {
        res.set_header("WWW-Authenticate", "Bearer");
        reply_error(res, 401, "AccessError",
                    "this server needs its token: 'Authorization: Bearer TOKEN' or '?token=TOKEN'");
        return false;
      }
      if (!same_secret(given, options.token)) {
        reply_error(res, 403, "AccessError", "the token does not match");
        return false;
      }
      return true;  // the token is proof enough for a POST too
    }
    if (req.method == "POST" &&
        media_type(req.get_header_value("Content-Type")) != "application/json") {
      reply_error(res, 403, "AccessError",
                  "a POST needs 'Content-Type: application/json' (it has '" +
                      req.get_header_value("Content-Type") + "')");
      return false;
    }
    return true;
  }

  bool allowed_host(const std::string& header) const {
    if (header.empty()) return false;
    const auto [name, header_port] = split_host_header(header);
    const bool port_ok = header_port == port || (header_port == -1 && port == 80);
    return port_ok && allowed_hosts.count(canonical_host(name)) > 0;
  }

  void act(const httplib::Request& req, httplib::Response& res, const Action& action) {
    if (!req.body.empty()) {
      // The body is not used yet, but what is sent must be what the content type says.
      const Json body = Json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object()) {
        return reply_error(res, 400, "FormatError",
                           "the request body must be a JSON object, e.g. {}");
      }
    }
    hub.post_command(action.command);
    reply(res, 202, {{"accepted", action.name}});
  }

  // A slot among the kMaxStreams streams; false (and 503 in `res`) when all are taken.
  bool open_stream(httplib::Response& res, const std::string& what) {
    if (++open_streams > kMaxStreams) {
      --open_streams;
      reply_error(res, 503, "BusyError",
                  std::to_string(kMaxStreams) +
                      " streams are open already; close one or poll GET /status instead of " +
                      what);
      return false;
    }
    return true;
  }

  void stream_frames(httplib::Response& res) {
    if (!open_stream(res, "/stream")) return;
    struct State {
      std::uint64_t seq = 0;
      std::shared_ptr<const std::vector<unsigned char>> last;
      std::chrono::steady_clock::time_point sent;
    };
    auto state = std::make_shared<State>();
    res.set_chunked_content_provider(
        std::string("multipart/x-mixed-replace; boundary=") + kBoundary,
        [this, state](std::size_t, httplib::DataSink& sink) {
          // httplib calls this outside its own exception handling: nothing may escape.
          try {
            return send_frame(*state, sink);
          } catch (...) {
            return false;
          }
        },
        [this](bool) { --open_streams; });
  }

  template <typename State>
  bool send_frame(State& state, httplib::DataSink& sink) {
    if (stopping) return false;
    const auto frame = hub.wait_frame(state.seq, kStreamWait);
    std::shared_ptr<const std::vector<unsigned char>> jpeg;
    if (frame && frame->jpeg) {
      state.seq = frame->seq;
      jpeg = frame->jpeg;
    } else if (hub.closed()) {
      const std::string end = std::string("--") + kBoundary + "--\r\n";
      sink.write(end.data(), end.size());
      sink.done();
      return true;
    } else if (state.last && std::chrono::steady_clock::now() - state.sent > kStreamIdle) {
      jpeg = state.last;  // nothing new: the same frame again finds a client that has gone
    } else {
      return true;
    }
    const std::string head =
        std::string("--") + kBoundary +
        "\r\nContent-Type: image/jpeg\r\nContent-Length: " + std::to_string(jpeg->size()) +
        "\r\n\r\n";
    if (!sink.write(head.data(), head.size())) return false;
    if (!sink.write(reinterpret_cast<const char*>(jpeg->data()), jpeg->size())) return false;
    if (!sink.write("\r\n", 2)) return false;
    state.last = std::move(jpeg);
    state.sent = std::chrono::steady_clock::now();
    return true;
  }

  void stream_events(const httplib::Request& req, httplib::Response& res) {
    std::uint64_t after = 0;
    if (req.has_header("Last-Event-ID")) {
      const std::string text = req.get_header_value("Last-Event-ID");
      if (text.empty() || text.size() > 19 ||
          !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
        return reply_error(res, 400, "FormatError",
                           "Last-Event-ID must be an event number, not '" + text + "'");
      }
      after = std::stoull(text);
    } else if (req.get_param_value("from") == "now") {
      const auto history = hub.wait_events(0, std::chrono::milliseconds(0));
      if (!history.empty()) after = history.back().id;
    }
    if (!open_stream(res, "/events")) return;
    struct State {
      std::uint64_t after = 0;
      bool started = false;
      std::chrono::steady_clock::time_point sent;
    };
    auto state = std::make_shared<State>();
    state->after = after;
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, state](std::size_t, httplib::DataSink& sink) {
          try {
            return send_events(*state, sink);
          } catch (...) {
            return false;
          }
        },
        [this](bool) { --open_streams; });
  }

  template <typename State>
  bool send_events(State& state, httplib::DataSink& sink) {
    if (stopping) return false;
    std::string text;
    if (!state.started) {
      text = "retry: 1000\n\n";  // how soon a browser reconnects after the stream ends
      state.started = true;
    }
    const auto events =
        hub.wait_events(state.after, text.empty() ? kStreamWait : std::chrono::milliseconds(0));
    for (const auto& event : events) {
      text += "id: " + std::to_string(event.id) + "\nevent: " + event.type +
              "\ndata: " + to_text(event.data) + "\n\n";
      state.after = event.id;
    }
    if (text.empty() && hub.closed()) {
      sink.done();
      return true;
    }
    if (text.empty() && std::chrono::steady_clock::now() - state.sent > kStreamIdle) {
      text = ": keep-alive\n\n";  // a comment: browsers ignore it, a gone client fails the write
    }
    if (text.empty()) return true;
    if (!sink.write(text.data(), text.size())) return false;
    state.sent = std::chrono::steady_clock::now();
    return true;
  }
};

ControlServer::ControlServer(SessionHub& hub, ControlServerOptions options)
    : impl_(std::make_unique<Impl>(hub, std::move(options))) {}

ControlServer::~ControlServer() { stop(); }

int ControlServer::bind() {
  const auto& o = impl_->options;
  if (!is_loopback_host(o.host) && o.token.empty()) {
    throw ConfigError(
        "the control server would listen on " + o.host +
        ", which is not loopback, without a token: give a token (--token) or use 127.0.0.1");
  }
  for (const unsigned char c : o.token) {
    if (c < 0x21 || c > 0x7e) {
      throw ConfigError(
          "the control server's token may hold only visible ASCII characters, not byte " +
          std::to_string(static_cast<int>(c)));
    }
  }
  if (o.port < 0 || o.port > 65535) {
    throw ConfigError("the control server's port must be 0..65535, not " + std::to_string(o.port));
  }
  const int port = impl_->http.bind_listener(o.host, o.port, "the control server");
  impl_->port = port;
  impl_->allowed_hosts = allowed_host_names(o.host);
  return port;
}

void ControlServer::start() {
  if (impl_->port == 0) throw ConfigError("the control server must bind() before start()");
  if (impl_->thread.joinable()) return;
  impl_->thread = std::thread([impl = impl_.get()] { impl->http.listen_until_stopped(); });
}

void ControlServer::stop() {
  impl_->stopping = true;
  impl_->http.stop_listening();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int ControlServer::port() const { return impl_->port; }

std::string ControlServer::ui_url() const {
  const auto& o = impl_->options;
  std::string host = is_wildcard_host(o.host) ? "127.0.0.1" : o.host;
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  std::string url = "http://" + host + ":" + std::to_string(impl_->port) + "/ui";
  if (!o.token.empty()) url += "?token=" + core::percent_encode(o.token);
  return url;
}

}  // namespace ethovid::focus
