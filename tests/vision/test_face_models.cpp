// Detector, landmarks and embeddings with the bundled ONNX models: prior geometry on its own,
// then the real networks on real photos from ../shared/data (skipped without it).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ethovid/vision/face_alignment.hpp"
#include "ethovid/vision/face_detector.hpp"
#include "ethovid/vision/face_embedder.hpp"
#include "ethovid/vision/head_pose.hpp"
#include "ethovid/vision/landmarker.hpp"
#include "test_support.hpp"

namespace ethovid::vision {
namespace {

namespace fs = std::filesystem;

TEST(DetectorPriors, UltraFaceLayoutGives4420PriorsInOutputOrder) {
  DetectorSpec spec;
  spec.input_width = 320;
  spec.input_height = 240;
  spec.min_sizes = {{10, 16, 24}, {32, 48}, {64, 96}, {128, 192, 256}};
  spec.steps = {8, 16, 32, 64};
  const auto priors = detector_priors(spec);
  ASSERT_EQ(priors.size(), 4420u);  // 30x40x3 + 15x20x2 + 8x10x2 + 4x5x3
  // First prior: top-left cell of the stride-8 map, smallest size.
  EXPECT_NEAR(priors[0][0], 4.0 / 320, 1e-6);
  EXPECT_NEAR(priors[0][1], 4.0 / 240, 1e-6);
  EXPECT_NEAR(priors[0][2], 10.0 / 320, 1e-6);
  // Sizes vary fastest, then columns: prior 3 is the second column's first size.
  EXPECT_NEAR(priors[3][0], 12.0 / 320, 1e-6);
  EXPECT_NEAR(priors[3][2], 10.0 / 320, 1e-6);
  // Last prior: bottom-right cell of the stride-64 map, largest size.
  EXPECT_NEAR(priors.back()[0], 288.0 / 320, 1e-6);
  EXPECT_NEAR(priors.back()[1], 224.0 / 240, 1e-6);
  EXPECT_NEAR(priors.back()[3], 256.0 / 240, 1e-6);
}

TEST(DetectorPriors, DecodingZeroOffsetsGivesThePriorItself) {
  const cv::Vec4f prior(0.5f, 0.4f, 0.2f, 0.1f);
  const cv::Vec4f box = decode_prior_box(prior, {0, 0, 0, 0}, {0.1f, 0.2f});
  EXPECT_NEAR(box[0], 0.4, 1e-6);
  EXPECT_NEAR(box[1], 0.35, 1e-6);
  EXPECT_NEAR(box[2], 0.6, 1e-6);
  EXPECT_NEAR(box[3], 0.45, 1e-6);
  // dx = 1 moves the centre by variance x width; dw = 1 scales the width by e^variance.
  const cv::Vec4f moved = decode_prior_box(prior, {1, 0, 1, 0}, {0.1f, 0.2f});
  EXPECT_NEAR((moved[0] + moved[2]) / 2, 0.5 + 0.1 * 0.2, 1e-6);
  EXPECT_NEAR(moved[2] - moved[0], 0.2 * std::exp(0.2), 1e-6);
}

TEST(LandmarkCrop, BoxIsMovedInsideTheImageNotShrunk) {
  const cv::Rect crop = landmark_crop(cv::Rect2f(-20, 90, 60, 50), cv::Size(100, 120));
  EXPECT_EQ(crop, cv::Rect(0, 70, 60, 50));
  const cv::Rect huge = landmark_crop(cv::Rect2f(-10, -10, 300, 300), cv::Size(100, 120));
  EXPECT_EQ(huge, cv::Rect(0, 0, 100, 120));
}

class FaceModels : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    config_ = new ModelConfig(load_model_config(default_model_config_path()));
  }
  static void TearDownTestSuite() { delete config_; }
  static fs::path shared_file(const std::string& relative) {
    const auto root = test::shared_data_dir();
    return root ? *root / relative : fs::path();
  }
  static ModelConfig* config_;
};
ModelConfig* FaceModels::config_ = nullptr;

