// Where does moseq lose the syllables? (issue 11 §2.) On keypoints from tests/moseq/
// realistic_syllables.hpp (6 AR(1) states in a 4-D pose, 9 keypoints, mean dwell 12 frames,
// 3 x 3000 frames at 30 fps), per seed and stage:
//   oracle      decoding (Viterbi) with the true AR(1) parameters and transitions: on the true
//               pose, and on the aligned PCA latents with AR(1) models fitted to the true labels
//   ar-true     the AR-HMM alone (config defaults, 100 states) on the true pose, whitened
//   ar-pca-L    the AR-HMM alone on the aligned, whitened PCA latents (L = 3, 4, auto)
//   full        the keypoint SLDS: 50 AR-HMM sweeps then full sweeps (the recipe's 50 + 500)
//   restarts    8 AR-HMM restarts of 50 sweeps (true pose, 4 PCs): marginal log-likelihood vs accuracy
//   run         `moseq run --target-duration-ms TARGET_MS` through the library (run_pipeline) on
//               DeepLabCut CSVs of the keypoints: config.yml as setup writes it, the default
//               sweeps (SWEEPS = full sweeps here; 500 by default) and AR_CHAINS (env) chains;
//               KAPPA "config" skips the search (any other KAPPA, and FIT_SEED, are for the other
//               stages: run searches); env KEEP_PROJECT keeps the project to look at
// Each AR-HMM stage searches kappa like `moseq fit --target-duration-ms 300,500` (binary search in
// log10 kappa on the median duration; probes of 50 sweeps; the full model's probes 50 + 50),
// then runs its fit and scores the labels after 50, 150, 300 and 550 sweeps: many-to-one
// accuracy, NMI, states above 1 % of the frames. It also prints the complete-data
// log-likelihood (AR(3) least-squares fits per label + empirical transitions) of the true labels
// and of the found ones on the same latents, per frame.
//
//   bench_moseq_recovery [SEEDS=1,2,3] [STAGES=oracle,ar-true,ar-pca,full] [SWEEPS=550]
//                        [KAPPA=search|value] [TARGET_MS=300,500]     (env FIT_SEED: sampler seed offset)
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../tests/moseq/realistic_project.hpp"
#include "../tests/moseq/realistic_syllables.hpp"
#include "ethovid/moseq/ar_hmm.hpp"
#include "ethovid/moseq/fit.hpp"
#include "ethovid/moseq/kappa_search.hpp"
#include "ethovid/moseq/keypoint_slds.hpp"
#include "ethovid/moseq/pipeline.hpp"
#include "ethovid/moseq/slds_init.hpp"

using namespace ethovid::moseq;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

// Most likely state sequence given S x T log-likelihoods and transitions (uniform start).
std::vector<int> viterbi(const Eigen::MatrixXd& ll, const Eigen::MatrixXd& pi) {
  const Eigen::Index S = ll.rows(), T = ll.cols();
  const Eigen::MatrixXd log_pi = pi.array().log();
  Eigen::MatrixXd score(S, T);
  Eigen::MatrixXi from(S, T);
  score.col(0) = ll.col(0);
  for (Eigen::Index t = 1; t < T; ++t) {
    for (Eigen::Index j = 0; j < S; ++j) {
      Eigen::Index arg;
      score(j, t) = (score.col(t - 1) + log_pi.col(j)).maxCoeff(&arg) + ll(j, t);
      from(j, t) = static_cast<int>(arg);
    }
  }
  std::vector<int> z(static_cast<std::size_t>(T));
  Eigen::Index last;
  score.col(T - 1).maxCoeff(&last);
  z[static_cast<std::size_t>(T - 1)] = static_cast<int>(last);
  for (Eigen::Index t = T - 1; t > 0; --t) z[static_cast<std::size_t>(t - 1)] = from(z[static_cast<std::size_t>(t)], t);
  return z;
}

