#include "ethovid/focus/logistic_regression.hpp"

#include <cmath>
#include <sstream>

namespace ethovid::focus {

namespace {

// Parameters as one matrix: row k holds class k's coefficients and, last, its intercept.
using Params = Eigen::MatrixXd;

struct Problem {
  Eigen::MatrixXd xa;  // n x (d + 1): standardised features and a column of ones
  std::vector<int> y;
  Eigen::VectorXd s;  // per-row weight (its class's weight)
  int classes = 0;
  double inv_c = 1.0;
  double weight_sum = 0;
};

// Penalised weighted loss; fills the probabilities when asked.
double objective(const Problem& p, const Params& theta, Eigen::MatrixXd* probs) {
  const Eigen::Index d = theta.cols() - 1;
  const Eigen::MatrixXd z = p.xa * theta.transpose();  // n x k
  double loss = 0;
  Eigen::MatrixXd out(z.rows(), z.cols());
  for (Eigen::Index i = 0; i < z.rows(); ++i) {
    const double m = z.row(i).maxCoeff();
    const Eigen::RowVectorXd e = (z.row(i).array() - m).exp();
    const double sum = e.sum();
    loss += p.s[i] * (m + std::log(sum) - z(i, p.y[i]));
    out.row(i) = e / sum;
  }
  loss += 0.5 * p.inv_c * theta.leftCols(d).squaredNorm();
  if (probs) *probs = std::move(out);
  return loss;
}

// Gradient (k x (d + 1)) from the probabilities.
Params gradient(const Problem& p, const Params& theta, const Eigen::MatrixXd& probs) {
  const Eigen::Index d = theta.cols() - 1;
  Eigen::MatrixXd r = probs;  // s_i * (p_ik - [y_i = k])
  for (Eigen::Index i = 0; i < r.rows(); ++i) {
    r(i, p.y[i]) -= 1.0;
    r.row(i) *= p.s[i];
  }
  Params g = r.transpose() * p.xa;
  g.leftCols(d) += p.inv_c * theta.leftCols(d);
  return g;
}

// The Hessian over the parameters flattened row-major (class k's block first), plus a term
// along the one direction the loss does not see (all intercepts moved together): the gradient
// is orthogonal to it, so the Newton step is the same as with the pseudo-inverse, but the
// matrix is positive definite and Cholesky can solve it.
Eigen::MatrixXd hessian(const Problem& p, const Eigen::MatrixXd& probs) {
  const Eigen::Index m = p.xa.cols();  // d + 1
  const int k = p.classes;
  Eigen::MatrixXd h = Eigen::MatrixXd::Zero(k * m, k * m);
  Eigen::VectorXd w(p.xa.rows());
  for (int a = 0; a < k; ++a) {
    for (int b = a; b < k; ++b) {
      w = p.s.array() * probs.col(a).array() * ((a == b ? 1.0 : 0.0) - probs.col(b).array());
      const Eigen::MatrixXd block =
          p.xa.transpose() * (p.xa.array().colwise() * w.array()).matrix();
      h.block(a * m, b * m, m, m) = block;
      if (a != b) h.block(b * m, a * m, m, m) = block.transpose();
    }
    for (Eigen::Index j = 0; j + 1 < m; ++j) h(a * m + j, a * m + j) += p.inv_c;
  }
  const double c = p.weight_sum / k;
  for (int a = 0; a < k; ++a) {
    for (int b = 0; b < k; ++b) h(a * m + m - 1, b * m + m - 1) += c / k;
  }
  return h;
}

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace

Eigen::MatrixXd softmax_rows(const Eigen::MatrixXd& logits) {
  Eigen::MatrixXd out(logits.rows(), logits.cols());
  for (Eigen::Index i = 0; i < logits.rows(); ++i) {
    const Eigen::RowVectorXd e = (logits.row(i).array() - logits.row(i).maxCoeff()).exp();
    out.row(i) = e / e.sum();
  }
  return out;
}

Eigen::MatrixXd LogisticRegressionFit::logits(const Eigen::MatrixXd& x) const {
  Eigen::MatrixXd xs = x;
  for (Eigen::Index j = 0; j < xs.cols(); ++j) {
    xs.col(j) = (xs.col(j).array() - mean[j]) / scale[j];
  }
  return (xs * coefficients.transpose()).rowwise() + intercepts.transpose();
}

Eigen::MatrixXd LogisticRegressionFit::probabilities(const Eigen::MatrixXd& x) const {
  return softmax_rows(logits(x));
}

LogisticRegressionFit fit_logistic_regression(const Eigen::MatrixXd& x, const std::vector<int>& y,
                                              int classes,
                                              const LogisticRegressionOptions& options) {
  const Eigen::Index n = x.rows(), d = x.cols();
  if (static_cast<std::size_t>(n) != y.size()) {
    throw DegenerateDataError("logistic regression: " + std::to_string(n) + " feature rows but " +
                              std::to_string(y.size()) + " labels");
  }
  if (classes < 2) {
    throw DegenerateDataError("logistic regression needs at least 2 classes, got " +
                              std::to_string(classes));
  }
  if (!(options.c > 0) || !std::isfinite(options.c)) {
    throw DegenerateDataError("logistic regression: C must be a finite number > 0, got " +
                              number(options.c));
  }
  if (!x.allFinite()) {
    for (Eigen::Index i = 0; i < n; ++i) {
      for (Eigen::Index j = 0; j < d; ++j) {
        if (!std::isfinite(x(i, j))) {
          throw DegenerateDataError("logistic regression: feature " + std::to_string(j) +
                                    " of row " + std::to_string(i) + " is " + number(x(i, j)) +
                                    " (impute missing values first)");
        }
      }
    }
  }
  std::vector<std::int64_t> counts(classes, 0);
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (y[i] < 0 || y[i] >= classes) {
      throw DegenerateDataError("logistic regression: label " + std::to_string(y[i]) + " of row " +
                                std::to_string(i) + " is outside [0, " + std::to_string(classes) +
                                ")");
    }
    ++counts[y[i]];
  }
  for (int k = 0; k < classes; ++k) {
    if (counts[k] == 0) {
      throw DegenerateDataError("logistic regression: class " + std::to_string(k) + " of " +
                                std::to_string(classes) + " has no rows among " +
                                std::to_string(n));
    }
  }

