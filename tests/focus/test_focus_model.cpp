// The focus model file (focus_model.hpp): what is saved loads back the same; probabilities are the
// softmax of (intercept + coefficients . standardised row) / temperature, computed here by hand;
// every malformed file is refused with a ModelFormatError naming the file and what disagrees.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <vector>

#include "ethovid/core/error.hpp"
#include "ethovid/focus/focus_model.hpp"
#include "test_support.hpp"

namespace ethovid::focus {
namespace {

using nlohmann::json;

// Two features, three classes, numbers chosen so the logits are easy to follow by hand.
FocusModel small_model() {
  FocusModel m;
  m.features = {"face_present", "nose_offset_abs"};
  m.classes = {"AWAY", "DISTRACTED", "FOCUSED"};
  m.mean = {0.5, 0.1};
  m.scale = {0.5, 0.05};
  m.impute = {0.0, 0.1};
  m.coefficients = {{-2.0, 0.0}, {0.5, 1.0}, {1.0, -1.0}};
  m.intercepts = {0.1, -0.2, 0.3};
  m.temperature = 1.0;
  m.training = {{"rows", 1234}, {"data_sha256", "abc"}};
  return m;
}

std::vector<double> softmax(const std::vector<double>& logits) {
  double sum = 0;
  for (double z : logits) sum += std::exp(z);
  std::vector<double> p;
  for (double z : logits) p.push_back(std::exp(z) / sum);
  return p;
}

TEST(FocusModel, ProbabilitiesAreTheSoftmaxOfStandardisedLogits) {
  const FocusModel m = small_model();
  // face_present 1 -> z = (1 - 0.5) / 0.5 = 1; nose_offset_abs 0.2 -> z = (0.2 - 0.1) / 0.05 = 2.
  // logits: AWAY 0.1 - 2 = -1.9; DISTRACTED -0.2 + 0.5 + 2 = 2.3; FOCUSED 0.3 + 1 - 2 = -0.7.
  const std::vector<double> expected = softmax({-1.9, 2.3, -0.7});
  const std::vector<double> p = m.predict_proba({1.0, 0.2});
  ASSERT_EQ(p.size(), 3u);
  for (std::size_t k = 0; k < 3; ++k) EXPECT_NEAR(p[k], expected[k], 1e-12) << m.classes[k];
  EXPECT_EQ(m.predict({1.0, 0.2}), 1u);
  // No face, no offset: z = (-1, -2); logits AWAY 2.1, DISTRACTED -2.7, FOCUSED 1.3.
  EXPECT_EQ(m.predict({0.0, 0.0}), 0u);
  // z = (1, -1): logits AWAY -1.9, DISTRACTED -0.7, FOCUSED 2.3.
  EXPECT_EQ(m.predict({1.0, 0.05}), 2u);
}

TEST(FocusModel, SoftmaxIsStableForHugeLogits) {
  FocusModel m = small_model();
  m.coefficients = {{1e6, 0}, {0, 0}, {-1e6, 0}};
  const std::vector<double> p = m.predict_proba({1.0, 0.0});  // logits ~ +1e6, 0, -1e6
  EXPECT_DOUBLE_EQ(p[0], 1.0);
  EXPECT_EQ(p[1], 0.0);
  EXPECT_EQ(p[2], 0.0);
  for (double x : p) EXPECT_TRUE(std::isfinite(x));
}

TEST(FocusModel, NanTakesTheImputedValue) {
  const FocusModel m = small_model();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> with_nan = m.predict_proba({nan, 0.2});
  const std::vector<double> imputed = m.predict_proba({0.0, 0.2});  // impute[0] = 0
  const std::vector<double> other = m.predict_proba({1.0, 0.2});
  for (std::size_t k = 0; k < 3; ++k) EXPECT_DOUBLE_EQ(with_nan[k], imputed[k]);
  EXPECT_NE(with_nan[0], other[0]);
  const std::vector<double> both = m.predict_proba({nan, nan});
  const std::vector<double> both_imputed = m.predict_proba({0.0, 0.1});
  for (std::size_t k = 0; k < 3; ++k) EXPECT_DOUBLE_EQ(both[k], both_imputed[k]);
}

TEST(FocusModel, TemperatureDividesTheLogits) {
  FocusModel m = small_model();
  const std::vector<double> sharp = m.predict_proba({1.0, 0.2});
  m.temperature = 2.0;
  const std::vector<double> soft = m.predict_proba({1.0, 0.2});
  const std::vector<double> expected = softmax({-1.9 / 2, 2.3 / 2, -0.7 / 2});
  for (std::size_t k = 0; k < 3; ++k) EXPECT_NEAR(soft[k], expected[k], 1e-12);
  // A higher temperature flattens the distribution and keeps the ranking.
  EXPECT_LT(soft[1], sharp[1]);
  EXPECT_GT(soft[0], sharp[0]);
  EXPECT_EQ(m.predict({1.0, 0.2}), 1u);
  // log p ratios scale by 1 / T.
  EXPECT_NEAR(std::log(soft[1] / soft[0]), std::log(sharp[1] / sharp[0]) / 2, 1e-12);
}

TEST(FocusModel, SaveAndLoadGiveBackTheSameModel) {
  test::ScratchDir dir;
  FocusModel m = small_model();
  m.temperature = 1.37;
  m.mean = {0.1 + 0.2, 1.0 / 3};  // numbers with no short decimal form
  m.save(dir / "model.json");
  const FocusModel back = FocusModel::load(dir / "model.json");
  EXPECT_EQ(back.features, m.features);
  EXPECT_EQ(back.classes, m.classes);
  EXPECT_EQ(back.mean, m.mean);
  EXPECT_EQ(back.scale, m.scale);
  EXPECT_EQ(back.impute, m.impute);
  EXPECT_EQ(back.coefficients, m.coefficients);
  EXPECT_EQ(back.intercepts, m.intercepts);
  EXPECT_EQ(back.temperature, m.temperature);
  EXPECT_EQ(back.training, m.training);
  EXPECT_EQ(back.predict_proba({1.0, 0.3}), m.predict_proba({1.0, 0.3}));
  EXPECT_EQ(back.to_json(), m.to_json());
  const json written = json::parse(test::read_file(dir / "model.json"));
  EXPECT_EQ(written["format"], "ethovid-focus-model");
  EXPECT_EQ(written["version"], 1);
  // Nothing but the model is left in the folder (the temporary name was renamed).
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) ++files, (void)entry;
  EXPECT_EQ(files, 1);
}

TEST(FocusModel, OptionalFieldsTakeTheirDefaults) {
  json j = small_model().to_json();
  j.erase("temperature");
  j.erase("impute");
  j.erase("training");
  const FocusModel m = FocusModel::from_json(j, "bare.json");
  EXPECT_EQ(m.temperature, 1.0);
  EXPECT_EQ(m.impute, m.mean);
  EXPECT_TRUE(m.training.is_object());
  EXPECT_TRUE(m.training.empty());
}

TEST(FocusModel, SaveRefusesAnInvalidModelAndKeepsTheOldFile) {
  test::ScratchDir dir;
  small_model().save(dir / "model.json");
  const std::string before = test::read_file(dir / "model.json");
  FocusModel bad = small_model();
  bad.scale[1] = 0;
  test::expect_error<ModelFormatError>([&] { bad.save(dir / "model.json"); },
                                       {"model.json", "scaler.scale", "nose_offset_abs", "> 0"});
  EXPECT_EQ(test::read_file(dir / "model.json"), before);
}

// Each malformed model: the edit, then fragments its error must name.
struct BadModel {
  const char* name;
  void (*edit)(json&);
  std::vector<std::string> fragments;
};

TEST(FocusModel, EveryMalformedFileIsATypedErrorNamingWhatDisagrees) {
  const std::vector<BadModel> cases = {
      {"wrong format", [](json& j) { j["format"] = "sklearn"; }, {"'format'", "ethovid-focus-model"}},
      {"no format", [](json& j) { j.erase("format"); }, {"no 'format'"}},
      {"wrong version", [](json& j) { j["version"] = 2; }, {"'version'", "2", "version 1"}},
      {"no features", [](json& j) { j.erase("features"); }, {"no 'features'"}},
      {"empty features", [](json& j) { j["features"] = json::array(); }, {"'features'", "non-empty"}},
      {"duplicate feature", [](json& j) { j["features"][1] = "face_present"; }, {"face_present", "twice"}},
      {"feature not a string", [](json& j) { j["features"][0] = 3; }, {"'features'[0]", "string"}},
      {"one class", [](json& j) {
         j["classes"] = {"AWAY"};
         j["coefficients"] = {{1.0, 2.0}};
         j["intercepts"] = {0.0};
       }, {"1 class", "at least 2"}},
      {"mean too short", [](json& j) { j["scaler"]["mean"] = {0.5}; },
       {"'scaler.mean' has 1 values", "'features' has 2"}},
      {"scale too long", [](json& j) { j["scaler"]["scale"] = {1.0, 1.0, 1.0}; },
       {"'scaler.scale' has 3 values", "'features' has 2"}},
      {"no scaler", [](json& j) { j.erase("scaler"); }, {"no 'scaler'"}},
      {"negative scale", [](json& j) { j["scaler"]["scale"][0] = -1.0; }, {"face_present", "> 0"}},
      {"coefficient rows", [](json& j) { j["coefficients"].erase(2); },
       {"'coefficients' has 2 rows", "'classes' has 3"}},
      {"coefficient columns", [](json& j) { j["coefficients"][1] = {1.0, 2.0, 3.0}; },
       {"'coefficients[1]' has 3 values", "'features' has 2"}},
      {"intercepts", [](json& j) { j["intercepts"] = {0.0, 0.0}; },
       {"'intercepts' has 2 values", "'classes' has 3"}},
      {"null coefficient", [](json& j) { j["coefficients"][0][1] = nullptr; },
       {"'coefficients[0][1]'", "number", "null"}},
      {"string intercept", [](json& j) { j["intercepts"][2] = "1"; }, {"'intercepts[2]'", "number"}},
      {"infinite mean", [](json& j) { j["scaler"]["mean"][0] = INFINITY; }, {"'scaler.mean[0]'", "finite"}},
      {"zero temperature", [](json& j) { j["temperature"] = 0.0; }, {"'temperature'", "> 0"}},
      {"temperature text", [](json& j) { j["temperature"] = "warm"; }, {"'temperature'", "number"}},
      {"impute size", [](json& j) { j["impute"] = {0.0}; }, {"'impute' has 1 values", "'features' has 2"}},
      {"training not an object", [](json& j) { j["training"] = 3; }, {"'training'", "object"}},
      {"not an object", [](json& j) { j = json::array({1, 2}); }, {"JSON object"}},
  };
  for (const BadModel& c : cases) {
    SCOPED_TRACE(c.name);
    json j = small_model().to_json();
    c.edit(j);
    std::vector<std::string> fragments = c.fragments;
    fragments.push_back("models/bad.json");
    test::expect_error<ModelFormatError>([&] { FocusModel::from_json(j, "models/bad.json"); }, fragments);
  }
}

TEST(FocusModel, LoadNamesTheFileWhenItIsMissingOrNotJson) {
  test::ScratchDir dir;
  test::expect_error<MissingInputError>([&] { FocusModel::load(dir / "none.json"); }, {"none.json", "not found"});
  {
    std::ofstream out(dir / "broken.json");
    out << "{\"format\": \"ethovid-focus-model\", ";
  }
  test::expect_error<FormatError>([&] { FocusModel::load(dir / "broken.json"); }, {"broken.json", "not valid JSON"});
  {
    std::ofstream out(dir / "short.json");
    json j = small_model().to_json();
    j["intercepts"] = {1.0};
    out << j.dump();
  }
  test::expect_error<ModelFormatError>([&] { FocusModel::load(dir / "short.json"); },
                                       {"short.json", "'intercepts' has 1 values", "'classes' has 3"});
}

}  // namespace
}  // namespace ethovid::focus
