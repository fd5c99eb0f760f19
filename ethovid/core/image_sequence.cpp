#include "ethovid/core/image_sequence.hpp"

#include <algorithm>

#include "ethovid/core/error.hpp"

namespace ethovid::core {

namespace fs = std::filesystem;

std::string SequencePattern::file_name(std::int64_t number) const {
    std::string digits = std::to_string(number);
    if (static_cast<int>(digits.size()) < width) {
      digits.insert(0, static_cast<std::size_t>(width) - digits.size(), zero_pad ? '0' : ' ');
    }
    return prefix + digits + suffix;
}

std::optional<SequencePattern> parse_sequence_pattern(const std::string& source) {
  const fs::path path(source);
  const std::string name = path.filename().string();
  const std::size_t percent = name.find('%');
  if (percent == std::string::npos) return std::nullopt;
  SequencePattern pattern;
  std::size_t pos = percent + 1;
  if (pos < name.size() && name[pos] == '0') {
    pattern.zero_pad = true;
    ++pos;
  }
  while (pos < name.size() && name[pos] >= '0' && name[pos] <= '9') {
    pattern.width = pattern.width * 10 + (name[pos] - '0');
    if (pattern.width > 18) return std::nullopt;
    ++pos;
  }
  if (pos >= name.size() || (name[pos] != 'd' && name[pos] != 'u')) return std::nullopt;
  pattern.prefix = name.substr(0, percent);
  pattern.suffix = name.substr(pos + 1);
  if (pattern.suffix.find('%') != std::string::npos) return std::nullopt;
  pattern.directory = path.parent_path();
  if (pattern.directory.empty()) pattern.directory = ".";
  return pattern;
}

std::vector<std::int64_t> list_sequence_numbers(const SequencePattern& pattern,
                                                const std::string& source) {
  std::error_code ec;
  if (!fs::is_directory(pattern.directory, ec)) {
    throw MissingInputError(source + ": directory " + pattern.directory.string() +
                            " does not exist");
  }
  // List the directory once instead of probing names one by one: it finds sequences that start
  // anywhere (0, 1, 00001, 1000...) and reveals gaps, which would silently shorten the video.
  std::vector<std::int64_t> numbers;
  for (const auto& entry : fs::directory_iterator(pattern.directory, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= pattern.prefix.size() + pattern.suffix.size()) continue;
    if (!name.starts_with(pattern.prefix) || !name.ends_with(pattern.suffix)) continue;
    const std::string middle = name.substr(
        pattern.prefix.size(), name.size() - pattern.prefix.size() - pattern.suffix.size());
    const std::size_t first_digit = middle.find_first_not_of(' ');
    if (first_digit == std::string::npos || middle.size() - first_digit > 18) continue;
    if (middle.find_first_not_of("0123456789", first_digit) != std::string::npos) continue;
    const std::int64_t number = std::stoll(middle.substr(first_digit));
    if (pattern.file_name(number) == name) numbers.push_back(number);
  }
  if (ec) {
    throw MissingInputError(source + ": cannot list " + pattern.directory.string() + " (" +
                            ec.message() + ")");
  }
  if (numbers.empty()) {
    throw MissingInputError(source + ": no file in " + pattern.directory.string() +
                            " matches the pattern");
  }
  std::sort(numbers.begin(), numbers.end());
  for (std::size_t i = 1; i < numbers.size(); ++i) {
    if (numbers[i] != numbers[i - 1] + 1) {
      throw VideoFormatError(
          source + ": image sequence has a gap: " + pattern.file_name(numbers[i - 1] + 1) +
          " is missing (frames " + std::to_string(i) + " to " + std::to_string(numbers.size() - 1) +
          " would be misnumbered)");
    }
  }
  return numbers;
}

}  // namespace ethovid::core
