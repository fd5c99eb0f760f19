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
#include <vector>

#include "ethovid/core/json_file.hpp"
#include "ethovid/core/progress.hpp"

namespace ethovid::moseq {

struct KappaSearchOptions {
  std::filesystem::path project;
  double target_low_ms = 300, target_high_ms = 400;
  int ar_iters = 50;    // sweeps of each AR-HMM probe (and of the AR-HMM before each full probe)
  int full_iters = 50;  // full-model sweeps of each full probe
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
};

inline constexpr const char* kKappaSearchFile = "kappa_search.json";

KappaSearchResult search_kappa(const KappaSearchOptions& options);

}  // namespace ethovid::moseq
