#include "ethovid/moseq/grid_movies.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "ethovid/core/atomic_file.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/video.hpp"
#include "ethovid/moseq/recording_video.hpp"

namespace ethovid::moseq {

namespace fs = std::filesystem;

namespace {

constexpr int kTile = 160, kColumns = 3, kMaxInstances = 9, kPad = 5, kMaxSyllableFrames = 30;

}  // namespace

GridMovieResult write_grid_movies(const FittedModel& m, const KeypointSlds& slds, const GridMovieOptions& o) {
  if (o.videos && !fs::is_directory(*o.videos)) {
    throw MissingInputError("the videos folder " + o.videos->string() + " does not exist");
  }
  GridMovieResult result;
  std::map<std::size_t, fs::path> videos;
  for (std::size_t r = 0; r < m.recordings.size(); ++r) {
    const RecordingInfo& info = m.data.recordings[r];
    if (auto v = find_recording_video(info.source, info.video, info.name, o.videos)) videos[r] = *v;
    else result.recordings_without_video.push_back(m.recordings[r].name);
  }
  if (videos.empty()) return result;
  fs::create_directories(o.output_dir);
  // The crop: twice the 95th percentile of keypoint distances from the centroid.
  std::vector<double> reach;
  for (const auto& [r, video] : videos) {
    const Eigen::MatrixXd aligned = slds.aligned_keypoints(m.recordings[r].latent);
    for (Eigen::Index t = 0; t < aligned.rows(); t += 10) {
      for (int k = 0; k < m.data.keypoints; ++k) reach.push_back(aligned.row(t).segment(k * m.data.dims, 2).norm());
    }
  }
  std::nth_element(reach.begin(), reach.begin() + static_cast<std::ptrdiff_t>(reach.size() * 95 / 100), reach.end());
  const double half_side = std::max(8.0, 2.0 * reach[reach.size() * 95 / 100]);
  // Occurrences of 3 frames or more with a video, per syllable, in time order.
  std::map<int, std::vector<Occurrence>> runs;
  for (const auto& [syllable, list] : syllable_occurrences(m.recordings)) {
    for (const Occurrence& o : list) {
      if (o.length >= 3 && videos.count(o.recording) > 0) runs[syllable].push_back(o);
    }
  }
  for (const auto& [syllable, list] : runs) {
    if (syllable >= o.max_syllables) break;
    // Up to 9 occurrences spread over the list.
    std::vector<Occurrence> chosen;
    for (int i = 0; i < std::min<int>(kMaxInstances, static_cast<int>(list.size())); ++i) {
      chosen.push_back(list[static_cast<std::size_t>(i) * list.size() / std::min<std::size_t>(kMaxInstances, list.size())]);
    }
    std::vector<std::vector<cv::Mat>> clips;
    std::size_t longest = 0;
    for (const auto& [r, onset, length] : chosen) {
      const RecordingResults& rec = m.recordings[r];
      core::VideoReader reader(videos.at(r).string());
      const std::int64_t first = std::max<std::int64_t>(0, onset - kPad);
      // Rows count from the recording's first frame in the video (a SLEAP track starts where it appears).
      const std::int64_t last = std::min<std::int64_t>({onset + std::min<std::int64_t>(length, kMaxSyllableFrames) + kPad,
                                                        static_cast<std::int64_t>(rec.syllable.size()),
                                                        reader.info().frame_count - rec.first_frame});
      reader.seek(rec.first_frame + first);
      std::vector<cv::Mat> clip;
      cv::Mat frame;
      for (std::int64_t t = first; t < last && reader.read_bgr(frame); ++t) {
        // Rotate about the centroid by the heading, so the animal faces right, and scale into a tile.
        const cv::Point2f centre(static_cast<float>(rec.centroid(t, 0)), static_cast<float>(rec.centroid(t, 1)));
        cv::Mat warp = cv::getRotationMatrix2D(centre, rec.heading[t] * 180 / M_PI, kTile / (2 * half_side));
        warp.at<double>(0, 2) += kTile / 2.0 - centre.x;
        warp.at<double>(1, 2) += kTile / 2.0 - centre.y;
        cv::Mat tile;
        cv::warpAffine(frame, tile, warp, {kTile, kTile}, cv::INTER_LINEAR, cv::BORDER_CONSTANT);
        if (t >= onset && t < onset + length) cv::circle(tile, {10, 10}, 5, {0, 0, 255}, cv::FILLED);  // syllable on
        clip.push_back(tile);
      }
      longest = std::max(longest, clip.size());
      clips.push_back(std::move(clip));
    }
    if (longest == 0) continue;
    const int rows = (static_cast<int>(clips.size()) + kColumns - 1) / kColumns;
    const fs::path file = o.output_dir / ("syllable_" + std::to_string(syllable) + ".mp4");
    core::write_atomically(file, [&](const fs::path& temp) {
      const fs::path mp4 = temp.string() + ".mp4";  // OpenCV picks the container by extension
      cv::VideoWriter writer(mp4.string(), cv::VideoWriter::fourcc('m', 'p', '4', 'v'), m.config.fps,
                             {kColumns * kTile, rows * kTile});
      if (!writer.isOpened()) throw ComputationError("cannot write the grid movie " + file.string());
      for (std::size_t f = 0; f < longest; ++f) {
        cv::Mat canvas(rows * kTile, kColumns * kTile, CV_8UC3, cv::Scalar(0, 0, 0));
        for (std::size_t i = 0; i < clips.size(); ++i) {
          if (clips[i].empty()) continue;
          const cv::Mat& tile = clips[i][std::min(f, clips[i].size() - 1)];
          tile.copyTo(canvas(cv::Rect(static_cast<int>(i % kColumns) * kTile, static_cast<int>(i / kColumns) * kTile, kTile, kTile)));
        }
        writer.write(canvas);
      }
      writer.release();
      fs::rename(mp4, temp);
    });
    result.files.push_back(file);
  }
  return result;
}

}  // namespace ethovid::moseq
