#pragma once
// Image sequences named by a printf pattern ("cam/%05d.png"): the pattern's parts and the frame
// files behind it, found by listing the folder once, so a sequence may start at any number
// (0, 1, 00001, 1000, ...) and a gap is an error rather than a silently shorter video.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ethovid::core {

// A printf pattern naming an image sequence: prefix + number + suffix, e.g. "cam/%05d.png".
struct SequencePattern {
  std::filesystem::path directory;
  std::string prefix;  // file-name part before the number
  std::string suffix;  // file-name part after the number
  int width = 0;
  bool zero_pad = false;

  std::string file_name(std::int64_t number) const;
  std::filesystem::path file(std::int64_t number) const { return directory / file_name(number); }
};

// Parses "%d", "%u", "%05d" style patterns; nullopt when `source` holds no such conversion. Names
// are formatted by file_name(), never by handing a user string to printf.
std::optional<SequencePattern> parse_sequence_pattern(const std::string& source);

// The sequence's frame numbers, ascending and consecutive. `source` names it in messages.
// MissingInputError: no folder or no matching file; VideoFormatError: a gap in the numbers.
std::vector<std::int64_t> list_sequence_numbers(const SequencePattern& pattern,
                                                const std::string& source);

}  // namespace ethovid::core
