#pragma once
// A moseq project over generated keypoints (switching_truth.hpp), written as DeepLabCut CSVs
// (one per animal), with a small model (8 states, latent_dim 2) for quick tests.
#include <fstream>
#include <iterator>
#include <string>

#include "dlc_csv.hpp"
#include "ethovid/moseq/project_config.hpp"
#include "switching_truth.hpp"
#include "test_support.hpp"

namespace ethovid::moseq {

// The generated keypoints as DeepLabCut CSVs, one per sequence, and a project over them.
inline std::filesystem::path make_project(const test::ScratchDir& dir, const std::string& name, std::uint64_t seed,
                                          int num_states = 8) {
  const KeypointTruth truth = generate_keypoints(seed, 2, 400);
  SetupOptions setup;
  setup.project = dir / name;
  const char* parts[kTruthKeypoints] = {"nose", "left", "right", "mid_l", "mid_r", "tail_base"};
  for (std::size_t n = 0; n < truth.data.size(); ++n) {
    const std::filesystem::path file = dir / (name + "_animal" + std::to_string(n) + ".csv");
    write_dlc_csv(file, truth.data[n].Y, {std::begin(parts), std::end(parts)}, 0.95);
    setup.pose_files.push_back(file);
  }
  setup_project(setup);
  // A small model for a quick test.
  std::string config = test::read_file(setup.project / "config.yml");
  config.replace(config.find("num_states: 100"), 15, "num_states: " + std::to_string(num_states));
  config.replace(config.find("latent_dim: ~"), 13, "latent_dim: 2");
  std::ofstream(setup.project / "config.yml") << config;
  return setup.project;
}

}  // namespace ethovid::moseq
