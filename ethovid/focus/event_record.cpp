#include "ethovid/focus/event_record.hpp"

namespace ethovid::focus {

std::string session_mode_name(SessionMode mode) {
  switch (mode) {
    case SessionMode::Running:
      return "RUNNING";
    case SessionMode::Paused:
      return "PAUSED";
    case SessionMode::Stopped:
      return "STOPPED";
  }
  return "?";
}

}  // namespace ethovid::focus
