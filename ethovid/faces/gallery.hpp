#pragma once
// `ethovid faces gallery`: embeds every image of an identity-labelled photo set, for enrolling
// known people and for measuring identification (vision/identification_eval.hpp).
//
// Layout: one folder per identity (DIR/<identity>/*.jpg), or, when DIR holds no such folders, one
// flat folder whose file names start with the identity (`subject01.glasses.gif`, `clapton-1.jpg`:
// the identity is the name up to the first '.', '-' or '_').
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ethovid/core/json_file.hpp"
#include "ethovid/vision/identification_eval.hpp"

namespace ethovid::faces {

struct GalleryOptions {
  std::filesystem::path images_dir;
  std::filesystem::path output_dir;
  std::filesystem::path model_config;  // empty: the bundled models
  bool assume_cropped = false;  // the whole image is the face box (sets of face crops)
  std::vector<std::string> exclude;  // folder names to leave out (e.g. unlabelled group photos)
  bool force = false;  // embed again even when gallery_summary.json says the outputs are up to date
};

struct GalleryResult {
  bool skipped = false;  // up to date: the same images, models and options; nothing was embedded
  std::filesystem::path table_path;    // gallery.parquet: identity_id, image_filename, det_score, embedding
  std::filesystem::path summary_path;  // gallery_summary.json
  std::int64_t images = 0;
  std::int64_t embedded = 0;
  std::vector<std::string> without_face;  // images where no face was found (not in the table)
  core::Json summary;
};

// MissingInputError when the folder does not exist or holds no images; an image that cannot be
// decoded is a FormatError naming it.
GalleryResult build_gallery(const GalleryOptions& options);

// The rows of a gallery.parquet (identity, image, embedding). FormatError when its embedding
// column is not a fixed-size float list.
std::vector<vision::LabelledEmbedding> read_gallery_table(const std::filesystem::path& path);

inline constexpr const char* kGalleryTable = "gallery.parquet";
inline constexpr const char* kGallerySummary = "gallery_summary.json";

}  // namespace ethovid::faces