  LogisticRegressionFit fit;
  fit.class_weights.assign(classes, 1.0);
  if (options.balanced && !options.class_weights.empty()) {
    throw DegenerateDataError(
        "logistic regression: class weights are either balanced or explicit, "
        "not both");
  }
  if (options.balanced) {
    for (int k = 0; k < classes; ++k) {
      fit.class_weights[k] = static_cast<double>(n) / (classes * static_cast<double>(counts[k]));
    }
  } else if (!options.class_weights.empty()) {
    if (options.class_weights.size() != static_cast<std::size_t>(classes)) {
      throw DegenerateDataError(
          "logistic regression: " + std::to_string(options.class_weights.size()) +
          " class weights for " + std::to_string(classes) + " classes");
    }
    for (int k = 0; k < classes; ++k) {
      const double w = options.class_weights[k];
      if (!(w > 0) || !std::isfinite(w)) {
        throw DegenerateDataError("logistic regression: the weight of class " + std::to_string(k) +
                                  " must be a finite number > 0, got " + number(w));
      }
    }
    fit.class_weights = options.class_weights;
  }

  Problem p;
  p.classes = classes;
  p.inv_c = 1.0 / options.c;
  p.y = y;
  p.xa.resize(n, d + 1);
  fit.mean.assign(d, 0.0);
  fit.scale.assign(d, 1.0);
  for (Eigen::Index j = 0; j < d; ++j) {
    if (options.standardize) {
      const double mean = x.col(j).mean();
      const double var = (x.col(j).array() - mean).square().mean();
      const double sd = std::sqrt(var);
      fit.mean[j] = mean;
      // A constant column (e.g. face_present always 1 in the training rows) stays 0 after
      // centring; scale 1 keeps it finite, and the penalty keeps its coefficient at 0.
      fit.scale[j] = sd > 1e-12 * std::max(1.0, std::abs(mean)) ? sd : 1.0;
    }
    p.xa.col(j) = (x.col(j).array() - fit.mean[j]) / fit.scale[j];
  }
  p.xa.col(d).setOnes();
  p.s.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) p.s[i] = fit.class_weights[y[i]];
  p.weight_sum = p.s.sum();