// Least-squares AR(nlags) parameters per label (a small ridge), given labels per step.
ArParams fit_by_labels(const std::vector<LatentSequence>& data, const std::vector<std::vector<int>>& z, int S, int nlags) {
  const int D = static_cast<int>(data[0].x.cols()), p = D * nlags + 1;
  std::vector<Eigen::MatrixXd> xx(S, Eigen::MatrixXd::Identity(p, p) * 1e-6), yx(S, Eigen::MatrixXd::Zero(D, p)),
      yy(S, Eigen::MatrixXd::Zero(D, D));
  std::vector<double> n(S, 0);
  for (std::size_t k = 0; k < data.size(); ++k) {
    Eigen::MatrixXd in, out;
    lagged(data[k].x, nlags, in, out);
    for (Eigen::Index t = 0; t < out.rows(); ++t) {
      const int s = z[k][static_cast<std::size_t>(t)];
      xx[s] += in.row(t).transpose() * in.row(t);
      yx[s] += out.row(t).transpose() * in.row(t);
      yy[s] += out.row(t).transpose() * out.row(t);
      n[s] += 1;
    }
  }
  ArParams ar;
  for (int s = 0; s < S; ++s) {
    Eigen::MatrixXd A = xx[s].ldlt().solve(yx[s].transpose()).transpose();
    Eigen::MatrixXd Q = n[s] > p ? Eigen::MatrixXd((yy[s] - A * yx[s].transpose()) / n[s]) : Eigen::MatrixXd::Identity(D, D);
    Q = 0.5 * (Q + Q.transpose()) + 1e-6 * Eigen::MatrixXd::Identity(D, D);
    ar.Ab.push_back(A);
    ar.Q.push_back(Q);
  }
  return ar;
}

// Complete-data log-likelihood per step of labels z on x: AR(nlags) fitted to the labels, and
// the empirical transition matrix.
double complete_log_likelihood(const ArHmm& model, const std::vector<LatentSequence>& data,
                               const std::vector<std::vector<int>>& z_in, int nlags) {
  // Relabel to 0..S-1.
  std::map<int, int> ids;
  std::vector<std::vector<int>> z = z_in;
  for (auto& labels : z) {
    for (int& l : labels) l = ids.emplace(l, static_cast<int>(ids.size())).first->second;
  }
  const int S = static_cast<int>(ids.size());
  const ArParams ar = fit_by_labels(data, z, S, nlags);
  Eigen::MatrixXd counts = Eigen::MatrixXd::Constant(S, S, 1e-3);
  double total = 0, steps = 0;
  for (std::size_t k = 0; k < data.size(); ++k) {
    const Eigen::MatrixXd ll = model.state_log_likelihoods(data[k], ar);
    for (Eigen::Index t = 0; t < ll.cols(); ++t) {
      total += ll(z[k][static_cast<std::size_t>(t)], t), steps += 1;
      if (t > 0) counts(z[k][static_cast<std::size_t>(t - 1)], z[k][static_cast<std::size_t>(t)]) += 1;
    }
  }
  for (int i = 0; i < S; ++i) {
    const double row = counts.row(i).sum();
    for (int j = 0; j < S; ++j) total += counts(i, j) * std::log(counts(i, j) / row);
  }
  return total / steps;
}

// Labels per frame from z per step (nlags fewer): the scores compare the common tail.
std::string describe(const LabelScore& s) {
  char text[96];
  std::snprintf(text, sizeof text, "acc %.3f nmi %.3f >1%% %d (used %d)", s.accuracy, s.nmi, s.states_above_1pct, s.states_used);
  return text;
}

struct Stage {
  std::string name;
  RealisticTruth* truth;
  std::vector<LatentSequence> latents;  // for AR-only stages
  // Full-model inputs.
  std::optional<SldsInit> init;
};

struct Settings {
  int sweeps = 550;
  std::optional<double> kappa;  // else searched
  double low_frames = 9, high_frames = 15;  // 300-500 ms at 30 fps
};

// Runs `sweeps_total` sweeps of a fit; `ar_sweeps` of them AR-only. Calls `report` after each.
template <typename Report>
double run_fit(const RealisticTruth& truth, const Stage& stage, double ar_kappa, double full_kappa, int ar_sweeps,
               int sweeps_total, std::uint64_t seed, Report&& report) {
  TransitionHyperparams th;  // config defaults: 100 states, alpha 5.7, gamma 1e3
  th.kappa = ar_kappa;
  const int D = stage.init ? stage.init->latent_dim : static_cast<int>(stage.latents[0].x.cols());
  ArHmm ar_hmm(ArHyperparams{}, th, D);
  // FIT_SEED shifts the sampler's seed away from the data's, to tell a local mode from the model.
  Sampler sampler(seed + static_cast<std::uint64_t>(std::getenv("FIT_SEED") ? std::atoll(std::getenv("FIT_SEED")) : 0));
  const auto start = Clock::now();
  if (!stage.init) {
    ArHmmState state = ar_hmm.initialize(stage.latents, sampler);
    for (int i = 1; i <= sweeps_total; ++i) {
      ar_hmm.sweep(stage.latents, state, sampler);
      report(i, state.z, stage.latents, ar_hmm);
    }
    return seconds(start);
  }
  std::vector<SegmentState> states = stage.init->states;
  const KeypointSlds model(ar_hmm, stage.init->params, ObservationHyperparams{}, truth.options.keypoints, 2);
  ArHmmState state = ar_hmm.initialize(KeypointSlds::latents(truth.data, states), sampler);
  for (int i = 1; i <= sweeps_total; ++i) {
    const bool ar_only = i <= ar_sweeps;
    ar_hmm.set_kappa(ar_only ? ar_kappa : full_kappa);
    model.sweep(truth.data, states, state, sampler, ar_only);
    report(i, state.z, KeypointSlds::latents(truth.data, states), ar_hmm);
  }
  return seconds(start);
}

