// moseq fit speed on the SLEAP two-fly session (2 x 3000 frames, 13 keypoints): sweeps per second
// of the full keypoint SLDS against the AR-HMM-only sweep in the same process (the reference:
// the full sweep adds the Kalman sampling of the latent pose, heading, centroid and noise), and
// frame-sweeps per second. The project is set up in WORK_DIR with --fps 25 and the defaults.
//
//   bench_moseq_fit [SHARED_DATA_DIR] [WORK_DIR]   (defaults ../shared/data, ./bench-data)
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "ethovid/core/json_file.hpp"
#include "ethovid/moseq/fit.hpp"
#include "ethovid/moseq/project_config.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  const fs::path data = argc > 1 ? argv[1] : "../shared/data";
  const fs::path work = argc > 2 ? argv[2] : "bench-data";
  const fs::path pose = data / "pose/sleap_fly_pair_13node/predictions.slp";
  if (!fs::exists(pose)) {
    std::printf("skipped: %s not found\n", pose.c_str());
    return 0;
  }
  const fs::path project = work / "moseq_fly";
  ethovid::moseq::SetupOptions setup;
  setup.project = project;
  setup.pose_files = {pose};
  setup.fps = 25;
  setup.force = true;
  ethovid::moseq::setup_project(setup);
  auto time_fit = [&](int ar, int full) {
    ethovid::moseq::FitOptions o;
    o.project = project;
    o.ar_iters = ar;
    o.full_iters = full;
    o.checkpoint_every = ar + full;
    o.ar_chains = 1;  // the rate of one chain's sweeps; a fit runs kDefaultArChains of them
    const auto start = Clock::now();
    ethovid::moseq::fit_model(o);
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  // The setup cost (reading, preprocessing, PCA, init) is in both: take the difference of a
  // longer and a shorter run of each kind.
  const double ar_short = time_fit(5, 0), ar_long = time_fit(55, 0);
  const double full_short = time_fit(1, 5), full_long = time_fit(1, 55);
  const double ar_rate = 50 / (ar_long - ar_short), full_rate = 50 / (full_long - full_short);
  const double frames = 6000;
  std::printf("moseq fit (fly, 6000 frames, 13 keypoints): AR-HMM %.1f sweeps/s, full model %.1f sweeps/s, ratio %.3f; "
              "full model %.0f frame-sweeps/s; setup + 5 AR sweeps %.2f s\n",
              ar_rate, full_rate, full_rate / ar_rate, frames * full_rate, ar_short);
  std::printf("so 50 AR-HMM sweeps in each of %d chains + 500 full sweeps take about %.0f s\n",
              ethovid::moseq::kDefaultArChains,
              ar_short + ethovid::moseq::kDefaultArChains * 50 / ar_rate + 500 / full_rate);
  return 0;
}
