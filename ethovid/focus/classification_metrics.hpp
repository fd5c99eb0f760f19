#pragma once
// Metrics of a probabilistic classifier on labelled rows (issue 12 §5): accuracy, balanced
// accuracy, per-class precision / recall / F1 / support, the confusion matrix, one-vs-rest
// ROC-AUC, log loss, the multiclass Brier score, the reliability curve and the expected
// calibration error, and temperature scaling. Conventions follow scikit-learn where it has the
// metric, so the numbers can be compared:
// - labels are class indices in [0, k); probabilities are n x k, rows summing to 1;
// - a ratio with a zero denominator (precision of a class never predicted, recall of a class
//   absent from the rows, ROC-AUC of a class that is all or none of the rows) is NaN, and the
//   macro averages skip NaN (balanced accuracy averages recall over the classes present);
//   scikit-learn reports such a precision or recall as 0 with a warning instead;
// - log loss clips probabilities to [1e-15, 1 - 1e-15];
// - Brier score = mean over rows of sum over classes (p_k - [y = k])^2, in [0, 2] (Brier 1950;
//   for two classes it is twice the binary score);
// - the reliability curve and ECE are on the top label (the predicted class's probability
//   against whether it was right), in equal-width bins over [0, 1] (Guo et al. 2017).
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

namespace ethovid::focus {

// counts[t][p]: rows of true class t predicted as p.
using ConfusionMatrix = std::vector<std::vector<std::int64_t>>;

ConfusionMatrix confusion_matrix(const std::vector<int>& y_true, const std::vector<int>& y_pred,
                                 int classes);
double accuracy(const std::vector<int>& y_true, const std::vector<int>& y_pred);
double balanced_accuracy(const ConfusionMatrix& confusion);

struct ClassScores {
  double precision = 0, recall = 0, f1 = 0;  // NaN when undefined (see above)
  std::int64_t support = 0;                  // rows of this true class
};
std::vector<ClassScores> class_scores(const ConfusionMatrix& confusion);

// Area under the ROC curve of `scores` for the rows where `positive` is true against the rest,
// as the Mann-Whitney statistic: tied scores count one half. NaN when either side is empty.
double roc_auc(const std::vector<double>& scores, const std::vector<bool>& positive);
// One-vs-rest AUC per class, from column k of the probabilities.
std::vector<double> roc_auc_ovr(const std::vector<int>& y_true, const Eigen::MatrixXd& proba);

double log_loss(const std::vector<int>& y_true, const Eigen::MatrixXd& proba);
double brier_score(const std::vector<int>& y_true, const Eigen::MatrixXd& proba);

struct ReliabilityBin {
  double lower = 0, upper = 0;  // [lower, upper); the last bin includes 1
  std::int64_t count = 0;
  double mean_confidence = 0;  // NaN in an empty bin
  double accuracy = 0;         // NaN in an empty bin
};
// Equal-width bins (bins >= 1) of the top-label confidence.
std::vector<ReliabilityBin> reliability_curve(const std::vector<int>& y_true,
                                              const Eigen::MatrixXd& proba, int bins = 10);
// Expected calibration error: sum over bins of (count / n) * |accuracy - mean confidence|.
double expected_calibration_error(const std::vector<ReliabilityBin>& curve);

// The temperature T > 0 that minimises the mean negative log-likelihood of softmax(logits / T)
// on the rows (n x k logits, labels). The NLL is convex in 1/T, so this finds the root of its
// derivative by bisection on 1/T in [1/100, 100] (T in [0.01, 100], clamped at the ends).
// DegenerateDataError (logistic_regression.hpp) when there are no rows or the sizes disagree.
double fit_temperature(const Eigen::MatrixXd& logits, const std::vector<int>& y_true);

// All of the above on one set of rows.
struct ClassificationReport {
  std::vector<std::string> classes;
  std::int64_t rows = 0;
  double accuracy = 0, balanced_accuracy = 0;
  double macro_precision = 0, macro_recall = 0, macro_f1 = 0;
  std::vector<ClassScores> per_class;
  ConfusionMatrix confusion;
  std::vector<double> roc_auc;  // one-vs-rest, per class
  double macro_roc_auc = 0;     // mean over the classes where it is defined
  double log_loss = 0, brier = 0, ece = 0;
  std::vector<ReliabilityBin> reliability;
};
// The predicted class of a row is its most probable (the first of ties).
ClassificationReport classification_report(const std::vector<int>& y_true,
                                           const Eigen::MatrixXd& proba,
                                           const std::vector<std::string>& classes,
                                           int reliability_bins = 10);
std::vector<int> argmax_rows(const Eigen::MatrixXd& proba);

}  // namespace ethovid::focus
