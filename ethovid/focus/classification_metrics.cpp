#include "ethovid/focus/classification_metrics.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numeric>

#include "ethovid/focus/logistic_regression.hpp"

namespace ethovid::focus {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double ratio(double num, double den) { return den > 0 ? num / den : kNaN; }

double nan_mean(const std::vector<double>& values) {
  double sum = 0;
  int count = 0;
  for (const double v : values) {
    if (std::isnan(v)) continue;
    sum += v;
    ++count;
  }
  return count > 0 ? sum / count : kNaN;
}

}  // namespace

ConfusionMatrix confusion_matrix(const std::vector<int>& y_true, const std::vector<int>& y_pred,
                                 int classes) {
  assert(y_true.size() == y_pred.size());
  ConfusionMatrix out(classes, std::vector<std::int64_t>(classes, 0));
  for (std::size_t i = 0; i < y_true.size(); ++i) {
    assert(y_true[i] >= 0 && y_true[i] < classes && y_pred[i] >= 0 && y_pred[i] < classes);
    ++out[y_true[i]][y_pred[i]];
  }
  return out;
}

double accuracy(const std::vector<int>& y_true, const std::vector<int>& y_pred) {
  assert(y_true.size() == y_pred.size());
  std::int64_t right = 0;
  for (std::size_t i = 0; i < y_true.size(); ++i) right += y_true[i] == y_pred[i];
  return ratio(static_cast<double>(right), static_cast<double>(y_true.size()));
}

std::vector<ClassScores> class_scores(const ConfusionMatrix& confusion) {
  const std::size_t k = confusion.size();
  std::vector<ClassScores> out(k);
  for (std::size_t c = 0; c < k; ++c) {
    std::int64_t predicted = 0, actual = 0;
    for (std::size_t o = 0; o < k; ++o) {
      predicted += confusion[o][c];
      actual += confusion[c][o];
    }
    const double tp = static_cast<double>(confusion[c][c]);
    ClassScores& s = out[c];
    s.support = actual;
    s.precision = ratio(tp, static_cast<double>(predicted));
    s.recall = ratio(tp, static_cast<double>(actual));
    // F1 = 2 tp / (2 tp + fp + fn): defined whenever the class was predicted or present.
    s.f1 = ratio(2 * tp, static_cast<double>(predicted + actual));
  }
  return out;
}

double balanced_accuracy(const ConfusionMatrix& confusion) {
  std::vector<double> recalls;
  for (const ClassScores& s : class_scores(confusion)) recalls.push_back(s.recall);
  return nan_mean(recalls);
}

double roc_auc(const std::vector<double>& scores, const std::vector<bool>& positive) {
  assert(scores.size() == positive.size());
  const std::size_t n = scores.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  // Mid-ranks (1-based) of tied runs: the Mann-Whitney U counts a positive tied with a negative
  // as one half, the same area as the ROC curve's diagonal step through the tie.
  double rank_sum = 0;
  std::int64_t n_pos = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double mid_rank = 0.5 * static_cast<double>(i + 1 + j);
    for (std::size_t t = i; t < j; ++t) {
      if (positive[order[t]]) {
        rank_sum += mid_rank;
        ++n_pos;
      }
    }
    i = j;
  }
  const std::int64_t n_neg = static_cast<std::int64_t>(n) - n_pos;
  if (n_pos == 0 || n_neg == 0) return kNaN;
  const double u = rank_sum - 0.5 * static_cast<double>(n_pos) * static_cast<double>(n_pos + 1);
  return u / (static_cast<double>(n_pos) * static_cast<double>(n_neg));
}

std::vector<double> roc_auc_ovr(const std::vector<int>& y_true, const Eigen::MatrixXd& proba) {
  assert(static_cast<std::size_t>(proba.rows()) == y_true.size());
  std::vector<double> out;
  std::vector<double> scores(y_true.size());
  std::vector<bool> positive(y_true.size());
  for (Eigen::Index k = 0; k < proba.cols(); ++k) {
    for (std::size_t i = 0; i < y_true.size(); ++i) {
      scores[i] = proba(static_cast<Eigen::Index>(i), k);
      positive[i] = y_true[i] == k;
    }
    out.push_back(roc_auc(scores, positive));
  }
  return out;
}

double log_loss(const std::vector<int>& y_true, const Eigen::MatrixXd& proba) {
  assert(static_cast<std::size_t>(proba.rows()) == y_true.size());
  constexpr double kEps = 1e-15;
  double sum = 0;
  for (std::size_t i = 0; i < y_true.size(); ++i) {
    const double p = std::clamp(proba(static_cast<Eigen::Index>(i), y_true[i]), kEps, 1 - kEps);
    sum -= std::log(p);
  }
  return ratio(sum, static_cast<double>(y_true.size()));
}

double brier_score(const std::vector<int>& y_true, const Eigen::MatrixXd& proba) {
  assert(static_cast<std::size_t>(proba.rows()) == y_true.size());
  double sum = 0;
  for (std::size_t i = 0; i < y_true.size(); ++i) {
    for (Eigen::Index k = 0; k < proba.cols(); ++k) {
      const double target = y_true[i] == k ? 1.0 : 0.0;
      const double diff = proba(static_cast<Eigen::Index>(i), k) - target;
      sum += diff * diff;
    }
  }
  return ratio(sum, static_cast<double>(y_true.size()));
}

