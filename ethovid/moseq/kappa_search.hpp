#pragma once
// The kappa search: kappa sets how sticky syllables are, and the right value depends on the data.
// A binary search in log10(kappa) finds, separately for the AR-HMM and then for the full model
// (which needs a 10-1000x smaller kappa), a kappa whose fit has its median syllable duration inside
// the target (default 300-400 ms, converted to frames with the project's fps). Each probe is a
// short fit from scratch in PROJECT/kappa_search/ (the project's own checkpoint is untouched).
// Every probe is recorded in PROJECT/kappa_search.json as soon as it finishes, so an interrupted
// search resumes where it stopped.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ethovid/core/json_file.hpp"
#include "ethovid/core/progress.hpp"
#include "ethovid/moseq/fit.hpp"

namespace ethovid::moseq {

struct KappaSearchOptions {
  std::filesystem::path project;
  double target_low_ms = 300, target_high_ms = 400;
  int ar_iters = 50;    // sweeps of each AR-HMM probe (and of the AR-HMM before each full probe)
  int full_iters = 50;  // full-model sweeps of each full probe
  int ar_chains = kDefaultArChains;  // AR-HMM chains of each probe (FitOptions::ar_chains)
  int max_probes = 8;   // per phase
  std::uint64_t seed = 0;
  bool strict = false;  // as FitOptions::strict
  const core::ProgressHook* progress = nullptr;
};

struct KappaProbe {
  std::string phase;  // "ar" or "full"
  double kappa = 0;
  double median_ms = 0;
};

struct KappaSearchResult {
  double ar_kappa = 0, full_kappa = 0;
  bool ar_in_target = false, full_in_target = false;
  std::vector<KappaProbe> probes;
  std::filesystem::path state_file;
  // The fit of the last full-model probe this call ran, still in PROJECT/kappa_search/: when it
  // is the winner and made like the final fit, it is the final fit (pipeline.cpp takes it).
  std::optional<FitResult> last_full_probe;
};

inline constexpr const char* kKappaSearchFile = "kappa_search.json";

KappaSearchResult search_kappa(const KappaSearchOptions& options);

// The search's steps, for a search over fits of another kind (bench/bench_moseq_recovery.cpp):
// the next log10(kappa) to probe in `phase` after `probes` (`start` first; nullopt when a probe
// is in the target, max_probes are done or the target is out of reach), and the probe whose
// median is nearest the target's centre (in log space; nullopt before the first).
std::optional<double> next_probe_log10(const std::vector<KappaProbe>& probes, const std::string& phase, double start,
                                       const KappaSearchOptions& options);
std::optional<KappaProbe> best_probe(const std::vector<KappaProbe>& probes, const std::string& phase,
                                     const KappaSearchOptions& options);

}  // namespace ethovid::moseq
