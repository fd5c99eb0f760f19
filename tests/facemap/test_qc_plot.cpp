// facemap_qc.png's trace panels carry their trace across the whole time axis for any clip length:
// clips with fewer frames than the panel has pixel columns (216, 225, 300, 400 frames) used to get
// blank panels and 600 frames a dashed one.
#include <gtest/gtest.h>

#include <cmath>

#include <opencv2/imgcodecs.hpp>

#include "ethovid/facemap/qc_plot.hpp"
#include "plot_support.hpp"
#include "test_support.hpp"

namespace ethovid::facemap {
namespace {

constexpr int kPanelHeight = 130;  // qc_plot.cpp's trace panel, without the time axis label

QcPlotInput input_of(int frames) {
  QcPlotInput input;
  std::vector<double> motion, pupil, blink;
  for (int i = 0; i < frames; ++i) {
    input.time_s.push_back(i / 30.0);
    motion.push_back(i == 0 ? NAN : 0.02 + 0.01 * std::sin(i * 0.3));
    pupil.push_back(120 + 40 * std::sin(i * 0.05));
    blink.push_back(i % 97 < 3 ? 1 : 0);
  }
  input.traces = {{"motion_energy", "fraction", motion}, {"pupil_area", "px^2", pupil}, {"blink", "0/1", blink, true}};
  return input;
}

// Pixel columns of a trace panel's band holding trace ink (axes, grid and text are grey).
int trace_columns(const cv::Mat& image, int top) {
  return test::coloured_columns(image(cv::Rect(0, top, image.cols, kPanelHeight)));
}

TEST(QcPlot, EveryTracePanelIsDrawnAcrossTheTimeAxisForAnyClipLength) {
  test::ScratchDir dir;
  for (const int frames : {50, 216, 600, 10000}) {
    write_qc_plot(dir / "qc.png", input_of(frames));
    const cv::Mat image = cv::imread((dir / "qc.png").string());
    ASSERT_FALSE(image.empty());
    ASSERT_GE(image.rows, 3 * kPanelHeight);
    for (int panel = 0; panel < 3; ++panel) {
      // The plot area spans about 815 of the 900 columns.
      EXPECT_GE(trace_columns(image, panel * kPanelHeight), 780) << frames << " frames, panel " << panel;
    }
  }
}

TEST(QcPlot, RoiPanelBesideTheTraces) {
  test::ScratchDir dir;
  QcPlotInput input = input_of(216);
  input.mean_frame = cv::Mat(240, 320, CV_8UC1, cv::Scalar(128));
  input.motion_rois = {{200, 150, 80, 60}};
  input.pupil_roi = Roi{60, 60, 50, 40};
  write_qc_plot(dir / "qc.png", input);
  const cv::Mat image = cv::imread((dir / "qc.png").string());
  ASSERT_FALSE(image.empty());
  EXPECT_EQ(image.cols, 900 + image.rows * 320 / 240);
  EXPECT_GE(trace_columns(image(cv::Rect(image.cols - 900, 0, 900, image.rows)), 0), 780);
}

}  // namespace
}  // namespace ethovid::facemap
