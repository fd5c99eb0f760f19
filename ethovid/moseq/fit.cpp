#include "ethovid/moseq/fit.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <numeric>
#include <set>
#include <sstream>

#include "ethovid/core/atomic_file.hpp"
#include "ethovid/core/elapsed.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/hash.hpp"
#include "ethovid/core/json_file.hpp"
#include "ethovid/moseq/ar_restarts.hpp"
#include "ethovid/moseq/model_data.hpp"
#include "ethovid/moseq/slds_init.hpp"

namespace ethovid::moseq {

namespace fs = std::filesystem;

namespace {

// Runs of one syllable in one segment's real frames: (syllable, length).
template <typename F>
void for_each_run(const std::vector<int>& z, const Eigen::VectorXd& mask, int nlags, F&& visit) {
  int current = -1;
  std::int64_t length = 0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    const bool real = mask[static_cast<Eigen::Index>(i) + nlags] != 0;
    if (!real || z[i] != current) {
      if (length > 0) visit(current, length);
      current = real ? z[i] : -1;
      length = real ? 1 : 0;
    } else {
      ++length;
    }
  }
  if (length > 0) visit(current, length);
}

// A fit stopped between checkpoints (a crash, Ctrl-C, kill -9, a NaN) logged sweeps that the
// checkpoint does not hold; --resume runs them again, so the log keeps only the sweeps up to the
// checkpoint's (a line cut short by the stop goes too).
void truncate_log(const fs::path& log, int iterations) {
  if (!fs::exists(log)) return;
  std::ifstream in(log);
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    const core::Json j = core::Json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("iteration") || j["iteration"].get<int>() > iterations) continue;
    kept += line + "\n";
  }
  in.close();
  core::write_text_atomically(log, kept);
}

std::vector<Eigen::VectorXd> masks_of(const ModelData& data) {
  std::vector<Eigen::VectorXd> masks;
  for (const auto& s : data.segments) masks.push_back(s.mask);
  return masks;
}

}  // namespace

double median_duration(const std::vector<std::vector<int>>& z, const std::vector<Eigen::VectorXd>& masks, int nlags) {
  std::vector<double> lengths;
  for (std::size_t n = 0; n < z.size(); ++n) {
    for_each_run(z[n], masks[n], nlags, [&](int, std::int64_t length) { lengths.push_back(static_cast<double>(length)); });
  }
  if (lengths.empty()) return 0;
  const auto middle = lengths.begin() + static_cast<std::ptrdiff_t>(lengths.size() / 2);
  std::nth_element(lengths.begin(), middle, lengths.end());
  return *middle;
}

std::vector<int> frequency_order(const ArHmmState& state, const std::vector<Eigen::VectorXd>& masks, int nlags) {
  const int S = static_cast<int>(state.ar.Ab.size());
  std::vector<std::int64_t> runs(static_cast<std::size_t>(S), 0);
  for (std::size_t n = 0; n < state.z.size(); ++n) {
    for_each_run(state.z[n], masks[n], nlags, [&](int s, std::int64_t) { ++runs[static_cast<std::size_t>(s)]; });
  }
  std::vector<int> order(static_cast<std::size_t>(S));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return runs[static_cast<std::size_t>(a)] > runs[static_cast<std::size_t>(b)]; });
  return order;
}

ArHmmState reindexed(const ArHmmState& state, const std::vector<int>& order) {
  const int S = static_cast<int>(order.size());
  std::vector<int> rank(static_cast<std::size_t>(S));  // rank[old] = new
  for (int i = 0; i < S; ++i) rank[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])] = i;
  ArHmmState out;
  out.transitions = {Eigen::VectorXd(S), Eigen::MatrixXd(S, S)};
  for (int i = 0; i < S; ++i) {
    const int old = order[static_cast<std::size_t>(i)];
    out.ar.Ab.push_back(state.ar.Ab[static_cast<std::size_t>(old)]);
    out.ar.Q.push_back(state.ar.Q[static_cast<std::size_t>(old)]);
    out.transitions.beta[i] = state.transitions.beta[old];
    for (int j = 0; j < S; ++j) out.transitions.pi(i, j) = state.transitions.pi(old, order[static_cast<std::size_t>(j)]);
  }
  out.z = state.z;
  for (auto& labels : out.z) {
    for (int& label : labels) label = rank[static_cast<std::size_t>(label)];
  }
  return out;
}

