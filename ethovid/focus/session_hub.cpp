#include "ethovid/focus/session_hub.hpp"

#include <algorithm>
#include <utility>

namespace ethovid::focus {

// A history of at least one event, so that a stream that reconnects right after an event
// still finds it.
SessionHub::SessionHub(std::size_t event_history)
    : event_history_(std::max<std::size_t>(event_history, 1)) {}

void SessionHub::publish_frame(std::vector<unsigned char> jpeg) {
  // The JPEG is shared with every stream that sends it, so a slow client never copies or holds
  // the lock while it writes.
  auto shared = std::make_shared<const std::vector<unsigned char>>(std::move(jpeg));
  {
    std::lock_guard lock(mutex_);
    frame_.seq += 1;
    frame_.jpeg = std::move(shared);
  }
  changed_.notify_all();
}

void SessionHub::publish_status(nlohmann::json status) {
  std::lock_guard lock(mutex_);
  status_ = std::move(status);
}

std::uint64_t SessionHub::publish_event(std::string type, nlohmann::json data) {
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = next_event_id_++;
    events_.push_back(HubEvent{id, std::move(type), std::move(data)});
    while (events_.size() > event_history_) events_.pop_front();
  }
  changed_.notify_all();
  return id;
}

std::vector<ControlCommand> SessionHub::take_commands() {
  std::lock_guard lock(mutex_);
  std::vector<ControlCommand> taken;
  taken.swap(commands_);
  return taken;
}

void SessionHub::post_command(ControlCommand command) {
  std::lock_guard lock(mutex_);
  commands_.push_back(command);
}

nlohmann::json SessionHub::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

std::optional<HubFrame> SessionHub::wait_frame(std::uint64_t after_seq,
                                               std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const bool ready =
      changed_.wait_for(lock, timeout, [&] { return closed_ || frame_.seq > after_seq; });
  if (!ready || closed_) return std::nullopt;
  return frame_;
}

std::vector<HubEvent> SessionHub::wait_events(std::uint64_t after_id,
                                              std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  // Events published before close() are still handed out (at once, without waiting), so a
  // stream gets the loop's last words, e.g. the session's STOPPED, before it ends.
  changed_.wait_for(lock, timeout,
                    [&] { return closed_ || (!events_.empty() && events_.back().id > after_id); });
  std::vector<HubEvent> out;
  for (const auto& event : events_) {
    if (event.id > after_id) out.push_back(event);
  }
  return out;
}

void SessionHub::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

bool SessionHub::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

}  // namespace ethovid::focus
