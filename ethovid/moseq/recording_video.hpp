#pragma once
// Finding the video a pose recording was tracked on, for grid movies and for the frame rate when
// the pose file states none. In order: the video the file names (SLEAP), as stored, relative to
// the pose file, or by file name in `folder` or beside the pose file; then, in `folder` (or beside
// the pose file), the video whose stem the recording's name or the pose file's stem starts with,
// the longest such (DeepLabCut names its files `<video stem>DLC_<scorer>...`).
#include <filesystem>
#include <optional>
#include <string>

namespace ethovid::moseq {

std::optional<std::filesystem::path> find_recording_video(const std::filesystem::path& pose_file,
                                                          const std::filesystem::path& named_video,
                                                          const std::string& recording_name,
                                                          const std::optional<std::filesystem::path>& folder);

}  // namespace ethovid::moseq
