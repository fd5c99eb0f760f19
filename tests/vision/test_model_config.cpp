// The model config: the bundled one loads, and every bad file is a typed error naming the key.
#include <gtest/gtest.h>

#include <fstream>

#include "ethovid/core/error.hpp"
#include "ethovid/vision/model_config.hpp"
#include "test_support.hpp"

namespace ethovid::vision {
namespace {

namespace fs = std::filesystem;

// A config naming the bundled model files by absolute path, with `detector_extra` appended to the
// detector section and `tail` to the file.
fs::path write_config(const test::ScratchDir& dir, const std::string& detector_extra,
                      const std::string& tail = "") {
  const fs::path models = fs::path(ETHOVID_SOURCE_DIR) / "third_party/faceplugin/model";
  const fs::path file = dir / "models.yaml";
  std::ofstream out(file);
  out << "detector:\n  path: " << (models / "fr_detect.onnx").string()
      << "\n  input_size: [320, 240]\n  color: rgb\n  mean: [127]\n  std: [128]\n"
      << detector_extra << "landmarks:\n  path: " << (models / "fr_landmark.onnx").string()
      << "\n  input_size: [64, 64]\n  color: gray\n  mean: [0]\n  std: [256]\n"
      << "embedding:\n  path: " << (models / "fr_feature.onnx").string()
      << "\n  input_size: [112, 112]\n  color: rgb\n  mean: [127.5]\n  std: [127.5]\n"
      << tail;
  return file;
}

TEST(ModelConfig, BundledConfigLoadsWithAbsolutePaths) {
  const ModelConfig config = load_model_config(default_model_config_path());
  EXPECT_TRUE(config.detector.path.is_absolute());
  EXPECT_TRUE(fs::exists(config.embedding.path));
  EXPECT_EQ(config.detector.input_width, 320);
  EXPECT_EQ(config.detector.input_height, 240);
  EXPECT_EQ(config.detector.box_encoding, BoxEncoding::kCorners);
  EXPECT_EQ(config.landmarks.color, ColorOrder::kGray);
  ASSERT_TRUE(config.pose.has_value());
  ASSERT_TRUE(config.eye.has_value());
  EXPECT_EQ(config.embedding.mean.size(), 3u);
}

TEST(ModelConfig, PriorOffsetsNeedMatchingPriorLists) {
  test::ScratchDir dir;
  const auto ok = write_config(dir, "  box_encoding: prior_offsets\n  min_sizes: [[10, 16], [32]]\n  steps: [8, 16]\n");
  const ModelConfig config = load_model_config(ok);
  EXPECT_EQ(config.detector.box_encoding, BoxEncoding::kPriorOffsets);
  EXPECT_EQ(config.detector.steps.size(), 2u);
  EXPECT_FALSE(config.pose.has_value());
  const auto bad = write_config(dir, "  box_encoding: prior_offsets\n  min_sizes: [[10, 16]]\n  steps: [8, 16]\n");
  test::expect_error<ConfigError>([&] { load_model_config(bad); }, {"models.yaml", "1 min_sizes", "2 steps"});
}

TEST(ModelConfig, BadValuesAreConfigErrorsNamingTheKey) {
  test::ScratchDir dir;
  test::expect_error<ConfigError>(
      [&] { load_model_config(write_config(dir, "  box_encoding: anchors\n")); },
      {"detector.box_encoding", "anchors"});
  test::expect_error<ConfigError>(
      [&] { load_model_config(write_config(dir, "  box_encoding: corners\n  colour: rgb\n")); },
      {"unknown key 'colour'", "detector"});
  test::expect_error<ConfigError>(
      [&] { load_model_config(write_config(dir, "  box_encoding: corners\n", "pose:\n  path: x.onnx\n")); },
      {"pose.input_size is missing"});
}

TEST(ModelConfig, MissingModelFileIsAMissingInputError) {
  test::ScratchDir dir;
  const auto file = write_config(dir, "  box_encoding: corners\n",
                                 "eye:\n  path: nowhere/eye.onnx\n  input_size: [24, 24]\n"
                                 "  color: gray\n  mean: [0]\n  std: [255]\n");
  test::expect_error<MissingInputError>([&] { load_model_config(file); },
                                        {"nowhere/eye.onnx", "eye", "setup-deps"});
}

}  // namespace
}  // namespace ethovid::vision