TEST_F(FaceModels, GroupPhotoGivesEveryFaceWithLandmarksInPlace) {
  const fs::path photo = shared_file("faces_identity/faceapi_bbt/group_photos/bbt1.jpg");
  if (photo.empty()) GTEST_SKIP() << "../shared/data not found: real-photo detection test skipped";
  const cv::Mat image = cv::imread(photo.string());
  FaceDetector detector(config_->detector);
  Landmarker landmarker(config_->landmarks);
  const auto faces = detector.detect(image);
  // Four people sit on the couch, all facing the camera.
  ASSERT_EQ(faces.size(), 4u);
  for (const auto& face : faces) {
    EXPECT_GT(face.score, 0.9f);
    EXPECT_GT(face.box.width, 60);
    EXPECT_LT(face.box.width, 200);
    const FivePoints p = five_points(landmarker.locate(image, face.box));
    for (const auto& q : p) EXPECT_TRUE(face.box.contains(q)) << q;
    EXPECT_LT(p[0].x, p[1].x);                      // image-left eye left of the other
    EXPECT_LT(std::max(p[0].y, p[1].y), p[2].y);    // eyes above the nose tip
    EXPECT_LT(p[2].y, std::min(p[3].y, p[4].y));    // nose above the mouth corners
    EXPECT_LT(p[3].x, p[4].x);
  }
  // The other group photos: five people side by side; two people at a table and a third cut by
  // the left edge (the people behind them are out of focus and turned away).
  auto faces_in = [&](const char* name) {
    const fs::path file = shared_file(std::string("faces_identity/faceapi_bbt/group_photos/") + name);
    return detector.detect(cv::imread(file.string())).size();
  };
  EXPECT_EQ(faces_in("bbt3.jpg"), 5u);
  EXPECT_EQ(faces_in("bbt2.jpg"), 3u);
}

TEST_F(FaceModels, EmbeddingsAreUnitNormAndSeparateIdentities) {
  const auto root = test::shared_data_dir();
  if (!root) GTEST_SKIP() << "../shared/data not found: embedding identity test skipped";
  FaceDetector detector(config_->detector);
  Landmarker landmarker(config_->landmarks);
  FaceEmbedder embedder(config_->embedding);
  auto aligned = [&](const std::string& relative) {
    const cv::Mat image = cv::imread((*root / relative).string());
    const auto faces = detector.detect(image);
    EXPECT_FALSE(faces.empty()) << relative;
    return align_face(image, five_points(landmarker.locate(image, faces.at(0).box)));
  };
  auto photos = [&](const std::string& person) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(*root / "faces_identity/dlib_johns" / person)) {
      names.push_back("faces_identity/dlib_johns/" + person + "/" + entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  };
  const auto savage = photos("John_Savage");
  const auto simm = photos("John_Simm");
  const std::vector<cv::Mat> crops = {aligned(savage.at(0)), aligned(savage.at(1)),
                                      aligned(simm.at(0))};
  const auto batch = embedder.embed(crops);
  ASSERT_EQ(batch.size(), 3u);
  for (const auto& e : batch) {
    ASSERT_EQ(e.size(), 512u);
    double norm = 0;
    for (float v : e) norm += v * v;
    EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-4);
  }
  auto cosine = [](const std::vector<float>& a, const std::vector<float>& b) {
    double dot = 0;
    for (std::size_t i = 0; i < a.size(); ++i) dot += a[i] * b[i];
    return dot;
  };
  EXPECT_GT(cosine(batch[0], batch[1]), cosine(batch[0], batch[2]) + 0.1)
      << "two photos of one person must be closer than photos of two people";
  // One face per call gives the same vectors as the batch.
  const auto single = embedder.embed({crops[2]});
  EXPECT_NEAR(cosine(single[0], batch[2]), 1.0, 1e-4);
}

TEST_F(FaceModels, PoseFromLandmarksAndNetworkAgreeOnTurnedFacesAndFlipWithAMirror) {
  const fs::path photo = shared_file("faces_identity/faceapi_bbt/group_photos/bbt2.jpg");
  if (photo.empty()) GTEST_SKIP() << "../shared/data not found: head pose test skipped";
  const cv::Mat image = cv::imread(photo.string());
  cv::Mat mirrored;
  cv::flip(image, mirrored, 1);
  FaceDetector detector(config_->detector);
  Landmarker landmarker(config_->landmarks);
  PoseNetwork network(*config_->pose);
  auto largest = [&](const cv::Mat& img) {
    const auto faces = detector.detect(img);
    return *std::max_element(faces.begin(), faces.end(), [](const auto& a, const auto& b) {
      return a.box.area() < b.box.area();
    });
  };
  // The largest face (the man on the left) looks towards the image's right.
  const auto face = largest(image);
  const HeadPose from_points = pose_from_landmarks(landmarker.locate(image, face.box), image.size());
  const HeadPose from_network = network.estimate(image, face.box);
  EXPECT_GT(from_points.yaw, 25);
  EXPECT_GT(from_network.yaw, 25);
  const auto flipped = largest(mirrored);
  const HeadPose mirror_points =
      pose_from_landmarks(landmarker.locate(mirrored, flipped.box), mirrored.size());
  EXPECT_LT(mirror_points.yaw, -25);
  EXPECT_LT(network.estimate(mirrored, flipped.box).yaw, -25);
}

}  // namespace
}  // namespace ethovid::vision