std::vector<int> argmax_rows(const Eigen::MatrixXd& proba) {
  std::vector<int> out(proba.rows());
  for (Eigen::Index i = 0; i < proba.rows(); ++i) {
    Eigen::Index best = 0;
    for (Eigen::Index k = 1; k < proba.cols(); ++k) {
      if (proba(i, k) > proba(i, best)) best = k;
    }
    out[i] = static_cast<int>(best);
  }
  return out;
}

std::vector<ReliabilityBin> reliability_curve(const std::vector<int>& y_true,
                                              const Eigen::MatrixXd& proba, int bins) {
  assert(bins >= 1);
  assert(static_cast<std::size_t>(proba.rows()) == y_true.size());
  std::vector<ReliabilityBin> out(bins);
  std::vector<double> conf_sum(bins, 0), right(bins, 0);
  for (int b = 0; b < bins; ++b) {
    out[b].lower = static_cast<double>(b) / bins;
    out[b].upper = static_cast<double>(b + 1) / bins;
  }
  const std::vector<int> pred = argmax_rows(proba);
  for (std::size_t i = 0; i < y_true.size(); ++i) {
    const double conf = proba(static_cast<Eigen::Index>(i), pred[i]);
    const int b = std::clamp(static_cast<int>(std::floor(conf * bins)), 0, bins - 1);
    ++out[b].count;
    conf_sum[b] += conf;
    right[b] += pred[i] == y_true[i] ? 1.0 : 0.0;
  }
  for (int b = 0; b < bins; ++b) {
    out[b].mean_confidence = ratio(conf_sum[b], static_cast<double>(out[b].count));
    out[b].accuracy = ratio(right[b], static_cast<double>(out[b].count));
  }
  return out;
}

double expected_calibration_error(const std::vector<ReliabilityBin>& curve) {
  std::int64_t n = 0;
  double sum = 0;
  for (const ReliabilityBin& b : curve) {
    if (b.count == 0) continue;
    n += b.count;
    sum += static_cast<double>(b.count) * std::abs(b.accuracy - b.mean_confidence);
  }
  return ratio(sum, static_cast<double>(n));
}

double fit_temperature(const Eigen::MatrixXd& logits, const std::vector<int>& y_true) {
  if (static_cast<std::size_t>(logits.rows()) != y_true.size() || y_true.empty()) {
    throw DegenerateDataError("temperature scaling: " + std::to_string(logits.rows()) +
                              " rows of logits and " + std::to_string(y_true.size()) +
                              " labels (needs the same number, at least 1)");
  }
  // d/d(beta) of sum_i [logsumexp(beta z_i) - beta z_i,y] = sum_i (E_softmax(beta z_i)[z] - z_i,y):
  // increasing in beta (its derivative is a variance), so bisection finds its root.
  const auto derivative = [&](double beta) {
    double sum = 0;
    for (Eigen::Index i = 0; i < logits.rows(); ++i) {
      const Eigen::RowVectorXd z = logits.row(i);
      const Eigen::RowVectorXd e = (beta * (z.array() - z.maxCoeff())).exp();
      sum += e.dot(z) / e.sum() - z(y_true[i]);
    }
    return sum;
  };
  double lo = 1e-2, hi = 1e2;
  if (derivative(lo) >= 0) return 1.0 / lo;  // flattest allowed
  if (derivative(hi) <= 0) return 1.0 / hi;  // sharpest allowed (e.g. separable rows)
  for (int it = 0; it < 200 && hi - lo > 1e-12 * hi; ++it) {
    const double mid = 0.5 * (lo + hi);
    (derivative(mid) < 0 ? lo : hi) = mid;
  }
  return 2.0 / (lo + hi);
}

ClassificationReport classification_report(const std::vector<int>& y_true,
                                           const Eigen::MatrixXd& proba,
                                           const std::vector<std::string>& classes,
                                           int reliability_bins) {
  assert(static_cast<std::size_t>(proba.cols()) == classes.size());
  ClassificationReport r;
  r.classes = classes;
  r.rows = static_cast<std::int64_t>(y_true.size());
  const std::vector<int> pred = argmax_rows(proba);
  const int k = static_cast<int>(classes.size());
  r.confusion = confusion_matrix(y_true, pred, k);
  r.accuracy = accuracy(y_true, pred);
  r.balanced_accuracy = balanced_accuracy(r.confusion);
  r.per_class = class_scores(r.confusion);
  std::vector<double> p, rc, f;
  for (const ClassScores& s : r.per_class) {
    p.push_back(s.precision);
    rc.push_back(s.recall);
    f.push_back(s.f1);
  }
  r.macro_precision = nan_mean(p);
  r.macro_recall = nan_mean(rc);
  r.macro_f1 = nan_mean(f);
  r.roc_auc = roc_auc_ovr(y_true, proba);
  r.macro_roc_auc = nan_mean(r.roc_auc);
  r.log_loss = log_loss(y_true, proba);
  r.brier = brier_score(y_true, proba);
  r.reliability = reliability_curve(y_true, proba, reliability_bins);
  r.ece = expected_calibration_error(r.reliability);
  return r;
}

}  // namespace ethovid::focus
