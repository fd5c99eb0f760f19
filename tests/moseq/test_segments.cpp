// Segments: keypoint-moseq's choice of length, the overlap and padding, and the way back.
#include <gtest/gtest.h>

#include "ethovid/core/error.hpp"
#include "ethovid/moseq/segments.hpp"
#include "test_support.hpp"

namespace ethovid::moseq {
namespace {

TEST(Segments, LengthChoiceFollowsThePaddingAndFragmentRules) {
  EXPECT_EQ(choose_seg_length({3000}), 3000);
  EXPECT_EQ(choose_seg_length({25000}), 10000);  // capped; padding 5000 of 25000 = 20 %
  EXPECT_EQ(choose_seg_length({1000, 1200}), 1200);  // the largest first: padding 200 of 2200 = 9 %
  EXPECT_EQ(choose_seg_length({100, 5000}), 100);    // 5000 would pad 4900 of 5100 frames
  // A last piece of 2 frames is too short: L grows by it.
  EXPECT_EQ(choose_seg_length({10002}), 10002);
  test::expect_error<ConfigError>([] { plan_segments({100, 3}, std::nullopt); }, {"recording 1 has 3 frames"});
}

TEST(Segments, OverlapPaddingMaskAndTheWayBack) {
  const SegmentPlan plan = plan_segments({25, 7}, 10);
  EXPECT_EQ(plan.rows(), 40);
  ASSERT_EQ(plan.segments.size(), 4u);  // 0-10-20 of the first, 0 of the second
  EXPECT_EQ(plan.segments[1].start, 10);
  EXPECT_EQ(plan.segments[1].end, 25);  // 10 + 40 runs past the end
  EXPECT_EQ(plan.segments[3].recording, 1);
  Eigen::MatrixXd data(25, 2);
  for (int t = 0; t < 25; ++t) data.row(t) << t, -t;
  Eigen::VectorXd mask;
  const Eigen::MatrixXd rows = cut_segment(data, plan.segments[1], plan.rows(), &mask);
  EXPECT_EQ(rows(0, 0), 10);
  EXPECT_EQ(rows(14, 0), 24);
  EXPECT_EQ(rows(39, 0), 24);  // padding repeats the last frame
  EXPECT_EQ(mask.sum(), 15);
  Eigen::MatrixXd back = Eigen::MatrixXd::Zero(25, 2);
  for (int i = 0; i < 3; ++i) paste_segment(cut_segment(data, plan.segments[i], plan.rows()), plan.segments[i], back);
  EXPECT_EQ((back - data).norm(), 0);
}

}  // namespace
}  // namespace ethovid::moseq
