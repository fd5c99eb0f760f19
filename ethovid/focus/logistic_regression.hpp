#pragma once
// Multinomial logistic regression with an L2 penalty and class weights, the model `focus train`
// fits (issue 12 §5). It follows scikit-learn's LogisticRegression so that numbers can be
// compared with it: the objective is
//   sum_i s_i * (-log p(y_i | x_i)) + 1 / (2 C) * ||W||^2
// over the coefficients W (classes x features) and the intercepts b (not penalised), with
// s_i the weight of row i's class (1, explicit, or "balanced" = n / (k * n_c)); softmax over
// all k classes (the symmetric, over-parametrised form: the intercepts are centred to sum 0,
// and the penalty makes the coefficients of the classes sum to 0 at the optimum).
// Features are standardised first (mean 0, population standard deviation 1, as StandardScaler;
// a constant feature keeps scale 1), so C means the same whatever the features' units.
// The fit is Newton's method with a backtracking line search: deterministic, and exact to the
// tolerance in a handful of steps for the few parameters this stage has.
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "ethovid/core/error.hpp"

namespace ethovid::focus {

// The fit stopped before its gradient reached the tolerance (exit 3: computation failed).
class ConvergenceError : public ComputationError {
 public:
  using ComputationError::ComputationError;
  const char* kind() const noexcept override { return "ConvergenceError"; }
};

// Data that cannot define a model: fewer than two classes present, a class with no rows,
// sizes that disagree, a non-finite feature, a non-positive weight (exit 2: bad input).
class DegenerateDataError : public Error {
 public:
  using Error::Error;
  const char* kind() const noexcept override { return "DegenerateDataError"; }
};

struct LogisticRegressionOptions {
  double c = 1.0;                     // inverse penalty strength (> 0), scikit-learn's C
  bool balanced = false;              // class weights n / (k * n_c)
  std::vector<double> class_weights;  // explicit, one per class (> 0); empty = 1 each
  bool standardize = true;            // false: the features are used as given (mean 0, scale 1)
  int max_iterations = 100;           // Newton steps
  // Converged when the largest gradient component is below tolerance * (sum of row weights):
  // the gradient is a sum over rows, so the test does not depend on how many there are.
  double tolerance = 1e-9;
};

struct LogisticRegressionFit {
  std::vector<double> mean, scale;    // per feature; x_std = (x - mean) / scale
  Eigen::MatrixXd coefficients;       // classes x features, on standardised features
  Eigen::VectorXd intercepts;         // one per class, summing to 0
  std::vector<double> class_weights;  // the weights used, one per class
  int iterations = 0;
  double objective = 0;     // the penalised weighted loss at the solution
  double gradient_max = 0;  // largest |gradient component| at the solution

  // Rows of raw features (n x features) -> logits / probabilities (n x classes).
  Eigen::MatrixXd logits(const Eigen::MatrixXd& x) const;
  Eigen::MatrixXd probabilities(const Eigen::MatrixXd& x) const;
};

// Fits on rows `x` (n x features, finite) with labels `y` (n class indices in [0, classes)).
// DegenerateDataError for: sizes that disagree, classes < 2, a class with no rows, a label out
// of range, a non-finite feature, C <= 0, explicit weights of the wrong count or <= 0, or both
// balanced and explicit weights. ConvergenceError when max_iterations pass without convergence.
LogisticRegressionFit fit_logistic_regression(const Eigen::MatrixXd& x, const std::vector<int>& y,
                                              int classes,
                                              const LogisticRegressionOptions& options = {});

// Row-wise softmax of logits (n x classes), shifted by each row's maximum so it never overflows.
Eigen::MatrixXd softmax_rows(const Eigen::MatrixXd& logits);

}  // namespace ethovid::focus
