#pragma once
// A run's output folder. Creating it this way gives three guarantees the stages share:
// - stale scratch files of dead earlier runs in it (an interrupted or killed run's `.*.tmp-*`)
//   are removed first;
// - a folder this run created (and its created parents) is removed again when the run fails
//   before writing anything into it, by the destructor on an error and by the interrupt handler;
// - a folder that already existed is never removed.
#include <filesystem>
#include <memory>
#include <vector>

#include "ethovid/core/scratch_files.hpp"

namespace ethovid::core {

class OutputFolder {
 public:
  // Creates `path` and its missing parents; Error naming the folder when it cannot.
  explicit OutputFolder(const std::filesystem::path& path);
  // Removes the folders this run created, deepest first, if they are still empty.
  ~OutputFolder();
  OutputFolder(OutputFolder&&) noexcept = default;
  OutputFolder& operator=(OutputFolder&&) noexcept = default;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::vector<std::filesystem::path> created_;  // outermost first
  std::vector<std::unique_ptr<ScratchFile>> registered_;
};

}  // namespace ethovid::core
