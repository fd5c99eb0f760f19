#pragma once
// Atomic file output: everything is written under a temporary name in the destination's folder
// and renamed over the destination only when complete, so a crash or an error never leaves a
// half-written file and never destroys the previous good one.
#include <filesystem>
#include <functional>
#include <string_view>

namespace ethovid::core {

// A temporary path beside `destination` (same folder, so the rename is atomic):
// `.<name>.tmp-<pid>-<random>`. Register it as a ScratchFile while it exists.
std::filesystem::path temp_path_for(const std::filesystem::path& destination);

// Calls `write(temp_path)`, then renames temp_path to `destination`. If `write` throws, the
// temporary file is removed and the exception propagates; `destination` is untouched.
void write_atomically(const std::filesystem::path& destination,
                      const std::function<void(const std::filesystem::path&)>& write);

// Writes `contents` to `destination` atomically.
void write_text_atomically(const std::filesystem::path& destination, std::string_view contents);

}  // namespace ethovid::core
