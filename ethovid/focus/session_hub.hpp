#pragma once
// Where the live loop (focus run) and the control server (control_server.hpp) meet. The loop
// publishes the overlay frame, the status and events; the server's handlers read them and post
// commands, which the loop takes once per frame. Every member is safe from any thread; waits end
// early when close() is called, so the server's streaming handlers never hang a shutdown.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <condition_variable>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ethovid/focus/event_record.hpp"

namespace ethovid::focus {

enum class ControlCommand { Start, Pause, Stop, CameraOn, CameraOff, TestIntervention };

struct HubEvent {
  std::uint64_t id = 0;  // 1, 2, 3 ... in publishing order (the SSE id)
  std::string type;      // "state", "intervention", "session"
  nlohmann::json data;
};

struct HubFrame {
  std::uint64_t seq = 0;  // 1, 2, 3 ... per published frame
  std::shared_ptr<const std::vector<unsigned char>> jpeg;
};

class SessionHub {
 public:
  explicit SessionHub(std::size_t event_history = 1000);

  // --- the loop's side
  void publish_frame(std::vector<unsigned char> jpeg);
  void publish_status(nlohmann::json status);
  std::uint64_t publish_event(std::string type, nlohmann::json data);
  std::vector<ControlCommand> take_commands();

  // --- the server's side
  void post_command(ControlCommand command);
  nlohmann::json status() const;  // the last published status ({} before the first)
  // The newest frame when it is newer than `after_seq`, waiting up to `timeout` for one; nullopt
  // on timeout or after close().
  std::optional<HubFrame> wait_frame(std::uint64_t after_seq, std::chrono::milliseconds timeout);
  // Events with id > after_id still in the history (oldest first), waiting up to `timeout`
  // when there are none yet; empty on timeout or after close().
  std::vector<HubEvent> wait_events(std::uint64_t after_id, std::chrono::milliseconds timeout);

  void close();  // wakes every waiter; later waits return at once
  bool closed() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t event_history_;
  bool closed_ = false;
  HubFrame frame_;
  nlohmann::json status_ = nlohmann::json::object();
  std::deque<HubEvent> events_;
  std::uint64_t next_event_id_ = 1;
  std::vector<ControlCommand> commands_;
};

}  // namespace ethovid::focus
