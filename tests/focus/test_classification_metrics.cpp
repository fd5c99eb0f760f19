// Metrics of the focus model (classification_metrics.hpp) on small cases computed by hand (and
// checked against scikit-learn 1.2.1 where it has the metric: confusion_matrix, accuracy_score,
// balanced_accuracy_score, precision_recall_fscore_support, log_loss, roc_auc_score).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "ethovid/focus/classification_metrics.hpp"
#include "ethovid/focus/logistic_regression.hpp"

namespace ethovid::focus {
namespace {

// Six rows, three classes; predicted (argmax) 0, 1, 1, 2, 2, 2 against true 0, 0, 1, 1, 2, 2.
const std::vector<int> kTrue = {0, 0, 1, 1, 2, 2};
Eigen::MatrixXd proba() {
  Eigen::MatrixXd p(6, 3);
  p << 0.7, 0.2, 0.1,  //
      0.4, 0.5, 0.1,   //
      0.2, 0.6, 0.2,   //
      0.3, 0.3, 0.4,   //
      0.1, 0.1, 0.8,   //
      0.25, 0.25, 0.5;
  return p;
}

TEST(ClassificationMetrics, ConfusionAccuracyAndPerClassScores) {
  const std::vector<int> pred = argmax_rows(proba());
  EXPECT_EQ(pred, (std::vector<int>{0, 1, 1, 2, 2, 2}));
  const ConfusionMatrix c = confusion_matrix(kTrue, pred, 3);
  EXPECT_EQ(c, (ConfusionMatrix{{1, 1, 0}, {0, 1, 1}, {0, 0, 2}}));
  EXPECT_DOUBLE_EQ(accuracy(kTrue, pred), 4.0 / 6);
  // recalls 1/2, 1/2, 1
  EXPECT_DOUBLE_EQ(balanced_accuracy(c), 2.0 / 3);
  const std::vector<ClassScores> s = class_scores(c);
  EXPECT_DOUBLE_EQ(s[0].precision, 1.0);
  EXPECT_DOUBLE_EQ(s[1].precision, 0.5);
  EXPECT_DOUBLE_EQ(s[2].precision, 2.0 / 3);
  EXPECT_DOUBLE_EQ(s[0].recall, 0.5);
  EXPECT_DOUBLE_EQ(s[1].recall, 0.5);
  EXPECT_DOUBLE_EQ(s[2].recall, 1.0);
  EXPECT_DOUBLE_EQ(s[0].f1, 2.0 / 3);
  EXPECT_DOUBLE_EQ(s[1].f1, 0.5);
  EXPECT_DOUBLE_EQ(s[2].f1, 0.8);
  for (const ClassScores& x : s) EXPECT_EQ(x.support, 2);
}

TEST(ClassificationMetrics, UndefinedRatiosAreNaNAndSkippedInAverages) {
  // Class 2 never occurs and is never predicted; class 1 is never predicted.
  const std::vector<int> t = {0, 0, 1};
  const std::vector<int> p = {0, 0, 0};
  const ConfusionMatrix c = confusion_matrix(t, p, 3);
  const std::vector<ClassScores> s = class_scores(c);
  EXPECT_TRUE(std::isnan(s[1].precision));
  EXPECT_DOUBLE_EQ(s[1].recall, 0.0);
  EXPECT_DOUBLE_EQ(s[1].f1, 0.0);
  EXPECT_TRUE(std::isnan(s[2].precision));
  EXPECT_TRUE(std::isnan(s[2].recall));
  EXPECT_TRUE(std::isnan(s[2].f1));
  EXPECT_EQ(s[2].support, 0);
  // balanced accuracy over the classes present: (1 + 0) / 2
  EXPECT_DOUBLE_EQ(balanced_accuracy(c), 0.5);
}

TEST(ClassificationMetrics, RocAucCountsTiesAsHalf) {
  // positives 0.5 and 0.9, negatives 0.5 and 0.5: pairs (0.5, 0.5) x2 = 1/2 each, (0.9, .) = 1.
  EXPECT_DOUBLE_EQ(roc_auc({0.5, 0.5, 0.5, 0.9}, {true, false, false, true}), 0.75);
  EXPECT_DOUBLE_EQ(roc_auc({0.1, 0.2, 0.3, 0.4}, {false, false, true, true}), 1.0);
  EXPECT_DOUBLE_EQ(roc_auc({0.1, 0.2, 0.3, 0.4}, {true, true, false, false}), 0.0);
  EXPECT_DOUBLE_EQ(roc_auc({0.3, 0.3, 0.3}, {true, false, false}), 0.5);
  EXPECT_TRUE(std::isnan(roc_auc({0.1, 0.2}, {true, true})));
  // One-vs-rest on the six rows: class 1's positives 0.6 and 0.3 against 0.2, 0.5, 0.1, 0.25
  // win 4 + 3 of 8 pairs.
  const std::vector<double> auc = roc_auc_ovr(kTrue, proba());
  ASSERT_EQ(auc.size(), 3u);
  EXPECT_DOUBLE_EQ(auc[0], 1.0);
  EXPECT_DOUBLE_EQ(auc[1], 0.875);
  EXPECT_DOUBLE_EQ(auc[2], 1.0);
}

TEST(ClassificationMetrics, LogLossAndBrier) {
  const double expected_log_loss = -(std::log(0.7) + std::log(0.4) + std::log(0.6) + std::log(0.3) +
                                     std::log(0.8) + std::log(0.5)) /
                                   6;
  EXPECT_NEAR(log_loss(kTrue, proba()), expected_log_loss, 1e-15);
  EXPECT_NEAR(log_loss(kTrue, proba()), 0.6506758059631615, 1e-15);  // scikit-learn's log_loss
  // Per row: 0.14, 0.62, 0.24, 0.74, 0.06, 0.375.
  EXPECT_NEAR(brier_score(kTrue, proba()), 2.175 / 6, 1e-15);
  // A zero probability on the true class is clipped, not infinite.
  Eigen::MatrixXd certain_wrong(1, 2);
  certain_wrong << 1.0, 0.0;
  EXPECT_NEAR(log_loss({1}, certain_wrong), -std::log(1e-15), 1e-9);
  EXPECT_DOUBLE_EQ(brier_score({1}, certain_wrong), 2.0);
}

TEST(ClassificationMetrics, ReliabilityCurveAndEce) {
  // Top-label confidences 0.7 (right), 0.5 (wrong), 0.6 (right), 0.4 (wrong), 0.8 (right),
  // 0.5 (right) in 4 bins of width 0.25.
  const std::vector<ReliabilityBin> curve = reliability_curve(kTrue, proba(), 4);
  ASSERT_EQ(curve.size(), 4u);
  EXPECT_EQ(curve[0].count, 0);
  EXPECT_TRUE(std::isnan(curve[0].accuracy));
  EXPECT_EQ(curve[1].count, 1);
  EXPECT_DOUBLE_EQ(curve[1].mean_confidence, 0.4);
  EXPECT_DOUBLE_EQ(curve[1].accuracy, 0.0);
  EXPECT_EQ(curve[2].count, 4);
  EXPECT_DOUBLE_EQ(curve[2].mean_confidence, 0.575);
  EXPECT_DOUBLE_EQ(curve[2].accuracy, 0.75);
  EXPECT_EQ(curve[3].count, 1);
  EXPECT_DOUBLE_EQ(curve[3].mean_confidence, 0.8);
  EXPECT_DOUBLE_EQ(curve[3].accuracy, 1.0);
  EXPECT_DOUBLE_EQ(curve[2].lower, 0.5);
  EXPECT_DOUBLE_EQ(curve[2].upper, 0.75);
  // (1 * 0.4 + 4 * 0.175 + 1 * 0.2) / 6
  EXPECT_NEAR(expected_calibration_error(curve), 1.3 / 6, 1e-15);
  // A confidence of exactly 1 falls in the last bin.
  Eigen::MatrixXd one(1, 2);
  one << 0.0, 1.0;
  EXPECT_EQ(reliability_curve({1}, one, 10)[9].count, 1);
}

TEST(ClassificationMetrics, TemperatureRecoversTheScaleOfCalibratedLogits) {
  // Logits scaled by 2 from probabilities that match the labels' frequencies exactly: a group
  // with p = 0.8 (8 of 10 rows class 0) and one with p = 0.9 (9 of 10 rows class 1). At T = 2
  // each group's NLL derivative is zero, so T = 2 is the optimum.
  Eigen::MatrixXd logits(20, 2);
  std::vector<int> y;
  for (int i = 0; i < 10; ++i) {
    logits.row(i) << 2 * std::log(4.0), 0.0;
    y.push_back(i < 8 ? 0 : 1);
  }
  for (int i = 10; i < 20; ++i) {
    logits.row(i) << 0.0, 2 * std::log(9.0);
    y.push_back(i < 19 ? 1 : 0);
  }
  EXPECT_NEAR(fit_temperature(logits, y), 2.0, 1e-9);
  // Already calibrated logits: T = 1.
  EXPECT_NEAR(fit_temperature(logits / 2, y), 1.0, 1e-9);
  // Scaling lowers the NLL: the fitted temperature's log loss is below the raw one's.
  const double t = fit_temperature(logits, y);
  EXPECT_LT(log_loss(y, softmax_rows(logits / t)), log_loss(y, softmax_rows(logits)));
  // Rows all right and confident ask for the sharpest temperature allowed.
  Eigen::MatrixXd sure(2, 2);
  sure << 1, 0, 0, 1;
  EXPECT_NEAR(fit_temperature(sure, {0, 1}), 0.01, 1e-12);
  EXPECT_THROW(fit_temperature(Eigen::MatrixXd(0, 2), {}), DegenerateDataError);
}

TEST(ClassificationMetrics, ReportGathersEverything) {
  const ClassificationReport r = classification_report(kTrue, proba(), {"A", "B", "C"}, 4);
  EXPECT_EQ(r.rows, 6);
  EXPECT_DOUBLE_EQ(r.accuracy, 4.0 / 6);
  EXPECT_DOUBLE_EQ(r.balanced_accuracy, 2.0 / 3);
  EXPECT_NEAR(r.macro_f1, (2.0 / 3 + 0.5 + 0.8) / 3, 1e-15);
  EXPECT_NEAR(r.macro_precision, (1 + 0.5 + 2.0 / 3) / 3, 1e-15);
  EXPECT_NEAR(r.macro_roc_auc, (1 + 0.875 + 1) / 3, 1e-15);
  EXPECT_NEAR(r.ece, 1.3 / 6, 1e-15);
  EXPECT_EQ(r.reliability.size(), 4u);
  EXPECT_EQ(r.confusion[2][2], 2);
}

}  // namespace
}  // namespace ethovid::focus
