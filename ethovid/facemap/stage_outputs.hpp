#pragma once
// What compute and import share at the end of a run: the up-to-date check (a stage is a pure
// function of its inputs' sha256 and its parameters), and the summary that records them.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ethovid/core/json_file.hpp"
#include "ethovid/core/output_folder.hpp"
#include "ethovid/core/provenance.hpp"
#include "ethovid/facemap/facemap.hpp"

namespace ethovid::facemap {

// The previous result when `output_dir` holds a summary made from inputs with the same sha256
// digests and the same parameters, and its table still exists; otherwise nullopt.
std::optional<StageResult> find_up_to_date(const std::filesystem::path& output_dir,
                                           const core::Provenance& provenance);

struct SummaryParts {
  std::string session_id;
  std::string source_type;  // "computed" or "imported"
  core::Json statistics;
  core::Json timebase_alignment;
  core::Json model_info;
  std::vector<std::string> warnings;
  core::Json outputs;       // file name -> what it holds
};

// Assembles the summary, writes it (atomically, last of all outputs) and returns the result.
StageResult write_summary(const std::filesystem::path& output_dir, const SummaryParts& parts,
                          const core::Provenance& provenance, std::int64_t rows);

// Creates the output folder (a folder that cannot be made is an Error naming it) and sweeps dead
// runs' scratch files from it; the folder goes again if the run fails before writing into it
// (core/output_folder.hpp). Keep the result alive until the run ends.
core::OutputFolder prepare_output_dir(const std::filesystem::path& output_dir);

}  // namespace ethovid::facemap