// The library's kappa search (kappa_search.hpp) over in-memory fits: `median_of(kappa)` is a
// probe's median duration in frames (30 fps).
double search(const std::function<double(double)>& median_of, double start_log10, const Settings& s, std::string& log) {
  KappaSearchOptions o;
  o.target_low_ms = s.low_frames * 1000 / 30, o.target_high_ms = s.high_frames * 1000 / 30;
  std::vector<KappaProbe> probes;
  while (const auto next = next_probe_log10(probes, "ar", start_log10, o)) {
    const double median = median_of(std::pow(10.0, *next));
    char text[64];
    std::snprintf(text, sizeof text, " 1e%.2f->%.0f", *next, median);
    log += text;
    probes.push_back({"ar", std::pow(10.0, *next), median * 1000 / 30});
  }
  return best_probe(probes, "ar", o)->kappa;
}

void run_stage(const Stage& stage, const Settings& settings, std::uint64_t seed, bool full) {
  const RealisticTruth& truth = *stage.truth;
  const int nlags = 3;
  auto median_after = [&](double ar_kappa, double full_kappa, int ar_sweeps, int total) {
    double median = 0;
    std::vector<Eigen::VectorXd> m;
    for (const auto& d : truth.data) m.push_back(d.mask);
    run_fit(truth, stage, ar_kappa, full_kappa, ar_sweeps, total, seed,
            [&](int i, const std::vector<std::vector<int>>& z, const std::vector<LatentSequence>&, const ArHmm&) {
              if (i == total) median = median_duration(z, m, nlags);
            });
    return median;
  };
  double ar_kappa = 1e6, full_kappa = 1e4;
  std::string log;
  const auto search_start = Clock::now();
  if (settings.kappa) {
    ar_kappa = *settings.kappa, full_kappa = full ? *settings.kappa / 100 : *settings.kappa;
  } else {
    ar_kappa = search([&](double k) { return median_after(k, k, 50, 50); }, 6, settings, log);
    full_kappa = ar_kappa;
    if (full) {
      log += " | full";
      full_kappa = search([&](double k) { return median_after(ar_kappa, k, 50, 100); }, std::log10(ar_kappa) - 2, settings, log);
    }
  }
  const double search_seconds = seconds(search_start);
  std::printf("  %-10s kappa AR %.3g full %.3g (search%s; %.0f s)\n", stage.name.c_str(), ar_kappa, full_kappa, log.c_str(),
              search_seconds);
  const std::set<int> checkpoints{50, 150, 300, 550, settings.sweeps};
  const double fit_seconds =
      run_fit(truth, stage, ar_kappa, full_kappa, full ? 50 : settings.sweeps, settings.sweeps, seed,
              [&](int i, const std::vector<std::vector<int>>& z, const std::vector<LatentSequence>& x, const ArHmm& model) {
                if (!checkpoints.count(i)) return;
                std::vector<Eigen::VectorXd> m;
                for (const auto& d : x) m.push_back(d.mask);
                const LabelScore s = score_labels(truth.labels, z);
                std::printf("    sweep %3d: %s median %.0f fr", i, describe(s).c_str(), median_duration(z, m, nlags));
                if (i == settings.sweeps) {
                  // True labels per step (z[i] belongs to frame i + nlags).
                  std::vector<std::vector<int>> truth_steps;
                  for (const auto& l : truth.labels) truth_steps.emplace_back(l.begin() + nlags, l.end());
                  std::printf("  | loglik/step true %.3f found %.3f", complete_log_likelihood(model, x, truth_steps, nlags),
                              complete_log_likelihood(model, x, z, nlags));
                }
                std::printf("\n");
              });
  std::printf("    %d sweeps in %.1f s (%.1f ms/sweep)\n", settings.sweeps, fit_seconds, 1000 * fit_seconds / settings.sweeps);
}

