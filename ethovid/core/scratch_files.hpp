#pragma once
// Scratch files of a running command: the temporary names outputs are written under before their
// rename, and the output folders a run created. They are registered here while they exist so that
// an interrupt (core/interrupt.hpp) can remove them, and they carry the writer's process id in
// their name so that a later run can tell a dead run's leftovers from a live one's.
//
// The registry is process-wide by necessity (a signal handler has no other way to find them);
// it holds only names, never decides anything, and a full registry only means that an interrupt
// leaves those files to the next run's sweep.
#include <cstddef>
#include <filesystem>

namespace ethovid::core {

// Registers `path` while the object lives. It neither creates nor deletes the file: its owner
// renames or removes it, then lets this go.
class ScratchFile {
 public:
  enum class Kind { kFile, kEmptyFolder };  // a folder is removed only while it is empty
  explicit ScratchFile(const std::filesystem::path& path, Kind kind = Kind::kFile);
  ~ScratchFile();
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

 private:
  int slot_;  // -1 when the registry was full
};

// The infix of every temporary name: ".tmp-<pid>-" (see temp_path_for in atomic_file.hpp).
const char* scratch_marker();

// Removes the scratch files in `folder` (not below it) that a run which no longer lives left
// behind: hidden names holding ".tmp-" whose process id is not running on this machine, or that
// have no id (written by an ethovid before ids were recorded). Returns how many it removed.
std::size_t sweep_stale_scratch(const std::filesystem::path& folder);

// Removes every registered file, then every registered folder that is empty. Async-signal-safe
// (only unlink and rmdir): it is what the interrupt handler calls.
void remove_registered_scratch() noexcept;

}  // namespace ethovid::core
