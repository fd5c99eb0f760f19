#pragma once
// The facemap stage's library API (the CLI is a thin layer over these two calls).
//
// compute(): face video in -> per-frame motion energy, motion SVD and movie SVD time courses (per
//   motion ROI), pupil area/centre and blinks, on the session's clock.
// import_metrics(): Facemap's own *_proc.npy / *_proc.mat in -> the same table.
//
// Both write into `output_dir`: facemap_metrics.parquet (time, frame_index, metrics...),
// facemap_summary.json and facemap_qc.png (compute also writes the SVD masks and singular values
// as .npy). Contracts are in docs/facemap.md. Errors: MissingInputError, ConfigError,
// VideoFormatError, FacemapFormatError, TimestampAlignmentError (exit 2), ComputationError and
// MetricsRangeError (exit 3). Nothing already written is replaced unless the run succeeds.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ethovid/core/json_file.hpp"
#include "ethovid/facemap/roi.hpp"

namespace ethovid::facemap {

struct AlignmentOptions {
  std::optional<std::filesystem::path> timestamps_dir;  // sync dir with timestamps_<camera>.csv
  std::string camera_id;                                // "" = the only camera in the dir
  std::int64_t max_frame_mismatch = 0;                  // tolerated tail difference, frames
};

struct ComputeOptions {
  std::string video;                      // file or printf image pattern
  std::filesystem::path output_dir;
  AlignmentOptions alignment;
  std::vector<Roi> motion_rois;           // empty = the whole frame
  std::optional<Roi> pupil_roi;           // no pupil/blink columns without it
  int sbin = 4;                           // spatial binning for the SVDs, 1..16
  int svd_components = 500;               // K, per SVD (capped by data size)
  bool motion_svd = true;
  bool movie_svd = true;
  bool force = false;                     // recompute even when up to date
  std::string session_id;                 // "" = derived from the video name
  double fps = 0;                         // overrides the container's frame rate (0 = keep)
  std::optional<std::filesystem::path> config_file;  // recorded in provenance
};

struct ImportOptions {
  std::filesystem::path proc_file;        // *_proc.npy or *_proc.mat
  std::filesystem::path output_dir;
  AlignmentOptions alignment;
  double fps = 0;                         // frame rate when no timestamps (0 = from the file)
  bool force = false;
  std::string session_id;
};

struct StageResult {
  bool skipped = false;                   // true: outputs were up to date, nothing changed
  std::filesystem::path table_path;
  std::filesystem::path summary_path;
  std::filesystem::path qc_plot_path;
  std::int64_t rows = 0;
  core::Json summary;                     // what facemap_summary.json holds
};

StageResult compute(const ComputeOptions& options);
StageResult import_metrics(const ImportOptions& options);

// Reads a YAML config into options (flags given on the command line are applied after it, so
// they win). Keys: motion_rois: [[x,y,w,h], ...], pupil_roi: [x,y,w,h], sbin, svd_components,
// motion_svd, movie_svd, timestamps, camera, max_frame_mismatch, session_id, fps.
void apply_config_file(const std::filesystem::path& file, ComputeOptions& options);

inline constexpr const char* kTableName = "facemap_metrics.parquet";
inline constexpr const char* kSummaryName = "facemap_summary.json";
inline constexpr const char* kQcPlotName = "facemap_qc.png";

}  // namespace ethovid::facemap