FitResult fit_model(const FitOptions& o) {
  if (o.ar_iters < 0 || o.full_iters < 0 || o.ar_iters + o.full_iters == 0) {
    throw ConfigError("--ar-iters " + std::to_string(o.ar_iters) + " and --full-iters " + std::to_string(o.full_iters) +
                      " must be >= 0 with at least one sweep");
  }
  if (o.ar_chains < 1) throw ConfigError("--ar-chains must be >= 1, not " + std::to_string(o.ar_chains));
  if (o.checkpoint_every < 1) throw ConfigError("--checkpoint-every must be >= 1, not " + std::to_string(o.checkpoint_every));
  const MoseqConfig config = load_moseq_config(o.project);
  const std::string digest = core::sha256_file(o.project / kConfigFile);
  const ModelData data = build_model_data(config, o.strict);
  const auto masks = masks_of(data);
  FitResult result;
  result.left_out = data.left_out;
  result.checkpoint = o.project / kCheckpointFile;
  result.log = o.project / kFitLog;

  Sampler sampler(o.seed);
  FitState state;
  if (o.resume) {
    if (!fs::exists(result.checkpoint)) {
      throw MissingInputError(result.checkpoint.string() + " does not exist: nothing to resume (run without --resume)");
    }
    state = read_checkpoint(result.checkpoint, data.segments.size(), data.plan.rows());
    if (state.config_digest != digest) {
      throw ConfigError((o.project / kConfigFile).string() + " changed since the checkpoint was written; "
                        "resuming would mix two models (fit again without --resume)");
    }
    sampler.restore_state(state.rng_state);
    result.resumed = true;
  } else {
    std::int64_t frames = 0;
    for (const auto& r : data.recordings) frames += r.frames;
    SldsInit init = initialize_slds(data.segments, data.keypoints, data.dims, data.anterior, data.posterior,
                                    config.latent_dim, config.PCA_fitting_num_frames, 42,
                                    supported_latent_dim(frames, config.num_states, config.nlags));
    state.latent_dim = init.latent_dim;
    state.pca = std::move(init.pca);
    state.params = std::move(init.params);
    state.states = std::move(init.states);
    state.config_digest = digest;
    state.ar_kappa = o.kappa ? *o.kappa : config.kappa;
    state.full_kappa = o.full_kappa ? *o.full_kappa : state.ar_kappa / 100;
  }
  if (o.kappa) state.ar_kappa = *o.kappa;
  if (o.full_kappa) state.full_kappa = *o.full_kappa;

  TransitionHyperparams th{config.num_states, config.alpha, config.gamma, state.ar_kappa};
  ArHmm ar_hmm({config.nlags, config.S_0_scale, config.K_0_scale}, th, state.latent_dim);
  const KeypointSlds model(ar_hmm, state.params, {config.nu_s, config.sigmasq_loc, config.fix_heading},
                           data.keypoints, data.dims);
  const int total = o.ar_iters + o.full_iters;
  if (state.iteration >= total) {
    throw ConfigError("the checkpoint already has " + std::to_string(state.iteration) + " sweeps; ask for more than " +
                      std::to_string(total) + " (--ar-iters + --full-iters)");
  }
  // A new fit's log replaces the old one only with its first checkpoint, so a fit that fails
  // before that leaves the previous checkpoint and its log together.
  std::ofstream log;
  std::string pending;
  if (o.resume) {
    truncate_log(result.log, state.iteration);
    log.open(result.log, std::ios::app);
  }
  const auto start = std::chrono::steady_clock::now();
  // One line of fit_log.jsonl for the sweep just done; `median` is median_duration of z.
  auto log_line = [&](bool ar_only, double log_likelihood, const std::vector<std::vector<int>>& z, double median) {
    std::set<int> used;
    for (const auto& labels : z) used.insert(labels.begin(), labels.end());
    return core::Json{{"iteration", state.iteration},
                      {"phase", ar_only ? "ar" : "full"},
                      {"kappa", ar_only ? state.ar_kappa : state.full_kappa},
                      {"log_likelihood", log_likelihood},
                      {"median_duration_frames", median},
                      {"median_duration_ms", 1000 * median / config.fps},
                      {"syllables_used", used.size()},
                      {"seconds", core::seconds_since(start)}}
               .dump() +
           "\n";
  };
  int last_saved = o.resume ? state.iteration : -1;
  auto save = [&] {
    state.rng_state = sampler.save_state();
    state.syllable_order = frequency_order(state.ar, masks, config.nlags);
    write_checkpoint(result.checkpoint, state);
    last_saved = state.iteration;
    if (!log.is_open()) {
      log.open(result.log, std::ios::trunc);
      log << pending << std::flush;
      pending.clear();
    }
  };
  // The AR-HMM phase of a new fit runs as `ar_chains` chains (ar_restarts.hpp); the bar counts
  // every chain's sweeps.
  const int chains = !o.resume && o.ar_iters > 0 ? o.ar_chains : 1;
  const int chain_sweeps = (chains - 1) * o.ar_iters;
  core::ProgressBar bar("moseq fit", total + chain_sweeps, "sweeps", o.progress);
  auto bar_position = [&] { return state.iteration + (state.iteration >= o.ar_iters ? chain_sweeps : 0); };
  bar.update(bar_position());
  if (!o.resume && o.ar_iters == 0) {
    try {
      state.ar = ar_hmm.initialize(KeypointSlds::latents(data.segments, state.states), sampler);
    } catch (const ComputationError& e) {
      throw ComputationError(std::string(e.what()) + " while initialising the model; no checkpoint was written");
    }
  } else if (!o.resume) {
    ar_hmm.set_kappa(state.ar_kappa);
    std::vector<std::string> lines(static_cast<std::size_t>(chains));
    ArChains found;
    try {
      found = run_ar_chains(ar_hmm, KeypointSlds::latents(data.segments, state.states), chains, o.ar_iters, o.seed,
                            [&](int chain, int sweep, double log_likelihood, const ArHmmState& chain_state) {
                              state.iteration = sweep;
                              lines[static_cast<std::size_t>(chain)] +=
                                  log_line(true, log_likelihood, chain_state.z,
                                           median_duration(chain_state.z, masks, config.nlags));
                              bar.update(chain * o.ar_iters + sweep);
                            });
    } catch (const ComputationError& e) {
      throw ComputationError(std::string(e.what()) + "; no checkpoint was written");
    }
    state.ar = std::move(found.state);
    sampler.restore_state(found.sampler_state);
    state.iteration = state.ar_iterations = o.ar_iters;
    result.chains = found.chains;
    result.best_chain = found.best;
    result.log_likelihood = found.chains[static_cast<std::size_t>(found.best)].log_likelihood;
    result.median_duration_frames = median_duration(state.ar.z, masks, config.nlags);
    pending = lines[static_cast<std::size_t>(found.best)];
    save();
  }

  while (state.iteration < total) {
    const bool ar_only = state.iteration < o.ar_iters;
    ar_hmm.set_kappa(ar_only ? state.ar_kappa : state.full_kappa);
    double log_likelihood = 0;
    try {
      log_likelihood = model.sweep(data.segments, state.states, state.ar, sampler, ar_only);
    } catch (const ComputationError& e) {
      throw ComputationError(std::string(e.what()) + " in sweep " + std::to_string(state.iteration + 1) + " (" +
                             (ar_only ? "AR-HMM" : "full model") + "); " +
                             (last_saved >= 0 ? "the last good checkpoint is " + result.checkpoint.string() +
                                                    " (sweep " + std::to_string(last_saved) + ")"
                                              : std::string("no checkpoint was written yet")));
    }
    ++state.iteration;
    if (ar_only) state.ar_iterations = state.iteration;
    result.log_likelihood = log_likelihood;
    result.median_duration_frames = median_duration(state.ar.z, masks, config.nlags);
    const std::string line = log_line(ar_only, log_likelihood, state.ar.z, result.median_duration_frames);
    if (log.is_open()) {
      log << line << std::flush;
    } else {
      pending += line;
    }
    if (state.iteration % o.checkpoint_every == 0 || state.iteration == total || state.iteration == o.ar_iters) save();
    bar.update(bar_position());
  }
  result.iterations = state.iteration;
  result.ar_kappa = state.ar_kappa;
  result.full_kappa = state.full_kappa;
  return result;
}

}  // namespace ethovid::moseq