  Params theta = Params::Zero(classes, d + 1);
  Eigen::MatrixXd probs;
  double f = objective(p, theta, &probs);
  const double tol = options.tolerance * p.weight_sum;
  Params g = gradient(p, theta, probs);
  int it = 0;
  for (; g.cwiseAbs().maxCoeff() > tol; ++it) {
    if (it >= options.max_iterations) {
      throw ConvergenceError("logistic regression did not converge: after " + std::to_string(it) +
                             " Newton steps on " + std::to_string(n) +
                             " rows the largest gradient "
                             "component is " +
                             number(g.cwiseAbs().maxCoeff()) + " (tolerance " + number(tol) + ")");
    }
    const Eigen::MatrixXd h = hessian(p, probs);
    Eigen::VectorXd gv(g.size());
    for (Eigen::Index k = 0; k < g.rows(); ++k) gv.segment(k * g.cols(), g.cols()) = g.row(k);
    Eigen::VectorXd step;
    const Eigen::LLT<Eigen::MatrixXd> llt(h);
    if (llt.info() == Eigen::Success) {
      step = -llt.solve(gv);
    } else {
      step = -h.ldlt().solve(gv);
    }
    Params delta(classes, d + 1);
    for (Eigen::Index k = 0; k < delta.rows(); ++k) {
      delta.row(k) = step.segment(k * delta.cols(), delta.cols());
    }
    const double slope = gv.dot(step);
    if (!(slope < 0)) {
      throw ConvergenceError("logistic regression did not converge: the Newton step at step " +
                             std::to_string(it) +
                             " is not a descent direction (largest gradient "
                             "component " +
                             number(g.cwiseAbs().maxCoeff()) + ")");
    }
    double t = 1.0;
    Params next;
    Eigen::MatrixXd next_probs;
    double next_f = 0;
    bool accepted = false;
    for (int halving = 0; halving < 60; ++halving, t *= 0.5) {
      next = theta + t * delta;
      next_f = objective(p, next, &next_probs);
      if (next_f <= f + 1e-4 * t * slope) {
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      // Rounding: the loss no longer decreases measurably. Accept only if the gradient is
      // already at the floor of what doubles can resolve; otherwise say so.
      const double floor = 1e-12 * p.weight_sum;
      if (g.cwiseAbs().maxCoeff() <= std::max(tol, floor)) break;
      throw ConvergenceError("logistic regression did not converge: the line search at step " +
                             std::to_string(it) +
                             " found no decrease (largest gradient component " +
                             number(g.cwiseAbs().maxCoeff()) + ", tolerance " + number(tol) + ")");
    }
    theta = std::move(next);
    probs = std::move(next_probs);
    f = next_f;
    g = gradient(p, theta, probs);
  }

  fit.iterations = it;
  fit.objective = f;
  fit.gradient_max = g.cwiseAbs().maxCoeff();
  fit.coefficients = theta.leftCols(d);
  fit.intercepts = theta.col(d);
  // The loss is blind to a shift of all intercepts; centring them is the convention (the
  // Newton steps never move along that direction, so this only removes rounding drift).
  fit.intercepts.array() -= fit.intercepts.mean();
  return fit;
}

}  // namespace ethovid::focus
