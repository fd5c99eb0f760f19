#include "ethovid/moseq/kappa_search.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ethovid/core/error.hpp"
#include "ethovid/core/hash.hpp"
#include "ethovid/moseq/fit.hpp"
#include "ethovid/moseq/project_config.hpp"

namespace ethovid::moseq {

namespace fs = std::filesystem;

namespace {

constexpr double kStepDecades = 2;  // how far to go while only one side of the target is known
constexpr double kLowestLog10 = -2, kHighestLog10 = 14;

// What a probe's result depends on: a saved probe counts only for the same settings and config.
core::Json search_parameters(const KappaSearchOptions& o) {
  return {{"target_ms", {o.target_low_ms, o.target_high_ms}}, {"ar_iters", o.ar_iters}, {"full_iters", o.full_iters},
          {"ar_chains", o.ar_chains}, {"seed", o.seed}, {"config_sha256", core::sha256_file(o.project / kConfigFile)}};
}

void save(const fs::path& file, const KappaSearchOptions& o, const std::vector<KappaProbe>& probes) {
  core::Json list = core::Json::array();
  for (const auto& p : probes) list.push_back({{"phase", p.phase}, {"kappa", p.kappa}, {"median_ms", p.median_ms}});
  core::write_json(file, {{"parameters", search_parameters(o)}, {"probes", list}});
}

std::vector<KappaProbe> load(const fs::path& file, const KappaSearchOptions& o) {
  std::vector<KappaProbe> probes;
  if (!fs::exists(file)) return probes;
  const core::Json state = core::read_json(file);
  if (state.value("parameters", core::Json()) != search_parameters(o)) return probes;  // another search: start again
  for (const auto& p : state.value("probes", core::Json::array())) {
    probes.push_back({p.at("phase").get<std::string>(), p.at("kappa").get<double>(), p.at("median_ms").get<double>()});
  }
  return probes;
}

bool in_target(double ms, const KappaSearchOptions& o) { return ms >= o.target_low_ms && ms <= o.target_high_ms; }

}  // namespace

std::optional<KappaProbe> best_probe(const std::vector<KappaProbe>& probes, const std::string& phase, const KappaSearchOptions& o) {
  std::optional<KappaProbe> best;
  const double centre = std::log(0.5 * (o.target_low_ms + o.target_high_ms));
  for (const auto& p : probes) {
    if (p.phase != phase) continue;
    if (!best || std::abs(std::log(std::max(p.median_ms, 1e-9)) - centre) <
                     std::abs(std::log(std::max(best->median_ms, 1e-9)) - centre)) {
      best = p;
    }
  }
  return best;
}

std::optional<double> next_probe_log10(const std::vector<KappaProbe>& probes, const std::string& phase, double start,
                                 const KappaSearchOptions& o) {
  double below = -std::numeric_limits<double>::infinity();  // kappas known too small (too short)
  double above = std::numeric_limits<double>::infinity();   // kappas known too large (too long)
  int count = 0;
  double last = start;
  for (const auto& p : probes) {
    if (p.phase != phase) continue;
    ++count;
    last = std::log10(p.kappa);
    if (in_target(p.median_ms, o)) return std::nullopt;
    if (p.median_ms < o.target_low_ms) below = std::max(below, last);
    else above = std::min(above, last);
  }
  if (count == 0) return start;
  if (count >= o.max_probes) return std::nullopt;
  double next = 0;
  if (std::isfinite(below) && std::isfinite(above)) next = 0.5 * (below + above);
  else if (std::isfinite(below)) next = below + kStepDecades;
  else next = above - kStepDecades;
  if (next < kLowestLog10 || next > kHighestLog10) return std::nullopt;  // the target is out of reach
  for (const auto& p : probes) {
    if (p.phase == phase && std::abs(std::log10(p.kappa) - next) < 1e-6) return std::nullopt;
  }
  return next;
}

KappaSearchResult search_kappa(const KappaSearchOptions& o) {
  if (!(o.target_low_ms > 0 && o.target_low_ms < o.target_high_ms)) {
    throw ConfigError("the target duration " + std::to_string(o.target_low_ms) + "," + std::to_string(o.target_high_ms) +
                      " ms must be two increasing positive numbers");
  }
  if (o.ar_iters < 1 || o.full_iters < 1) throw ConfigError("kappa search probes need at least one sweep of each kind");
  const MoseqConfig config = load_moseq_config(o.project);
  KappaSearchResult result;
  result.state_file = o.project / kKappaSearchFile;
  result.probes = load(result.state_file, o);
  // Probes fit in a scratch copy of the project, so its own checkpoint and log stay.
  const fs::path scratch = o.project / "kappa_search";
  fs::create_directories(scratch);
  fs::copy_file(o.project / kConfigFile, scratch / kConfigFile, fs::copy_options::overwrite_existing);

  auto probe = [&](const std::string& phase, double kappa, double ar_kappa) {
    FitOptions fit;
    fit.project = scratch;
    fit.seed = o.seed;
    fit.strict = o.strict;
    fit.ar_iters = o.ar_iters;
    fit.ar_chains = o.ar_chains;
    fit.full_iters = phase == "ar" ? 0 : o.full_iters;
    fit.kappa = phase == "ar" ? kappa : ar_kappa;
    fit.full_kappa = phase == "ar" ? kappa / 100 : kappa;
    fit.checkpoint_every = fit.ar_iters + fit.full_iters;  // only the last one
    fit.progress = o.progress;
    const FitResult r = fit_model(fit);
    if (phase == "full") result.last_full_probe = r;
    result.probes.push_back({phase, kappa, 1000 * r.median_duration_frames / config.fps});
    save(result.state_file, o, result.probes);
  };
  while (auto next = next_probe_log10(result.probes, "ar", std::log10(config.kappa), o)) probe("ar", std::pow(10.0, *next), 0);
  const KappaProbe ar = *best_probe(result.probes, "ar", o);
  result.ar_kappa = ar.kappa;
  result.ar_in_target = in_target(ar.median_ms, o);
  while (auto next = next_probe_log10(result.probes, "full", std::log10(ar.kappa) - 2, o)) {
    probe("full", std::pow(10.0, *next), ar.kappa);
  }
  const KappaProbe full = *best_probe(result.probes, "full", o);
  result.full_kappa = full.kappa;
  result.full_in_target = in_target(full.median_ms, o);
  return result;
}

}  // namespace ethovid::moseq
