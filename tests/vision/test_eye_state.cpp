// Eye open/closed: the crop geometry on constructed landmarks, a wrong model named as the eye
// model, and the network on Yale faces of known eye state (skipped without ../shared/data):
// open eyes in the neutral expressions, both eyes shut in "sleepy", one shut in "wink".
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "ethovid/core/error.hpp"
#include "ethovid/core/image_file.hpp"
#include "ethovid/vision/eye_state.hpp"
#include "ethovid/vision/face_detector.hpp"
#include "test_support.hpp"

namespace ethovid::vision {
namespace {

namespace fs = std::filesystem;

// An eye of width 20 px (corners at x = 40 and 60, y = 50) with lids 4 px above and below.
Landmarks68 one_eye_at(float x0, float y) {
  Landmarks68 points{};
  for (int first : {36, 42}) {
    points[first] = {x0, y};
    points[first + 1] = {x0 + 7, y - 4};
    points[first + 2] = {x0 + 13, y - 4};
    points[first + 3] = {x0 + 20, y};
    points[first + 4] = {x0 + 13, y + 4};
    points[first + 5] = {x0 + 7, y + 4};
  }
  return points;
}

TEST(EyeCrop, SquareOfOnePointSixWidthsCentredOnTheLids) {
  const cv::Rect crop = eye_crop(one_eye_at(40, 50), 36, {200, 200});
  EXPECT_EQ(crop, cv::Rect(34, 34, 32, 32));  // centre (50, 50), side 1.6 x 20
  // Near the border the crop moves inside, keeping its size.
  EXPECT_EQ(eye_crop(one_eye_at(-5, 3), 42, {200, 200}), cv::Rect(0, 0, 32, 32));
  EXPECT_EQ(eye_crop(one_eye_at(185, 198), 36, {200, 200}), cv::Rect(168, 168, 32, 32));
  // A crop larger than the image is clipped to it; a collapsed eye has none.
  EXPECT_EQ(eye_crop(one_eye_at(0, 10), 36, {24, 20}).size(), cv::Size(20, 20));
  Landmarks68 dot{};
  EXPECT_TRUE(eye_crop(dot, 36, {100, 100}).empty());
}

TEST(EyeStateClassifier, ModelWithOtherOutputsIsAModelFormatError) {
  const ModelConfig config = load_model_config(default_model_config_path());
  ModelSpec wrong = *config.eye;
  wrong.path = config.landmarks.path;  // 136 outputs
  wrong.input_width = config.landmarks.input_width;
  wrong.input_height = config.landmarks.input_height;
  EyeStateClassifier classifier(wrong);
  cv::Mat image(200, 200, CV_8UC3, cv::Scalar(120, 120, 120));
  test::expect_error<ModelFormatError>([&] { classifier.classify(image, one_eye_at(40, 50)); },
                                       {"fr_landmark.onnx", "136 outputs per eye, expected 2"});
}

TEST(EyeStateClassifier, EyeWithoutACropIsUnknownNotClosed) {
  const ModelConfig config = load_model_config(default_model_config_path());
  EyeStateClassifier classifier(*config.eye);
  cv::Mat image(200, 200, CV_8UC3, cv::Scalar(120, 120, 120));
  const EyeState state = classifier.classify(image, Landmarks68{});
  EXPECT_TRUE(std::isnan(state.left_open));
  EXPECT_TRUE(std::isnan(state.right_open));
}

TEST(EyeStateClassifier, YaleExpressionsOfKnownEyeState) {
  ETHOVID_REQUIRE_SHARED_DATA(data);
  const ModelConfig config = load_model_config(default_model_config_path());
  FaceDetector detector(config.detector);
  Landmarker landmarker(config.landmarks);
  EyeStateClassifier classifier(*config.eye);
  const fs::path dir = data / "faces_identity/yalefaces";
  // For each expression: eyes seen, eyes judged open, and faces with exactly one eye open.
  auto measure = [&](const std::string& expression) {
    struct { int eyes = 0, open = 0, one_open = 0; } counts;
    for (int subject = 1; subject <= 15; ++subject) {
      char name[64];
      std::snprintf(name, sizeof name, "subject%02d.%s.gif", subject, expression.c_str());
      if (!fs::exists(dir / name)) continue;
      const cv::Mat image = core::read_image(dir / name);
      const auto faces = detector.detect(image);
      if (faces.empty()) continue;
      const EyeState state = classifier.classify(image, landmarker.locate(image, faces.front().box));
      const int open = (state.left_open > 0.5f) + (state.right_open > 0.5f);
      counts.eyes += 2;
      counts.open += open;
      counts.one_open += open == 1;
    }
    return counts;
  };
  int eyes = 0, open = 0;
  for (const char* expression : {"normal", "happy", "surprised", "centerlight"}) {
    const auto counts = measure(expression);
    eyes += counts.eyes;
    open += counts.open;
  }
  ASSERT_GE(eyes, 60);
  EXPECT_GE(static_cast<double>(open) / eyes, 0.9) << open << " of " << eyes << " open eyes judged open";
  const auto sleepy = measure("sleepy");
  ASSERT_GE(sleepy.eyes, 16);
  EXPECT_LE(static_cast<double>(sleepy.open) / sleepy.eyes, 0.25) << sleepy.open << " of " << sleepy.eyes;
  const auto wink = measure("wink");
  ASSERT_GE(wink.eyes, 16);
  EXPECT_GE(wink.one_open * 2.0 / wink.eyes, 0.5) << wink.one_open << " winks of " << wink.eyes / 2;
}

}  // namespace
}  // namespace ethovid::vision
