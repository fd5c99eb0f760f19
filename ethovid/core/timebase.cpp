#include "ethovid/core/timebase.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string_view>
#include <system_error>

#include "ethovid/core/error.hpp"

namespace ethovid::core {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kHeader = "frame_index,timestamp";
constexpr std::string_view kFilePrefix = "timestamps_";
constexpr std::string_view kFileSuffix = ".csv";

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  const std::size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  const std::size_t end = text.find_last_not_of(kSpace);
  return text.substr(begin, end - begin + 1);
}

// Cut short so one absurd line cannot flood an error message.
std::string quote(std::string_view text) {
  constexpr std::size_t kMax = 60;
  std::string out = "'";
  out += text.substr(0, kMax);
  if (text.size() > kMax) out += "...";
  out += "'";
  return out;
}

std::string read_whole_file(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    throw MissingInputError(file.string() + ": timestamps file does not exist");
  }
  if (!fs::is_regular_file(file, ec)) {
    throw MissingInputError(file.string() + ": is not a regular file (expected a timestamps CSV)");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw MissingInputError(file.string() + ": cannot be opened for reading");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return std::move(buffer).str();
}

// Strict whole-field parses: "12abc", "" or "1e999" are rejected, not truncated or saturated.
bool parse_int64(std::string_view text, std::int64_t& value) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end;
}

bool parse_double(std::string_view text, double& value) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end && std::isfinite(value);
}

std::vector<std::string> cameras_in(const fs::path& sync_dir) {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(sync_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= kFilePrefix.size() + kFileSuffix.size()) continue;
    if (!name.starts_with(kFilePrefix) || !name.ends_with(kFileSuffix)) continue;
    if (!entry.is_regular_file(ec)) continue;
    ids.push_back(
        name.substr(kFilePrefix.size(), name.size() - kFilePrefix.size() - kFileSuffix.size()));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

}  // namespace

CameraTimestamps read_timestamps_csv(const std::filesystem::path& file, std::string camera_id) {
  const std::string content = read_whole_file(file);
  const std::string name = file.filename().string();
  auto fail = [&](std::int64_t row, const std::string& what) {
    throw TimestampAlignmentError(name + " row " + std::to_string(row) + ": " + what + " (" +
                                  file.string() + ")");
  };

  CameraTimestamps result;
  result.file = file;
  result.camera_id = std::move(camera_id);

  std::string_view rest = content;
  // Spreadsheet exports often start with a UTF-8 byte-order mark; it is not part of the header.
  if (rest.starts_with("\xEF\xBB\xBF")) rest.remove_prefix(3);

  std::int64_t row = 0;
  bool header_seen = false;
  std::int64_t first_blank_row = 0;  // a blank line is fine only if nothing but blanks follows
  std::string_view previous_time_text;
  while (!rest.empty()) {
    const std::size_t newline = rest.find('\n');
    const std::string_view raw = newline == std::string_view::npos ? rest : rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
    ++row;
    const std::string_view line = trim(raw);
    if (line.empty()) {
      if (first_blank_row == 0) first_blank_row = row;
      continue;
    }
    if (first_blank_row != 0) {
      fail(row, "data after the blank row " + std::to_string(first_blank_row));
    }
    if (!header_seen) {
      const std::size_t comma = line.find(',');
      const bool matches = comma != std::string_view::npos &&
                           trim(line.substr(0, comma)) == "frame_index" &&
                           trim(line.substr(comma + 1)) == "timestamp";
      if (!matches || row != 1) {
        fail(row, "expected the header '" + std::string(kHeader) + "', found " + quote(line));
      }
      header_seen = true;
      continue;
    }

    const std::size_t comma = line.find(',');
    if (comma == std::string_view::npos || line.find(',', comma + 1) != std::string_view::npos) {
      fail(row, "expected two fields 'frame_index,timestamp', found " + quote(line));
    }
    const std::string_view index_text = trim(line.substr(0, comma));
    const std::string_view time_text = trim(line.substr(comma + 1));
    std::int64_t index = 0;
    double time = 0.0;
    if (!parse_int64(index_text, index)) {
      fail(row, "frame index " + quote(index_text) + " is not an integer");
    }
    if (!parse_double(time_text, time)) {
      fail(row, "timestamp " + quote(time_text) + " is not a finite number of seconds");
    }
    if (index < 0) fail(row, "frame index " + std::to_string(index) + " is negative");
    if (!result.frame_index.empty()) {
      const std::int64_t previous_index = result.frame_index.back();
      if (index == previous_index) {
        fail(row,
             "frame index " + std::to_string(index) + " repeats row " + std::to_string(row - 1));
      }
      if (index < previous_index) {
        fail(row, "frame index " + std::to_string(index) + " comes after row " +
                      std::to_string(row - 1) + "'s " + std::to_string(previous_index) +
                      " (rows must be sorted by frame_index)");
      }
      if (!(time > result.time_s.back())) {
        fail(row, "time " + std::string(time_text) + " s is not after row " +
                      std::to_string(row - 1) + "'s " + std::string(previous_time_text) + " s");
      }
    }
    result.frame_index.push_back(index);
    result.time_s.push_back(time);
    previous_time_text = time_text;
  }

  if (!header_seen) {
    throw TimestampAlignmentError(name + ": empty file, expected the header '" +
                                  std::string(kHeader) + "' (" + file.string() + ")");
  }
  if (result.frame_index.empty()) {
    throw TimestampAlignmentError(name + ": has a header but no rows (" + file.string() + ")");
  }
  return result;
}

CameraTimestamps read_sync_dir(const std::filesystem::path& sync_dir,
                               const std::string& camera_id) {
  std::error_code ec;
  if (!fs::exists(sync_dir, ec)) {
    throw MissingInputError(sync_dir.string() + ": sync directory does not exist");
  }
  if (!fs::is_directory(sync_dir, ec)) {
    throw MissingInputError(sync_dir.string() + ": is not a directory (expected a sync directory)");
  }
  const std::vector<std::string> cameras = cameras_in(sync_dir);
  if (!camera_id.empty()) {
    const fs::path file =
        sync_dir / (std::string(kFilePrefix) + camera_id + std::string(kFileSuffix));
    if (!fs::exists(file, ec)) {
      throw MissingInputError(
          file.string() + ": no timestamps for camera '" + camera_id +
          "' (cameras present: " + (cameras.empty() ? std::string("none") : join(cameras)) + ")");
    }
    return read_timestamps_csv(file, camera_id);
  }
  if (cameras.empty()) {
    throw MissingInputError(sync_dir.string() + ": holds no timestamps_<camera>.csv file");
  }
  if (cameras.size() > 1) {
    throw TimestampAlignmentError(sync_dir.string() + ": holds timestamps for " +
                                  std::to_string(cameras.size()) + " cameras (" + join(cameras) +
                                  "); name the camera to use");
  }
  return read_timestamps_csv(
      sync_dir / (std::string(kFilePrefix) + cameras.front() + std::string(kFileSuffix)),
      cameras.front());
}

}  // namespace ethovid::core
