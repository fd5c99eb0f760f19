#pragma once
// The files behind a video source: the file itself, or every frame file of a printf image
// pattern ("frames/%05d.png", first index 0 or 1 and consecutive from there, as OpenCV reads
// them; see image_sequence.hpp). Used to fingerprint inputs for provenance and for skipping work that is up to date.
#include <filesystem>
#include <string>
#include <vector>

namespace ethovid::core {

bool is_image_pattern(const std::string& source);

// MissingInputError when the file, or every frame of the pattern, is missing.
std::vector<std::filesystem::path> video_source_files(const std::string& source);

// One sha256 for the source: the file's own digest, or for a pattern the digest of the
// concatenated per-frame digests (so renaming the folder does not change it).
struct SourceDigest {
  std::string sha256;
  std::uintmax_t bytes = 0;
  std::size_t files = 0;
};
SourceDigest digest_video_source(const std::string& source);

}  // namespace ethovid::core
