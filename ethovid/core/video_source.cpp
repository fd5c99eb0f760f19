#include "ethovid/core/video_source.hpp"

#include <cstdio>

#include "ethovid/core/error.hpp"
#include "ethovid/core/hash.hpp"

namespace ethovid::core {

namespace fs = std::filesystem;

bool is_image_pattern(const std::string& source) {
  return source.find('%') != std::string::npos && !fs::exists(source);
}

namespace {

fs::path pattern_file(const std::string& pattern, long index) {
  std::vector<char> buffer(pattern.size() + 64);
  std::snprintf(buffer.data(), buffer.size(), pattern.c_str(), index);
  return buffer.data();
}

}  // namespace

std::vector<fs::path> video_source_files(const std::string& source) {
  if (!is_image_pattern(source)) {
    if (!fs::exists(source)) throw MissingInputError(source + ": video file not found");
    return {fs::path(source)};
  }
  long first = -1;
  for (long i = 0; i <= 1; ++i) {
    if (fs::exists(pattern_file(source, i))) {
      first = i;
      break;
    }
  }
  if (first < 0) {
    throw MissingInputError(source + ": no image found for index 0 or 1 (tried " +
                            pattern_file(source, 0).string() + ")");
  }
  std::vector<fs::path> files;
  for (long i = first;; ++i) {
    fs::path file = pattern_file(source, i);
    if (!fs::exists(file)) break;
    files.push_back(std::move(file));
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
