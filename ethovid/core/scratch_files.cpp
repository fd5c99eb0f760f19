#include "ethovid/core/scratch_files.hpp"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>
#include <system_error>

namespace ethovid::core {

namespace fs = std::filesystem;

namespace {

// Fixed slots, because the signal handler may neither lock nor allocate. A slot is claimed
// (kBusy) while its path is copied in, and published (kFile/kFolder) only once complete.
enum SlotState : int { kFree = 0, kBusy = 1, kFile = 2, kFolder = 3 };
constexpr int kSlots = 256;

struct Slot {
  std::atomic<int> state{kFree};
  char path[PATH_MAX];
};

std::array<Slot, kSlots>& slots() {
  static std::array<Slot, kSlots> table;
  return table;
}

// The process id in a name "<...>.tmp-<pid>-<random>", or -1 when it has none.
long pid_in_name(const std::string& name) {
  const std::size_t at = name.find(".tmp-");
  if (at == std::string::npos) return -1;
  const std::size_t start = at + 5;
  const std::size_t dash = name.find('-', start);
  if (dash == std::string::npos || dash == start) return -1;
  long pid = 0;
  for (std::size_t i = start; i < dash; ++i) {
    if (name[i] < '0' || name[i] > '9' || pid > 1'000'000'000) return -1;
    pid = pid * 10 + (name[i] - '0');
  }
  return pid;
}

bool process_alive(long pid) {
  if (pid <= 0) return false;
  if (pid == static_cast<long>(getpid())) return true;
  return kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace

ScratchFile::ScratchFile(const fs::path& path, Kind kind) : slot_(-1) {
  const std::string text = fs::absolute(path).string();
  if (text.size() >= PATH_MAX) return;
  for (int i = 0; i < kSlots; ++i) {
    Slot& slot = slots()[i];
    int expected = kFree;
    if (!slot.state.compare_exchange_strong(expected, kBusy)) continue;
    std::memcpy(slot.path, text.c_str(), text.size() + 1);
    slot.state.store(kind == Kind::kFile ? kFile : kFolder);
    slot_ = i;
    return;
  }
}

ScratchFile::~ScratchFile() {
  if (slot_ >= 0) slots()[slot_].state.store(kFree);
}

const char* scratch_marker() {
  static const std::string marker = ".tmp-" + std::to_string(getpid()) + "-";
  return marker.c_str();
}

std::size_t sweep_stale_scratch(const fs::path& folder) {
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] != '.' || name.find(".tmp-") == std::string::npos) continue;
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    if (process_alive(pid_in_name(name))) continue;
    std::error_code remove_ec;
    if (fs::remove(it->path(), remove_ec)) ++removed;
  }
  return removed;
}

void remove_registered_scratch() noexcept {
  for (Slot& slot : slots()) {
    if (slot.state.load() == kFile) unlink(slot.path);
  }
  // Folders nest (a created parent and its child); repeat until no more empty one goes.
  for (bool progress = true; progress;) {
    progress = false;
    for (Slot& slot : slots()) {
      if (slot.state.load() == kFolder && rmdir(slot.path) == 0) progress = true;
    }
  }
}

}  // namespace ethovid::core
