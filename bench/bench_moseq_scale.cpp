// moseq fit at the scale: 100 000 frames of generated keypoints (4 animals x 25 000
// frames, 12 keypoints, 2-D), latent_dim 10, 100 states, nlags 3. It prints
//   - seconds per Gibbs sweep of the AR-HMM and of the full keypoint SLDS (medians over the
//     sweeps of one fit, from fit_log.jsonl);
//   - the GFLOP/s those sweeps achieve (their dense steps' flops, counted from the dimensions,
//     over the sweep time) as a fraction of Eigen's GEMM GFLOP/s measured in the same run;
//   - the fit's peak resident memory per 100 frames (the high-water mark is reset after the
//     pose files are written, so it covers setup, preprocessing and the fit).
//
//   bench_moseq_scale [WORK_DIR] [SWEEPS]   (defaults ./bench-data, 6 of each kind)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "ethovid/core/elapsed.hpp"
#include "ethovid/core/json_file.hpp"
#include "ethovid/moseq/fit.hpp"
#include "ethovid/moseq/project_config.hpp"
#include "ethovid/moseq/sampling.hpp"

namespace fs = std::filesystem;

namespace {

constexpr int kAnimals = 4, kFramesPerAnimal = 25000, kKeypoints = 12, kLatentDim = 10, kStates = 100, kLags = 3;
constexpr int kTrueSyllables = 20;

// One animal's keypoints from a sticky switching AR(1) pose process in kLatentDim dimensions,
// mapped to keypoints by a fixed random basis around a template, then rotated by a wandering
// heading and moved along a random-walk centroid. Written as a DeepLabCut CSV.
void write_animal(const fs::path& file, int animal, const std::vector<Eigen::MatrixXd>& A,
                  const Eigen::MatrixXd& basis, const Eigen::VectorXd& templ, ethovid::moseq::Sampler& rng) {
  std::ofstream out(file);
  out << "scorer";
  for (int i = 0; i < kKeypoints * 3; ++i) out << ",gen";
  out << "\nbodyparts";
  for (int k = 0; k < kKeypoints; ++k) {
    const std::string name = k == 0 ? "nose" : k == kKeypoints - 1 ? "tail_base" : "part" + std::to_string(k);
    out << "," << name << "," << name << "," << name;
  }
  out << "\ncoords";
  for (int k = 0; k < kKeypoints; ++k) out << ",x,y,likelihood";
  out << "\n";
  Eigen::VectorXd x = Eigen::VectorXd::Zero(kLatentDim);
  int syllable = animal % kTrueSyllables;
  double heading = 0, cx = 300, cy = 300;
  char buffer[64];
  for (int t = 0; t < kFramesPerAnimal; ++t) {
    if (rng.uniform() < 0.1) syllable = static_cast<int>(rng.uniform() * kTrueSyllables) % kTrueSyllables;
    Eigen::VectorXd noise(kLatentDim);
    for (auto& v : noise) v = 0.3 * rng.normal();
    x = A[static_cast<std::size_t>(syllable)] * x + noise;
    heading += 0.05 * rng.normal();
    cx += rng.normal(), cy += rng.normal();
    const Eigen::VectorXd pose = templ + basis * x;
    const double c = std::cos(heading), s = std::sin(heading);
    out << t;
    for (int k = 0; k < kKeypoints; ++k) {
      const double px = pose[2 * k], py = pose[2 * k + 1];
      std::snprintf(buffer, sizeof buffer, ",%.3f,%.3f,%.3f", c * px - s * py + cx + rng.normal(),
                    s * px + c * py + cy + rng.normal(), 0.8 + 0.19 * rng.uniform());
      out << buffer;
    }
    out << "\n";
  }
}

// Eigen's GEMM rate on this machine now, with the threads the fit uses.
double gemm_gflops() {
  const int n = 1000;
  const Eigen::MatrixXd a = Eigen::MatrixXd::Random(n, n), b = Eigen::MatrixXd::Random(n, n);
  Eigen::MatrixXd c(n, n);
  double best = 0;
  for (int repeat = 0; repeat < 5; ++repeat) {
    const auto start = std::chrono::steady_clock::now();
    c.noalias() = a * b;
    best = std::max(best, 2.0 * n * n * n / ethovid::core::seconds_since(start) / 1e9);
  }
  return best;
}

// Flops of one sweep's dense steps per frame, from the algorithms' shapes (multiply-add = 2).
double ar_hmm_flops_per_frame() {
  const double d = kLatentDim, p = d * kLags + 1, S = kStates;
  const double likelihoods = S * (2 * d * (p + d) + 2 * d);  // whitened residuals of every syllable, norms
  const double forward = 2 * S * S + 4 * S;            // predicted = filtered * pi, scaling
  const double statistics = 2 * (p * p + d * p + d * d);
  return likelihoods + forward + statistics;
}

double full_extra_flops_per_frame() {
  const double d = kLatentDim, n = d * kLags, obs = 2.0 * kKeypoints, pca = 2.0 * (kKeypoints - 1);
  const double assemble = (kLags + 1.0) * (kLags + 1.0) * d * d + 2 * obs * d * d + 2 * obs * d;
  const double factor = d * n * n + 2 * d * d * n + d * d * d / 3;  // panel solve, downdate, Cholesky
  const double solves = 4 * (n * d + d * d);
  const double keypoints = 3 * (2 * pca * d + 2 * obs * pca);  // predicted keypoints for h, v and s
  return assemble + factor + solves + keypoints;
}

long peak_rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path work = fs::path(argc > 1 ? argv[1] : "bench-data") / "moseq_scale";
  const int sweeps = argc > 2 ? std::max(3, std::atoi(argv[2])) : 6;
  fs::create_directories(work);
  ethovid::moseq::Sampler rng(7);
  std::vector<Eigen::MatrixXd> A;
  for (int z = 0; z < kTrueSyllables; ++z) {
    // A stable random rotation-like map per syllable.
    const Eigen::MatrixXd g = Eigen::MatrixXd::NullaryExpr(kLatentDim, kLatentDim, [&] { return rng.normal(); });
    const Eigen::HouseholderQR<Eigen::MatrixXd> qr(g);
    A.push_back(0.9 * Eigen::MatrixXd(qr.householderQ()));
  }
  const Eigen::MatrixXd basis = Eigen::MatrixXd::NullaryExpr(2 * kKeypoints, kLatentDim, [&] { return 3 * rng.normal(); });
  Eigen::VectorXd templ(2 * kKeypoints);
  for (int k = 0; k < kKeypoints; ++k) templ[2 * k] = 40.0 - 80.0 * k / (kKeypoints - 1), templ[2 * k + 1] = (k % 2 ? 8 : -8);
  ethovid::moseq::SetupOptions setup;
  setup.project = work / "project";
  setup.fps = 30;
  setup.force = true;
  for (int animal = 0; animal < kAnimals; ++animal) {
    const fs::path file = work / ("animal" + std::to_string(animal) + ".csv");
    if (!fs::exists(file)) write_animal(file, animal, A, basis, templ, rng);
    setup.pose_files.push_back(file);
  }
  std::ofstream("/proc/self/clear_refs") << "5";  // the memory high-water mark starts here
  const long rss_before = peak_rss_kb();
  ethovid::moseq::setup_project(setup);
  const fs::path config_path = setup.project / "config.yml";
  std::string config = [&] {
    std::ifstream in(config_path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  config.replace(config.find("latent_dim: ~"), 13, "latent_dim: " + std::to_string(kLatentDim));
  std::ofstream(config_path) << config;

  ethovid::moseq::FitOptions fit;
  fit.project = setup.project;
  fit.ar_iters = sweeps;
  fit.full_iters = sweeps;
  fit.checkpoint_every = 1000000;  // only the two checkpoints every fit writes
  fit.ar_chains = 1;  // one chain: the log's seconds are then one sweep after another
  const auto start = std::chrono::steady_clock::now();
  ethovid::moseq::fit_model(fit);
  const double total = ethovid::core::seconds_since(start);
  const long rss_peak = peak_rss_kb();

  std::vector<double> ar_times, full_times;
  std::ifstream log(setup.project / ethovid::moseq::kFitLog);
  std::string line;
  double previous = 0;
  while (std::getline(log, line)) {
    const auto entry = ethovid::core::Json::parse(line);
    const double seconds = entry.at("seconds").get<double>();
    // The first sweep of each kind also pays for the checkpoint before it; leave it out.
    const int iteration = entry.at("iteration").get<int>();
    if (iteration != 1 && iteration != sweeps + 1) {
      (entry.at("phase").get<std::string>() == "ar" ? ar_times : full_times).push_back(seconds - previous);
    }
    previous = seconds;
  }
  const double ar_sweep = median(ar_times), full_sweep = median(full_times);
  const double frames = double(kAnimals) * kFramesPerAnimal;
  const double gemm = gemm_gflops();
  const double ar_gflops = frames * ar_hmm_flops_per_frame() / ar_sweep / 1e9;
  const double full_gflops = frames * (ar_hmm_flops_per_frame() + full_extra_flops_per_frame()) / full_sweep / 1e9;
  std::printf("moseq at scale: %.0f frames, %d keypoints, latent_dim %d, %d states, nlags %d; fit of %d + %d sweeps in %.1f s\n",
              frames, kKeypoints, kLatentDim, kStates, kLags, sweeps, sweeps, total);
  std::printf("Eigen GEMM (1000^3, same process): %.1f GFLOP/s\n", gemm);
  std::printf("AR-HMM sweep:     %.2f s  (goal <= 2 s)  %.2f GFLOP/s = %.3f of GEMM\n", ar_sweep, ar_gflops, ar_gflops / gemm);
  std::printf("full-model sweep: %.2f s  (goal <= 5 s)  %.2f GFLOP/s = %.3f of GEMM; full/AR-HMM time ratio %.2f\n",
              full_sweep, full_gflops, full_gflops / gemm, full_sweep / ar_sweep);
  const double mb_per_100 = (rss_peak / 1024.0) / (frames / 100);
  std::printf("peak memory: %.0f MB (%.0f MB before setup) = %.3f MB per 100 frames (goal <= 0.5)\n", rss_peak / 1024.0,
              rss_before / 1024.0, mb_per_100);
  std::printf("so 50 AR-HMM + 500 full sweeps on these 100 000 frames take about %.0f min\n",
              (50 * ar_sweep + 500 * full_sweep) / 60);
  return 0;
}
