#include "ethovid/core/video_source.hpp"

#include "ethovid/core/error.hpp"
#include "ethovid/core/input_file.hpp"
#include "ethovid/core/hash.hpp"
#include "ethovid/core/image_sequence.hpp"

namespace ethovid::core {

namespace fs = std::filesystem;

bool is_image_pattern(const std::string& source) {
  std::error_code ec;
  return !fs::exists(source, ec) && parse_sequence_pattern(source).has_value();
}

std::vector<fs::path> video_source_files(const std::string& source) {
  if (!is_image_pattern(source)) {
    require_input_file(source, source + ": video file not found");
    return {fs::path(source)};
  }
  const SequencePattern pattern = *parse_sequence_pattern(source);
  std::vector<fs::path> files;
  for (std::int64_t number : list_sequence_numbers(pattern, source)) {
    files.push_back(pattern.file(number));
  }
  return files;
}

SourceDigest digest_video_source(const std::string& source) {
  const auto files = video_source_files(source);
  SourceDigest digest;
  digest.files = files.size();
  if (!is_image_pattern(source)) {
    digest.sha256 = sha256_file(files.front());
    digest.bytes = fs::file_size(files.front());
    return digest;
  }
  std::string joined;
  for (const auto& file : files) {
    joined += sha256_file(file);
    digest.bytes += fs::file_size(file);
  }
  digest.sha256 = sha256_bytes(joined);
  return digest;
}

}  // namespace ethovid::core
