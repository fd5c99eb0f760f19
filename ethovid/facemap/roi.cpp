#include "ethovid/facemap/roi.hpp"

#include <charconv>
#include <vector>

#include "ethovid/core/error.hpp"

namespace ethovid::facemap {

std::string Roi::to_string() const {
  return std::to_string(x) + "," + std::to_string(y) + "," + std::to_string(width) + "," +
         std::to_string(height);
}

Roi parse_roi(const std::string& text, const std::string& what) {
  std::vector<int> values;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  while (p < end) {
    int value = 0;
    auto [next, ec] = std::from_chars(p, end, value);
    if (ec != std::errc()) break;
    values.push_back(value);
    p = next;
    if (p < end && *p == ',') ++p;
    else break;
  }
  if (values.size() != 4 || p != end) {
    throw ConfigError(what + " '" + text + "' is not X,Y,W,H (four integers, pixels)");
  }
  return {values[0], values[1], values[2], values[3]};
}

void check_roi_fits(const Roi& roi, int frame_width, int frame_height, const std::string& what,
                    const std::string& source) {
  if (roi.width <= 0 || roi.height <= 0) {
    throw ConfigError(what + " " + roi.to_string() + " is empty (width and height must be > 0)");
  }
  if (roi.x < 0 || roi.y < 0 || roi.x + roi.width > frame_width ||
      roi.y + roi.height > frame_height) {
    throw ConfigError(what + " " + roi.to_string() + " leaves the frame of " + source + " (" +
                      std::to_string(frame_width) + "x" + std::to_string(frame_height) +
                      " px): it spans x " + std::to_string(roi.x) + ".." +
                      std::to_string(roi.x + roi.width) + ", y " + std::to_string(roi.y) + ".." +
                      std::to_string(roi.y + roi.height));
  }
}

}  // namespace ethovid::facemap
