// FaceTracker on synthetic detections with known identities: crossings, misses, strides and
// uneven frame gaps (which need the motion model), weak and false detections, id numbering.
#include "ethovid/faces/face_tracker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace ethovid::faces {
namespace {

constexpr float kHigh = 0.9f;
constexpr float kLow = 0.4f;  // between the default low_score and high_score
constexpr float kSide = 40;

cv::Rect2f face_at(float x, float y) { return {x, y, kSide, kSide}; }

// Detector jitter of up to 1 px, different per frame and coordinate, the same on every run.
float jitter(std::int64_t frame, int salt) {
  return static_cast<float>((frame * 37 + salt * 101) % 7 - 3) / 3;
}

float overlap(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float inter = (a & b).area();
  return inter / (a.area() + b.area() - inter);
}

std::vector<int> feed(FaceTracker& tracker, std::int64_t frame,
                      const std::vector<cv::Rect2f>& boxes, float score = kHigh) {
  return tracker.update(frame, boxes, std::vector<float>(boxes.size(), score));
}

bool all_equal(const std::vector<int>& ids) {
  return std::adjacent_find(ids.begin(), ids.end(), std::not_equal_to<>()) == ids.end();
}

// x of the track's detections, in frame order.
std::vector<float> xs(const Track& track) {
  std::vector<float> out;
  for (const TrackedDetection& d : track.detections) out.push_back(d.box.x);
  return out;
}

TEST(FaceTracker, FacesCrossingInOppositeDirectionsKeepTheirIds) {
  FaceTracker tracker;
  constexpr int kFrames = 50;
  // On one line, passing each other between frames 25 and 26: at frame 26 each box is nearer to
  // where the other face was at frame 25, so only the motion tells them apart.
  const auto face_a = [](int t) { return face_at(8.0f * t + jitter(t, 0), 100 + jitter(t, 1)); };
  const auto face_b = [](int t) {
    return face_at(404 - 8.0f * t + jitter(t, 2), 100 + jitter(t, 3));
  };
  std::vector<int> ids_a, ids_b;
  int overlapping = 0;
  for (int t = 0; t < kFrames; ++t) {
    // Alternating the order, so that the detection index tells nothing about the face.
    const bool a_first = t % 2 == 0;
    const auto joined =
        feed(tracker, t,
             a_first ? std::vector{face_a(t), face_b(t)} : std::vector{face_b(t), face_a(t)});
    ids_a.push_back(joined[a_first ? 0 : 1]);
    ids_b.push_back(joined[a_first ? 1 : 0]);
    if (overlap(face_a(t), face_b(t)) > 0) ++overlapping;
  }
  EXPECT_GE(overlapping, 4);
  EXPECT_GT(overlap(face_a(25), face_b(26)), overlap(face_a(25), face_a(26)));
  EXPECT_TRUE(all_equal(ids_a));
  EXPECT_TRUE(all_equal(ids_b));
  EXPECT_NE(ids_a[0], ids_b[0]);

  const std::vector<Track> tracks = tracker.finish();
  ASSERT_EQ(tracks.size(), 2u);
  EXPECT_EQ(tracks[0].track_id, 1);  // face A: same first frame, further left
  EXPECT_EQ(tracks[1].track_id, 2);
  ASSERT_EQ(tracks[0].detections.size(), static_cast<std::size_t>(kFrames));
  ASSERT_EQ(tracks[1].detections.size(), static_cast<std::size_t>(kFrames));
  EXPECT_TRUE(std::ranges::is_sorted(xs(tracks[0])));
  EXPECT_TRUE(std::ranges::is_sorted(xs(tracks[1]), std::greater<>()));
  EXPECT_EQ(tracks[0].first_frame(), 0);
  EXPECT_EQ(tracks[0].last_frame(), kFrames - 1);
}

TEST(FaceTracker, FaceHiddenBehindAnotherWhileCrossingKeepsItsId) {
  FaceTracker tracker;
  std::vector<int> ids_a, ids_b;
  for (int t = 0; t < 50; ++t) {
    const cv::Rect2f a = face_at(8.0f * t + jitter(t, 0), 100 + jitter(t, 1));
    const cv::Rect2f b = face_at(404 - 8.0f * t + jitter(t, 2), 100 + jitter(t, 3));
    const bool hidden = overlap(a, b) > 0;  // B passes behind A: not detected
    const auto joined = feed(tracker, t, hidden ? std::vector{a} : std::vector{b, a});
    ids_a.push_back(joined.back());
    if (!hidden) ids_b.push_back(joined[0]);
  }
  EXPECT_TRUE(all_equal(ids_a));
  EXPECT_TRUE(all_equal(ids_b));
  EXPECT_NE(ids_a[0], ids_b[0]);
  EXPECT_EQ(tracker.finish().size(), 2u);
}

TEST(FaceTracker, FaceMissingForFiveFramesKeepsItsIdFurtherAlongItsPath) {
  FaceTracker tracker;
  const auto face = [](int t) { return face_at(50 + 6.0f * t + jitter(t, 0), 80 + 2.0f * t); };
  std::vector<int> ids;
  for (int t = 0; t < 25; ++t) {
    const bool missing = t >= 10 && t < 15;
    const auto joined =
        feed(tracker, t, missing ? std::vector<cv::Rect2f>{} : std::vector{face(t)});
    if (!missing) ids.push_back(joined[0]);
  }
  // Where it was last seen, the face no longer is: only a prediction finds it.
  EXPECT_LT(overlap(face(9), face(15)), TrackerOptions{}.match_iou);
  EXPECT_TRUE(all_equal(ids));
  const std::vector<Track> tracks = tracker.finish();
  ASSERT_EQ(tracks.size(), 1u);
  EXPECT_EQ(tracks[0].detections.size(), 20u);
  EXPECT_EQ(tracks[0].detections[10].frame_idx, 15);
}

TEST(FaceTracker, StrideTwoWithFastMotionStillTracks) {
  FaceTracker tracker;
  // Speeds up from 4 to 16 px per frame: too fast at the end for consecutive boxes to overlap.
  const auto x_at = [](int t) {
    return t <= 12 ? 4.0f * t + 0.5f * t * t : 120 + 16.0f * (t - 12);
  };
  const auto face = [&](int t) { return face_at(20 + x_at(t) + jitter(t, 0), 200 + jitter(t, 1)); };
  std::vector<int> ids;
  for (int t = 0; t <= 60; t += 2) ids.push_back(feed(tracker, t, {face(t)})[0]);
  EXPECT_LT(overlap(face(58), face(60)), TrackerOptions{}.match_iou);
  EXPECT_TRUE(all_equal(ids));
  const std::vector<Track> tracks = tracker.finish();
  ASSERT_EQ(tracks.size(), 1u);
  EXPECT_EQ(tracks[0].detections.size(), 31u);
}

TEST(FaceTracker, PredictionScalesWithUnevenFrameGaps) {
  FaceTracker tracker;
  // 12 px per frame: a gap of 3 or 5 frames is off by 24 or 48 px if predicted as one frame.
  const auto face = [](std::int64_t t) {
    return face_at(10 + 12.0f * static_cast<float>(t) + jitter(t, 0), 150 + jitter(t, 1));
  };
  std::vector<int> ids;
  for (std::int64_t t : {0, 1, 2, 3, 4, 5, 8, 9, 12, 17, 18, 23}) {
    ids.push_back(feed(tracker, t, {face(t)})[0]);
  }
  EXPECT_TRUE(all_equal(ids));
  EXPECT_EQ(tracker.finish().size(), 1u);
}

TEST(FaceTracker, OneFrameFalsePositiveIsNotReported) {
  const auto run = [](TrackerOptions options) {
    FaceTracker tracker(options);
    for (int t = 0; t < 10; ++t) {
      std::vector<cv::Rect2f> boxes{face_at(100 + 3.0f * t, 100)};
      if (t == 4) boxes.push_back(face_at(300, 300));
      const auto joined = feed(tracker, t, boxes);
      if (t == 4) {
        EXPECT_NE(joined[1], joined[0]);  // it does start a track...
      }
    }
    return tracker.finish();
  };
  const std::vector<Track> tracks = run({});  // ...which one detection does not make reported
  ASSERT_EQ(tracks.size(), 1u);
  EXPECT_EQ(tracks[0].track_id, 1);
  EXPECT_EQ(tracks[0].detections.size(), 10u);
  EXPECT_EQ(run({.min_hits = 1}).size(), 2u);
}

TEST(FaceTracker, LowScoreDetectionContinuesATrackButNeverStartsOne) {
  FaceTracker tracker;
  const auto face = [](int t) { return face_at(100 + 4.0f * t, 100); };
  const cv::Rect2f elsewhere = face_at(400, 300);
  int id = -1;
  for (int t = 0; t < 10; ++t) {
    const float score = t < 4 ? kHigh : kLow;
    const auto joined = tracker.update(t, {face(t), elsewhere}, {score, kLow});
    if (t == 0) id = joined[0];
    EXPECT_EQ(joined[0], id) << "frame " << t;
    EXPECT_EQ(joined[1], -1) << "frame " << t;  // however often it is seen
  }
  // Below low_score: not even a continuation.
  EXPECT_EQ(tracker.update(10, {face(10)}, {0.1f}), std::vector<int>{-1});
  // A confident and a weak box on the same face: the confident one continues the track.
  const cv::Rect2f beside = face(11) + cv::Point2f(6, 0);
  EXPECT_EQ(tracker.update(11, {beside, face(11)}, {kLow, kHigh}), (std::vector<int>{-1, id}));

  const std::vector<Track> tracks = tracker.finish();
  ASSERT_EQ(tracks.size(), 1u);
  ASSERT_EQ(tracks[0].detections.size(), 11u);
  EXPECT_EQ(tracks[0].detections[3].score, kHigh);
  EXPECT_EQ(tracks[0].detections[4].score, kLow);
  EXPECT_EQ(tracks[0].detections[10].frame_idx, 11);
  EXPECT_EQ(tracks[0].detections[10].detection_index, 1);
}

TEST(FaceTracker, ReportedIdsAreNumberedByFirstFrameThenX) {
  FaceTracker tracker;
  std::vector<int> internal_late;
  for (int t = 0; t < 8; ++t) {
    std::vector<cv::Rect2f> boxes{face_at(300, 100), face_at(50, 100)};
    if (t == 1) boxes.push_back(face_at(500, 300));  // a false positive takes an internal id
    if (t >= 3) boxes.push_back(face_at(150, 250));
    const auto joined = feed(tracker, t, boxes);
    if (t >= 3) internal_late.push_back(joined.back());
  }
  EXPECT_EQ(internal_late[0], 4);
  const std::vector<Track> tracks = tracker.finish();
  ASSERT_EQ(tracks.size(), 3u);
  for (int k = 0; k < 3; ++k) EXPECT_EQ(tracks[k].track_id, k + 1);
  EXPECT_EQ(tracks[0].detections[0].box.x, 50);
  EXPECT_EQ(tracks[0].detections[0].detection_index, 1);
  EXPECT_EQ(tracks[1].detections[0].box.x, 300);
  EXPECT_EQ(tracks[2].first_frame(), 3);
  EXPECT_EQ(tracks[2].detections[0].box.x, 150);
}

// Runs a still face, `gap` updates without it, and the face at the same place again; returns
// the internal ids before and after.
std::pair<int, int> ids_around_absence(FaceTracker& tracker, int gap) {
  const cv::Rect2f face = face_at(200, 120);
  int frame = 0;
  int before = -1;
  for (int k = 0; k < 5; ++k, ++frame) {
    before = feed(tracker, frame, {face + cv::Point2f(jitter(frame, 0), jitter(frame, 1))})[0];
  }
  for (int k = 0; k < gap; ++k, ++frame) feed(tracker, frame, {});
  const int after = feed(tracker, frame, {face})[0];
  feed(tracker, frame + 1, {face});
  return {before, after};
}

TEST(FaceTracker, FaceBackWithinMaxMissedUpdatesKeepsItsId) {
  FaceTracker tracker;
  const auto [before, after] = ids_around_absence(tracker, TrackerOptions{}.max_missed_updates);
  EXPECT_EQ(before, after);
  EXPECT_EQ(tracker.finish().size(), 1u);
}

TEST(FaceTracker, FaceGoneLongerThanMaxMissedUpdatesGetsANewId) {
  FaceTracker tracker;
  const int gap = TrackerOptions{}.max_missed_updates + 1;
  const auto [before, after] = ids_around_absence(tracker, gap);
  EXPECT_NE(before, after);
  const std::vector<Track> tracks = tracker.finish();
  ASSERT_EQ(tracks.size(), 2u);
  EXPECT_EQ(tracks[0].track_id, 1);
  EXPECT_EQ(tracks[0].last_frame(), 4);
  EXPECT_EQ(tracks[1].track_id, 2);
  EXPECT_EQ(tracks[1].first_frame(), 5 + gap);
}

TEST(FaceTracker, AssignmentIsOptimalNotGreedy) {
  // Two still, close faces both step left. The best single pair (A with d1) would leave B with
  // nothing it overlaps enough; the optimal assignment gives A d2 and B d1.
  FaceTracker tracker;
  const cv::Rect2f a = face_at(0, 100);
  const cv::Rect2f b = face_at(24, 100);
  int id_a = -1, id_b = -1;
  for (int t = 0; t < 5; ++t) {
    const auto joined = feed(tracker, t, {a, b});
    id_a = joined[0];
    id_b = joined[1];
  }
  const cv::Rect2f d1 = face_at(10, 100);
  const cv::Rect2f d2 = face_at(-12, 100);
  ASSERT_GT(overlap(a, d1), overlap(a, d2));
  ASSERT_LT(overlap(b, d2), TrackerOptions{}.match_iou);
  EXPECT_EQ(feed(tracker, 5, {d1, d2}), (std::vector<int>{id_b, id_a}));
}

TEST(FaceTracker, UnusableBoxesJoinNothing) {
  FaceTracker tracker;
  const cv::Rect2f nan_box(std::nanf(""), 0, 40, 40);
  EXPECT_EQ(feed(tracker, 0, {face_at(0, 0), cv::Rect2f(10, 10, 0, 40), nan_box}),
            (std::vector<int>{1, -1, -1}));
}

TEST(FaceTracker, FinishEmptiesTheTracker) {
  FaceTracker tracker;
  for (int t = 10; t < 13; ++t) feed(tracker, t, {face_at(0, 0)});
  ASSERT_EQ(tracker.finish().size(), 1u);
  EXPECT_TRUE(tracker.finish().empty());
  // A new video may start at frame 0 again, with ids from 1.
  for (int t = 0; t < 3; ++t) EXPECT_EQ(feed(tracker, t, {face_at(0, 0)}), std::vector<int>{1});
  EXPECT_EQ(tracker.finish().size(), 1u);
}

}  // namespace
}  // namespace ethovid::faces
