#include "ethovid/facemap/stage_outputs.hpp"

#include "ethovid/core/error.hpp"

namespace ethovid::facemap {

namespace fs = std::filesystem;

core::OutputFolder prepare_output_dir(const fs::path& output_dir) {
  return core::OutputFolder(output_dir);
}

std::optional<StageResult> find_up_to_date(const fs::path& output_dir,
                                           const core::Provenance& provenance) {
  const fs::path summary_path = output_dir / kSummaryName;
  const fs::path table_path = output_dir / kTableName;
  auto previous = core::previous_run_if_up_to_date(summary_path, provenance, {table_path});
  if (!previous) return std::nullopt;
  StageResult result;
  result.skipped = true;
  result.table_path = table_path;
  result.summary_path = summary_path;
  result.qc_plot_path = output_dir / kQcPlotName;
  result.rows = (*previous)["statistics"].value("total_samples", std::int64_t{0});
  result.summary = std::move(*previous);
  return result;
}

StageResult write_summary(const fs::path& output_dir, const SummaryParts& parts,
                          const core::Provenance& provenance, std::int64_t rows) {
  StageResult result;
  result.table_path = output_dir / kTableName;
  result.summary_path = output_dir / kSummaryName;
  result.qc_plot_path = output_dir / kQcPlotName;
  result.rows = rows;
  result.summary = {{"session_id", parts.session_id},
                    {"source_type", parts.source_type},
                    {"statistics", parts.statistics},
                    {"timebase_alignment", parts.timebase_alignment},
                    {"model_info", parts.model_info},
                    {"provenance", provenance.finish()},
                    {"warnings", parts.warnings},
                    {"skipped", false},
                    {"output_path", fs::absolute(result.table_path).string()},
                    {"outputs", parts.outputs}};
  core::write_json(result.summary_path, result.summary);
  return result;
}

}  // namespace ethovid::facemap
