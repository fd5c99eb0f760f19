#pragma once
// A fit's whole state in one HDF5 file (PROJECT/checkpoint.h5), written atomically after a
// completed sweep, so the file always holds the last good iteration: model parameters, every
// segment's per-frame variables and syllables, the PCA, the random generator's state, and a
// digest of the config it belongs to.
#include <filesystem>
#include <string>
#include <vector>

#include "ethovid/moseq/ar_hmm.hpp"
#include "ethovid/moseq/keypoint_slds.hpp"
#include "ethovid/moseq/preprocess.hpp"

namespace ethovid::moseq {

struct FitState {
  int iteration = 0;         // sweeps done
  int ar_iterations = 0;     // of those, AR-HMM only
  double ar_kappa = 0, full_kappa = 0;
  std::string config_digest; // sha256 of config.yml
  std::string rng_state;     // the generator, as its stream text
  int latent_dim = 0;
  Pca pca;
  ObservationParams params;
  ArHmmState ar;
  std::vector<SegmentState> states;
  std::vector<int> syllable_order;  // by frequency: syllable_order[new] = the sampler's number
};

inline constexpr const char* kCheckpointFile = "checkpoint.h5";

void write_checkpoint(const std::filesystem::path& file, const FitState& state);
// FormatError naming the file when it is not a checkpoint or does not fit `segments` segments of
// `rows` frames (segments = 0: no such check).
FitState read_checkpoint(const std::filesystem::path& file, std::size_t segments, int rows);

}  // namespace ethovid::moseq
