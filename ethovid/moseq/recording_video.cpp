#include "ethovid/moseq/recording_video.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace ethovid::moseq {

namespace fs = std::filesystem;

namespace {

std::optional<fs::path> named(const fs::path& pose_file, const fs::path& video, const std::optional<fs::path>& folder) {
  if (video.empty()) return std::nullopt;
  std::vector<fs::path> candidates = {video.is_absolute() ? video : pose_file.parent_path() / video};
  if (folder) candidates.push_back(*folder / video.filename());
  candidates.push_back(pose_file.parent_path() / video.filename());
  for (const auto& c : candidates) {
    if (fs::is_regular_file(c)) return c;
  }
  return std::nullopt;
}

bool is_video(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".mp4" || ext == ".avi" || ext == ".mov" || ext == ".mkv";
}

}  // namespace

std::optional<fs::path> find_recording_video(const fs::path& pose_file, const fs::path& named_video,
                                             const std::string& recording_name, const std::optional<fs::path>& folder) {
  if (auto found = named(pose_file, named_video, folder)) return found;
  const fs::path where = folder ? *folder : pose_file.parent_path().empty() ? fs::path(".") : pose_file.parent_path();
  std::error_code error;
  if (!fs::is_directory(where, error)) return std::nullopt;
  std::optional<fs::path> best;
  std::size_t best_length = 0;
  for (const auto& entry : fs::directory_iterator(where, error)) {
    if (!entry.is_regular_file() || !is_video(entry.path())) continue;
    const std::string stem = entry.path().stem().string();
    const bool matches = recording_name.rfind(stem, 0) == 0 || pose_file.stem().string().rfind(stem, 0) == 0;
    if (matches && stem.size() > best_length) best = entry.path(), best_length = stem.size();
  }
  return best;
}

}  // namespace ethovid::moseq
