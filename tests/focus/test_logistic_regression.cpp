// The focus model's fit (logistic_regression.hpp): the same optimum as scikit-learn's
// LogisticRegression on the same data, the optimality conditions at the solution, a known
// model recovered from many rows, separable data kept finite by the penalty, and the typed
// errors for data that cannot define a model.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "ethovid/focus/logistic_regression.hpp"

namespace ethovid::focus {
namespace {

// 60 rows, 3 features, 3 classes. Made with numpy 1.24 / scikit-learn 1.2.1 (Debian bookworm's
// python3-sklearn):
//   rng = np.random.default_rng(12); n = 60
//   x = np.column_stack([rng.normal(0, 2, n), rng.normal(5, 0.5, n), (rng.random(n) < 0.7) * 1.0])
//   logit = np.column_stack([1.2 * x[:, 0], -2.0 * (x[:, 1] - 5), 1.5 * x[:, 2] - 0.5])
//   y = [rng.choice(3, p=softmax(l)) for l in logit]
// and the fixtures below from
//   LogisticRegression(C=C, class_weight=cw, solver="sag", tol=1e-12, max_iter=100000)
//       .fit(StandardScaler().fit_transform(x), y)   (multinomial)
// printed with %.10g. (sag and newton-cg agree to 1e-10 and their gradients are below 1e-9; the
// default lbfgs stops early there, 1e-5 away, on a line-search warning.)
// clang-format off
const std::vector<std::vector<double>> kX = {
    {-0.013653559731046358, 5.09293045232047, 1.0},
    {2.092286584609805, 5.0010420414256345, 0.0},
    {1.4831768425769656, 5.301553652595109, 1.0},
    {1.4479130832999811, 4.5459024406780415, 1.0},
    {3.2375524466681527, 4.223411617557728, 1.0},
    {-2.4111162852926578, 4.558996013686635, 1.0},
    {-1.2539109421527466, 5.186282675071322, 1.0},
    {-2.6413264232102502, 5.236526670374152, 0.0},
    {-0.21550501589605975, 4.231820640854129, 1.0},
    {1.9975273106340452, 4.058268145729081, 1.0},
    {-0.0438957725407605, 4.8419288785447065, 1.0},
    {0.9917601329284434, 4.905971741962551, 0.0},
    {-3.821537328353294, 4.975399583499786, 1.0},
    {0.2941283317566553, 5.335681223318518, 0.0},
    {-1.8138865025185926, 5.614417089109628, 1.0},
    {3.5507787744922816, 5.1154482149538705, 1.0},
    {1.7736981529175848, 5.306342351801868, 1.0},
    {1.8986989665160674, 4.452399153596331, 0.0},
    {-0.11570992500193894, 4.411845992768214, 1.0},
    {1.225724548560187, 5.118119167247853, 1.0},
    {1.3157803241090007, 5.332331551391967, 1.0},
    {-0.6888053328411263, 5.3631217279560435, 1.0},
    {-0.9947440709917109, 5.296370995551998, 1.0},
    {-0.2295455668137398, 5.392086854488139, 0.0},
    {-1.2109040187008695, 5.404914014998314, 1.0},
    {-1.1886788350097075, 4.123907318031173, 0.0},
    {-0.5667507512079156, 4.632917115524736, 1.0},
    {-1.4568354543669055, 5.22757987115317, 1.0},
    {1.532655571890801, 5.298335982533495, 0.0},
    {-3.1921726675908673, 4.243953795250109, 1.0},
    {1.6471242572313838, 5.586530683280993, 0.0},
    {-1.2511329405169014, 4.780584038076757, 1.0},
    {-1.0918799113882216, 4.883787625311459, 1.0},
    {-2.70169428373158, 5.13690932238018, 0.0},
    {-0.28848423769794024, 5.374817616024221, 1.0},
    {-0.49532301853473476, 4.2834415033042035, 1.0},
    {0.38291166107611285, 5.494956288487072, 1.0},
    {-1.067548591849869, 5.03864673386057, 1.0},
    {0.18751235860693316, 4.614593252539246, 1.0},
    {3.6393836762581873, 4.862363429236181, 1.0},
    {0.8179993889071907, 3.9070808257006906, 1.0},
    {-1.1473800743114368, 4.676190737698957, 1.0},
    {1.906219190477343, 5.090954825510759, 1.0},
    {-0.25760226793831636, 4.645474762390361, 1.0},
    {1.1877489361958096, 4.835993569200834, 1.0},
    {1.2254948578953935, 4.926618816238817, 1.0},
    {-0.7821314335218448, 5.0241904462935985, 1.0},
    {-3.8605749950519694, 5.510318332676109, 0.0},
    {-0.6953072465098835, 4.9875521100424685, 1.0},
    {1.1029108475991414, 4.870016032047115, 1.0},
    {-0.7602208130667891, 5.2693226113623854, 1.0},
    {0.8779386297660563, 6.0383085302553665, 1.0},
    {1.9590807433199477, 4.828626162222362, 1.0},
    {-1.0882268301281737, 5.256433626361703, 1.0},
    {2.462703505082579, 4.211347524994316, 1.0},
    {3.243608923376276, 5.672746935190129, 1.0},
    {2.158091888408163, 5.329691752854681, 1.0},
    {2.3309256812545387, 5.666399834004011, 1.0},
    {2.19359289555289, 4.970469871810724, 1.0},
    {4.509078121142303, 4.478592217993889, 0.0}
};
// clang-format on
const std::vector<int> kY = {2, 0, 0, 1, 2, 1, 0, 1, 0, 0, 2, 0, 2, 2, 1, 0, 0, 2, 1, 2,
                             0, 1, 2, 2, 2, 1, 2, 2, 1, 1, 2, 2, 2, 2, 2, 2, 2, 1, 2, 0,
                             1, 1, 0, 2, 2, 2, 2, 2, 1, 0, 2, 0, 0, 2, 0, 0, 0, 0, 0, 0};

Eigen::MatrixXd to_matrix(const std::vector<std::vector<double>>& rows) {
  Eigen::MatrixXd out(rows.size(), rows.front().size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (std::size_t j = 0; j < rows[i].size(); ++j) out(i, j) = rows[i][j];
  }
  return out;
}

void expect_fit(const LogisticRegressionFit& fit, const std::vector<std::vector<double>>& coef,
                const std::vector<double>& intercept) {
  ASSERT_EQ(fit.coefficients.rows(), 3);
  ASSERT_EQ(fit.coefficients.cols(), 3);
  for (int k = 0; k < 3; ++k) {
    for (int j = 0; j < 3; ++j) {
      EXPECT_NEAR(fit.coefficients(k, j), coef[k][j], 1e-8) << "class " << k << " feature " << j;
    }
    EXPECT_NEAR(fit.intercepts[k], intercept[k], 1e-8) << "class " << k;
  }
}

TEST(LogisticRegression, MatchesScikitLearn) {
  const LogisticRegressionFit fit = fit_logistic_regression(to_matrix(kX), kY, 3);
  expect_fit(fit,
             {{1.384159874, 0.3462480329, 0.2862574704},
              {-0.8924418584, -0.4833375085, -0.1884421424},
              {-0.4917180153, 0.1370894755, -0.097815328}},
             {-0.22686819, -0.3850053697, 0.6118735598});
  EXPECT_LE(fit.iterations, 20);
}

TEST(LogisticRegression, MatchesScikitLearnWithBalancedWeightsAndStrongerPenalty) {
  LogisticRegressionOptions options;
  options.c = 0.3;
  options.balanced = true;
  const LogisticRegressionFit fit = fit_logistic_regression(to_matrix(kX), kY, 3, options);
  // counts 20, 13, 27 of 60 rows: n / (k n_c)
  EXPECT_NEAR(fit.class_weights[0], 60.0 / (3 * 20), 1e-15);
  EXPECT_NEAR(fit.class_weights[1], 60.0 / (3 * 13), 1e-15);
  EXPECT_NEAR(fit.class_weights[2], 60.0 / (3 * 27), 1e-15);
  expect_fit(fit,
             {{1.034333209, 0.2249833813, 0.2004628583},
              {-0.6769428006, -0.3592116828, -0.1290352291},
              {-0.3573904085, 0.1342283015, -0.0714276292}},
             {-0.1572004788, -0.01963831221, 0.176838791});
}

TEST(LogisticRegression, ExplicitWeightsEqualToBalancedGiveTheSameFit) {
  LogisticRegressionOptions balanced;
  balanced.balanced = true;
  LogisticRegressionOptions explicit_weights;
  explicit_weights.class_weights = {1.0, 60.0 / 39, 60.0 / 81};
  const auto a = fit_logistic_regression(to_matrix(kX), kY, 3, balanced);
  const auto b = fit_logistic_regression(to_matrix(kX), kY, 3, explicit_weights);
  EXPECT_LT((a.coefficients - b.coefficients).cwiseAbs().maxCoeff(), 1e-9);
  EXPECT_LT((a.intercepts - b.intercepts).cwiseAbs().maxCoeff(), 1e-9);
}

// The optimality conditions, computed here independently of the fit's own code: for every class
// k and standardised feature j, sum_i s_i (p_ik - [y_i = k]) x_ij + W_kj / C = 0, and without
// the penalty term for the intercepts.
TEST(LogisticRegression, GradientIsZeroAtTheSolution) {
  LogisticRegressionOptions options;
  options.c = 0.7;
  options.class_weights = {2.0, 1.0, 0.5};
  const Eigen::MatrixXd x = to_matrix(kX);
  const LogisticRegressionFit fit = fit_logistic_regression(x, kY, 3, options);
  const Eigen::MatrixXd p = fit.probabilities(x);
  for (int k = 0; k < 3; ++k) {
    for (int j = 0; j <= 3; ++j) {
      double g = j < 3 ? fit.coefficients(k, j) / options.c : 0.0;
      for (int i = 0; i < x.rows(); ++i) {
        const double xs = j < 3 ? (x(i, j) - fit.mean[j]) / fit.scale[j] : 1.0;
        g += options.class_weights[kY[i]] * (p(i, k) - (kY[i] == k ? 1.0 : 0.0)) * xs;
      }
      EXPECT_NEAR(g, 0.0, 1e-7) << "class " << k << " parameter " << j;
    }
  }
  // The symmetric parametrisation's conventions.
  EXPECT_NEAR(fit.intercepts.sum(), 0.0, 1e-12);
  for (int j = 0; j < 3; ++j) EXPECT_NEAR(fit.coefficients.col(j).sum(), 0.0, 1e-9);
  // The scaler is the population mean and standard deviation.
  double mean = 0, var = 0;
  for (int i = 0; i < x.rows(); ++i) mean += x(i, 0) / x.rows();
  for (int i = 0; i < x.rows(); ++i) var += (x(i, 0) - mean) * (x(i, 0) - mean) / x.rows();
  EXPECT_NEAR(fit.mean[0], mean, 1e-12);
  EXPECT_NEAR(fit.scale[0], std::sqrt(var), 1e-12);
}

TEST(LogisticRegression, RecoversAKnownModelFromManyRows) {
  // Features N(0, 1) (so standardising barely changes them), labels drawn from a softmax with
  // known logits; a weak penalty (C = 1e4) and 30000 rows pin the coefficients to the truth
  // (standard error ~0.02).
  const Eigen::MatrixXd truth_w{{2.0, -1.0}, {-1.0, 1.5}, {-1.0, -0.5}};
  const Eigen::Vector3d truth_b{0.3, -0.1, -0.2};
  std::mt19937 random(7);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  const int n = 30000;
  Eigen::MatrixXd x(n, 2);
  std::vector<int> y(n);
  for (int i = 0; i < n; ++i) {
    x(i, 0) = normal(random);
    x(i, 1) = normal(random);
    const Eigen::Vector3d z = truth_w * x.row(i).transpose() + truth_b;
    const Eigen::Vector3d e = (z.array() - z.maxCoeff()).exp();
    const double u = uniform(random) * e.sum();
    y[i] = u < e[0] ? 0 : (u < e[0] + e[1] ? 1 : 2);
  }
  LogisticRegressionOptions options;
  options.c = 1e4;
  const LogisticRegressionFit fit = fit_logistic_regression(x, y, 3, options);
  // Back to raw units: W_raw = W / scale, b_raw = b - W_raw * mean.
  for (int k = 0; k < 3; ++k) {
    double b_raw = fit.intercepts[k];
    for (int j = 0; j < 2; ++j) {
      const double w_raw = fit.coefficients(k, j) / fit.scale[j];
      EXPECT_NEAR(w_raw, truth_w(k, j), 0.1) << "class " << k << " feature " << j;
      b_raw -= w_raw * fit.mean[j];
    }
    EXPECT_NEAR(b_raw, truth_b[k], 0.1) << "class " << k;
  }
}

TEST(LogisticRegression, SeparableDataStaysFiniteAndIsClassifiedPerfectly) {
  // Without a penalty the coefficients would grow without bound; C = 1 keeps them finite.
  Eigen::MatrixXd x(6, 1);
  x << -3, -2, -1, 1, 2, 3;
  const std::vector<int> y = {0, 0, 0, 1, 1, 1};
  const LogisticRegressionFit fit = fit_logistic_regression(x, y, 2);
  EXPECT_TRUE(fit.coefficients.allFinite());
  EXPECT_GT(fit.coefficients(1, 0), 0.5);
  const Eigen::MatrixXd p = fit.probabilities(x);
  for (int i = 0; i < 6; ++i) EXPECT_GT(p(i, y[i]), 0.5) << "row " << i;
  // A weaker penalty separates more sharply.
  LogisticRegressionOptions weak;
  weak.c = 100;
  EXPECT_GT(fit_logistic_regression(x, y, 2, weak).coefficients(1, 0), fit.coefficients(1, 0));
}

TEST(LogisticRegression, ConstantFeatureKeepsScaleOneAndAZeroCoefficient) {
  Eigen::MatrixXd x = to_matrix(kX);
  x.col(2).setConstant(1.0);  // e.g. face_present in rows that all have a face
  const LogisticRegressionFit fit = fit_logistic_regression(x, kY, 3);
  EXPECT_EQ(fit.scale[2], 1.0);
  EXPECT_EQ(fit.mean[2], 1.0);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(fit.coefficients(k, 2), 0.0, 1e-12);
}

TEST(LogisticRegression, DegenerateDataIsATypedError) {
  const Eigen::MatrixXd x = to_matrix(kX);
  // One class only.
  EXPECT_THROW(fit_logistic_regression(x, std::vector<int>(60, 0), 1), DegenerateDataError);
  // Three classes asked, one of them without rows.
  std::vector<int> two(kY);
  for (int& v : two) v = v == 2 ? 1 : v;
  try {
    fit_logistic_regression(x, two, 3);
    ADD_FAILURE() << "no error for an empty class";
  } catch (const DegenerateDataError& e) {
    EXPECT_NE(std::string(e.what()).find("class 2 of 3 has no rows"), std::string::npos)
        << e.what();
  }
  // Sizes.
  EXPECT_THROW(fit_logistic_regression(x, std::vector<int>(59, 0), 3), DegenerateDataError);
  // A label out of range.
  std::vector<int> bad(kY);
  bad[5] = 3;
  EXPECT_THROW(fit_logistic_regression(x, bad, 3), DegenerateDataError);
  // A NaN feature names its row and column.
  Eigen::MatrixXd nan_x = x;
  nan_x(4, 1) = std::nan("");
  try {
    fit_logistic_regression(nan_x, kY, 3);
    ADD_FAILURE() << "no error for NaN";
  } catch (const DegenerateDataError& e) {
    EXPECT_NE(std::string(e.what()).find("feature 1 of row 4"), std::string::npos) << e.what();
  }
  // Options.
  LogisticRegressionOptions zero_c;
  zero_c.c = 0;
  EXPECT_THROW(fit_logistic_regression(x, kY, 3, zero_c), DegenerateDataError);
  LogisticRegressionOptions wrong_count;
  wrong_count.class_weights = {1, 2};
  EXPECT_THROW(fit_logistic_regression(x, kY, 3, wrong_count), DegenerateDataError);
  LogisticRegressionOptions negative;
  negative.class_weights = {1, -2, 1};
  EXPECT_THROW(fit_logistic_regression(x, kY, 3, negative), DegenerateDataError);
  LogisticRegressionOptions both;
  both.balanced = true;
  both.class_weights = {1, 1, 1};
  EXPECT_THROW(fit_logistic_regression(x, kY, 3, both), DegenerateDataError);
}

TEST(LogisticRegression, TooFewStepsIsAConvergenceError) {
  LogisticRegressionOptions options;
  options.max_iterations = 1;
  try {
    fit_logistic_regression(to_matrix(kX), kY, 3, options);
    ADD_FAILURE() << "no error after one Newton step";
  } catch (const ConvergenceError& e) {
    EXPECT_EQ(e.exit_code(), 3);
    EXPECT_NE(std::string(e.what()).find("after 1 Newton steps on 60 rows"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace ethovid::focus
