// make_synthetic_video OUTPUT [--frames N] [--width W] [--height H] [--fps F] [--seed S]
//                      [--noise SIGMA] [--codec ffv1|mp4v|h264] [--truth truth.csv]
//
// Writes a synthetic rodent eye/face video with known pupil area, blinks and whisker-pad motion
// (tools/synth/synthetic_eye_video.hpp) and, with --truth, its per-frame ground truth as CSV.
// Prints the regions of interest to use as one JSON line on stdout, e.g.
//   {"pupil_roi":[160,137,132,106],"motion_roi":[371,268,179,144],"frames":300,"fps":30}
// Exit codes follow the ethovid CLI: 2 for bad arguments or unwritable output.
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

#include "ethovid/core/error.hpp"
#include "tools/synth/synthetic_eye_video.hpp"

namespace {

constexpr const char* kUsage =
    "usage: make_synthetic_video OUTPUT [--frames N] [--width W] [--height H] [--fps F]\n"
    "                            [--seed S] [--noise SIGMA] [--codec ffv1|mp4v|h264]\n"
    "                            [--truth truth.csv]\n";

double parse_number(const std::string& flag, const std::string& text) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw ethovid::ConfigError(flag + " expects a number, got '" + text + "'");
}

std::string rect_json(const cv::Rect& r) {
  std::ostringstream out;
  out << '[' << r.x << ',' << r.y << ',' << r.width << ',' << r.height << ']';
  return out.str();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    ethovid::synth::SyntheticEyeVideoParams params;
    std::string output, truth_path;
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "-h" || arg == "--help") {
        std::cout << kUsage;
        return 0;
      }
      if (arg.rfind("--", 0) == 0) {
        if (i + 1 >= argc) throw ethovid::ConfigError(arg + " needs a value");
        const std::string value = argv[++i];
        if (arg == "--frames") {
          params.frame_count = static_cast<int>(parse_number(arg, value));
        } else if (arg == "--width") {
          params.width = static_cast<int>(parse_number(arg, value));
        } else if (arg == "--height") {
          params.height = static_cast<int>(parse_number(arg, value));
        } else if (arg == "--fps") {
          params.fps = parse_number(arg, value);
        } else if (arg == "--seed") {
          params.seed = static_cast<std::uint64_t>(parse_number(arg, value));
        } else if (arg == "--noise") {
          params.noise_sigma = parse_number(arg, value);
        } else if (arg == "--codec") {
          params.codec = ethovid::synth::parse_video_codec(value);
        } else if (arg == "--truth") {
          truth_path = value;
        } else {
          throw ethovid::ConfigError("unknown option " + arg);
        }
      } else if (output.empty()) {
        output = arg;
      } else {
        throw ethovid::ConfigError("more than one OUTPUT given: '" + output + "' and '" + arg +
                                   "'");
      }
    }
    if (output.empty()) {
      std::cerr << kUsage;
      return 2;
    }
    const auto truth = ethovid::synth::write_synthetic_eye_video(params, output);
    if (!truth_path.empty()) ethovid::synth::write_truth_csv(truth, truth_path);
    std::cout << "{\"pupil_roi\":" << rect_json(truth.pupil_roi)
              << ",\"motion_roi\":" << rect_json(truth.motion_roi)
              << ",\"frames\":" << params.frame_count << ",\"fps\":" << params.fps << "}\n";
    return 0;
  } catch (const ethovid::Error& e) {
    std::cerr << e.kind() << ": " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "Error: " << e.what() << "\n";
    return 3;
  }
}