// Viterbi with AR(1) models (fitted to the true labels on x, or the true ones) and the true
// transitions; labels per frame from frame 1.
LabelScore oracle(const RealisticTruth& truth, const std::vector<LatentSequence>& x, const ArParams* given) {
  const int S = truth.options.states;
  std::vector<std::vector<int>> steps;
  for (const auto& l : truth.labels) steps.emplace_back(l.begin() + 1, l.end());
  const ArParams ar = given ? *given : fit_by_labels(x, steps, S, 1);
  TransitionHyperparams th;
  th.num_states = S;
  ArHmm model(ArHyperparams{1, 0.01, 10}, th, static_cast<int>(x[0].x.cols()));
  std::vector<std::vector<int>> found;
  for (const auto& seq : x) found.push_back(viterbi(model.state_log_likelihoods(seq, ar), truth.transitions));
  return score_labels(truth.labels, found);
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::vector<std::uint64_t> seeds;
  for (const auto& s : split(argc > 1 ? argv[1] : "1,2,3")) seeds.push_back(std::stoull(s));
  const std::vector<std::string> stages = split(argc > 2 ? argv[2] : "oracle,ar-true,ar-pca,full");
  Settings settings;
  if (argc > 3) settings.sweeps = std::atoi(argv[3]);
  if (argc > 4 && std::string(argv[4]) != "search" && std::string(argv[4]) != "config") settings.kappa = std::atof(argv[4]);
  if (argc > 5) {  // target median duration in ms, LO,HI (default 300,500)
    const auto range = split(argv[5]);
    settings.low_frames = std::stod(range.at(0)) * 30 / 1000, settings.high_frames = std::stod(range.at(1)) * 30 / 1000;
  }
  auto wanted = [&](const std::string& s) {
    for (const auto& w : stages) {
      if (w == s) return true;
    }
    return false;
  };
  for (const std::uint64_t seed : seeds) {
    RealisticTruth truth = generate_realistic(seed);
    std::printf("seed %llu: %d states, %d-D pose, %d keypoints, %d x %d frames\n", static_cast<unsigned long long>(seed),
                truth.options.states, truth.options.pose_dim, truth.options.keypoints, truth.options.sequences,
                truth.options.frames);
    {
      std::vector<Eigen::VectorXd> m;
      for (const auto& d : truth.data) m.push_back(d.mask);
      std::printf("  true labels: median duration %.0f frames (%.0f ms); target %.1f-%.1f frames\n",
                  median_duration(truth.labels, m, 0), 1000 * median_duration(truth.labels, m, 0) / 30,
                  settings.low_frames, settings.high_frames);
    }
    std::vector<LatentSequence> pose;
    for (const auto& p : truth.pose) pose.push_back({p, Eigen::VectorXd::Ones(p.rows())});
    auto pca_init = [&](std::optional<int> latent_dim) {
      return initialize_slds(truth.data, truth.options.keypoints, 2, truth.anterior, truth.posterior, latent_dim, 1000000, 42,
                             supported_latent_dim(9000, 100, 3));
    };
    if (wanted("oracle")) {
      ArParams true_ar{truth.Ab, truth.Q};
      std::printf("  oracle     true pose, true parameters: %s\n", describe(oracle(truth, pose, &true_ar)).c_str());
      std::printf("  oracle     true pose, AR(1) fitted to the true labels: %s\n", describe(oracle(truth, pose, nullptr)).c_str());
      for (std::optional<int> L : {std::optional<int>(3), std::optional<int>(4), std::optional<int>(6), std::optional<int>()}) {
        SldsInit init = pca_init(L);
        std::printf("  oracle     aligned PCs latent_dim %d%s (var %.3f): %s\n", init.latent_dim, L ? "" : " (auto)",
                    init.pca.explained_ratio().head(init.latent_dim).sum(),
                    describe(oracle(truth, KeypointSlds::latents(truth.data, init.states), nullptr)).c_str());
      }
    }
    if (wanted("run")) {
      const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                        ("ethovid_bench_recovery_" + std::to_string(seed) + "_" + std::to_string(::getpid()));
      PipelineOptions run;
      run.project = dir / "project";
      run.pose_files = write_realistic_pose_files(dir, truth);
      run.fps = 30;
      // KAPPA "config": no search, config.yml's kappa (10^6, and / 100 for the full model).
      if (argc <= 4 || std::string(argv[4]) != "config") {
        run.target_ms = {settings.low_frames * 1000 / 30, settings.high_frames * 1000 / 30};
      }
      run.fit.seed = seed;
      if (argc > 3) run.fit.full_iters = settings.sweeps;
      if (const char* chains = std::getenv("AR_CHAINS")) run.fit.ar_chains = std::atoi(chains);
      const auto start = Clock::now();
      const PipelineResult out = run_pipeline(run);
      const double took = seconds(start);
      const LabelScore s = score_labels(truth.labels, fitted_realistic_labels(run.project, truth.labels.size()));
      std::printf("  run        %d chains, %d + %d sweeps: %s median %.0f fr, kappa AR %.3g full %.3g; %.0f s\n",
                  run.fit.ar_chains, run.fit.ar_iters, run.fit.full_iters, describe(s).c_str(),
                  out.fitted.fit.median_duration_frames, out.fitted.fit.ar_kappa, out.fitted.fit.full_kappa, took);
      {  // where the final fit's time went, from fit_log.jsonl's seconds (since the fit began):
         // the AR-HMM phase, every chain, ends one sweep before the first full sweep's line
        std::vector<double> full_seconds;
        std::ifstream log(run.project / kFitLog);
        for (std::string line; std::getline(log, line);) {
          const auto j = ethovid::core::Json::parse(line);
          if (j["phase"] == "full") full_seconds.push_back(j["seconds"].get<double>());
        }
        const double sweep = full_seconds.size() > 1 ? full_seconds[1] - full_seconds[0] : 0;
        const double ar_end = full_seconds.empty() ? 0 : full_seconds.front() - sweep;
        std::printf("    final fit: AR-HMM phase (all chains) %.1f s, full model %.1f s; %zu kappa probes%s\n", ar_end,
                    full_seconds.empty() ? 0 : full_seconds.back() - ar_end,
                    out.fitted.search ? out.fitted.search->probes.size() : 0,
                    out.fitted.fit_is_winning_probe ? "; the fit is the winning probe" : "");
      }
      for (const auto& c : out.fitted.fit.chains) {
        std::printf("    chain %d: log p(x) %.1f, %d syllables%s\n", c.chain, c.log_likelihood, c.syllables_used,
                    c.chain == out.fitted.fit.best_chain ? " (kept)" : "");
      }
      if (std::getenv("KEEP_PROJECT")) {
        std::printf("    project kept: %s\n", run.project.c_str());
      } else {
        std::filesystem::remove_all(dir);
      }
    }
    if (wanted("ar-true")) {
      Stage stage{"ar-true", &truth, whitened_pose(truth.pose), std::nullopt};
      run_stage(stage, settings, seed, false);
    }
    if (wanted("restarts")) {
      // Restarts of the AR-HMM alone (true pose, then 4 aligned PCs): 8 sampler seeds, 50 sweeps
      // each at the given kappa (default 1e4). Does the highest marginal log-likelihood pick the
      // most accurate restart?
      const double kappa = settings.kappa ? *settings.kappa : 1e4;
      for (int L : {0, 4}) {
        const std::vector<LatentSequence> x =
            L == 0 ? whitened_pose(truth.pose) : KeypointSlds::latents(truth.data, pca_init(L).states);
        TransitionHyperparams th;
        th.kappa = kappa;
        ArHmm ar_hmm(ArHyperparams{}, th, static_cast<int>(x[0].x.cols()));
        for (int r = 0; r < 8; ++r) {
          Sampler sampler(seed + 1000 * static_cast<std::uint64_t>(r));
          ArHmmState state = ar_hmm.initialize(x, sampler);
          double ll = 0;
          for (int i = 0; i < 50; ++i) ll = ar_hmm.sweep(x, state, sampler);
          std::printf("  restart %s %d: log p(x) %.1f  %s\n", L == 0 ? "true-pose" : "pcs-4", r, ll,
                      describe(score_labels(truth.labels, state.z)).c_str());
        }
      }
    }
    if (wanted("ar-pca") || wanted("ar-pca-auto")) {
      for (std::optional<int> L : {std::optional<int>(3), std::optional<int>(4), std::optional<int>()}) {
        if (!L && !wanted("ar-pca-auto") && !wanted("ar-pca")) continue;
        SldsInit init = pca_init(L);
        Stage stage{"ar-pca-" + (L ? std::to_string(*L) : "auto" + std::to_string(init.latent_dim)), &truth,
                    KeypointSlds::latents(truth.data, init.states), std::nullopt};
        run_stage(stage, settings, seed, false);
      }
    }
    if (wanted("full") || wanted("full-4")) {
      std::optional<int> L;
      if (wanted("full-4")) L = 4;
      Stage stage{"full", &truth, {}, pca_init(L)};
      stage.name = "full-L" + std::to_string(stage.init->latent_dim);
      run_stage(stage, settings, seed, true);
    }
    std::fflush(stdout);
  }
  return 0;
}
