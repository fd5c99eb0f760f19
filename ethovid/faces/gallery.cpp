#include "ethovid/faces/gallery.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "ethovid/core/error.hpp"
#include "ethovid/core/hash.hpp"
#include "ethovid/core/image_file.hpp"
#include "ethovid/core/output_folder.hpp"
#include "ethovid/core/progress.hpp"
#include "ethovid/core/provenance.hpp"
#include "ethovid/core/table.hpp"
#include "ethovid/vision/face_analyzer.hpp"

namespace ethovid::faces {

namespace fs = std::filesystem;

namespace {

struct LabelledImage {
  std::string identity;
  fs::path path;
  std::string relative;  // as written to the table
};

std::vector<fs::path> sorted_images(const fs::path& dir) {
  std::vector<fs::path> images;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && core::is_image_file(entry.path())) images.push_back(entry.path());
  }
  std::sort(images.begin(), images.end());
  return images;
}

// Folder names that hold photos of no single person (a shared data set's `group_photos`): never an
// identity, whether or not --exclude names them. Compared case-insensitively.
constexpr std::array<const char*, 5> kUnlabelledFolders = {"group_photos", "groups", "unlabeled",
                                                           "unlabelled", "unknown"};

bool is_unlabelled_folder(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(kUnlabelledFolders.begin(), kUnlabelledFolders.end(), name) != kUnlabelledFolders.end();
}

// Up to this many images each get their own provenance entry; above it one digest of the sorted
// (relative path, sha256) list stands for them, so the summary stays readable for a large set.
constexpr std::size_t kImagesListedInProvenance = 100;

std::string identity_from_name(const std::string& name) {
  const auto end = name.find_first_of(".-_");
  return name.substr(0, end);
}

// Folder per identity when there are such folders; otherwise identities from file names.
// `left_out` receives the folders with images that are not identities (excluded or unlabelled).
std::vector<LabelledImage> list_gallery(const fs::path& root, const std::vector<std::string>& exclude,
                                        std::vector<std::string>& left_out) {
  if (!fs::is_directory(root)) throw MissingInputError(root.string() + ": not a folder");
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (!entry.is_directory() || sorted_images(entry.path()).empty()) continue;
    const std::string name = entry.path().filename().string();
    const bool excluded = std::find(exclude.begin(), exclude.end(), name) != exclude.end();
    if (excluded || is_unlabelled_folder(name)) {
      left_out.push_back(name);
    } else {
      folders.push_back(entry.path());
    }
  }
  std::sort(left_out.begin(), left_out.end());
  std::sort(folders.begin(), folders.end());
  std::vector<LabelledImage> images;
  if (!folders.empty()) {
    for (const auto& folder : folders) {
      const std::string identity = folder.filename().string();
      for (const auto& image : sorted_images(folder)) {
        images.push_back({identity, image, identity + "/" + image.filename().string()});
      }
    }
  } else {
    for (const auto& image : sorted_images(root)) {
      const std::string name = image.filename().string();
      images.push_back({identity_from_name(name), image, name});
    }
  }
  if (images.empty()) throw MissingInputError(root.string() + ": holds no images");
  return images;
}

}  // namespace

GalleryResult build_gallery(const GalleryOptions& options) {
  std::vector<std::string> left_out;
  const std::vector<LabelledImage> images = list_gallery(options.images_dir, options.exclude, left_out);
  const fs::path config_file =
      options.model_config.empty() ? vision::default_model_config_path() : options.model_config;
  const vision::ModelConfig config = vision::load_model_config(config_file);

  core::Provenance provenance;
  if (images.size() <= kImagesListedInProvenance) {
    for (const auto& image : images) provenance.add_input(image.path);
  } else {
    std::string listing;
    std::uintmax_t bytes = 0;
    for (const auto& image : images) {
      listing += image.relative + "\t" + core::sha256_file(image.path) + "\n";
      bytes += fs::file_size(image.path);
    }
    provenance.add_input_digest(options.images_dir.string() + " (" + std::to_string(images.size()) +
                                    " images; sha256 of the sorted lines 'relative path<TAB>sha256')",
                                core::sha256_bytes(listing), bytes);
  }
  provenance.add_model("detector", config.detector.path);
  provenance.add_model("landmarks", config.landmarks.path);
  provenance.add_model("embedding", config.embedding.path);
  provenance.set_parameters({{"images_dir", options.images_dir.string()},
                             {"assume_cropped", options.assume_cropped},
                             {"exclude", options.exclude},
                             {"model_config", config_file.string()}});

  GalleryResult result;
  result.table_path = options.output_dir / kGalleryTable;
  result.summary_path = options.output_dir / kGallerySummary;
  if (!options.force) {
    if (auto previous = core::previous_run_if_up_to_date(result.summary_path, provenance, {result.table_path})) {
      result.skipped = true;
      result.images = previous->value("images", std::int64_t{0});
      result.embedded = previous->value("embedded", std::int64_t{0});
      result.without_face = previous->value("without_face", std::vector<std::string>{});
      result.summary = std::move(*previous);
      return result;
    }
  }
  vision::FaceAnalyzer analyzer(config);
  result.images = static_cast<std::int64_t>(images.size());
  std::vector<std::string> identities, names;
  std::vector<double> scores;
  std::vector<cv::Mat> aligned;
  {
    core::ProgressBar bar("faces gallery: " + options.images_dir.filename().string(),
                          result.images, "images");
    for (std::size_t i = 0; i < images.size(); ++i) {
      const cv::Mat image = core::read_image(images[i].path);
      const auto face = analyzer.largest_face(image, options.assume_cropped);
      if (!face) {
        result.without_face.push_back(images[i].relative);
      } else {
        identities.push_back(images[i].identity);
        names.push_back(images[i].relative);
        scores.push_back(face->detection.score);
        aligned.push_back(face->aligned);
      }
      bar.update(static_cast<std::int64_t>(i + 1));
    }
  }
  if (aligned.empty()) {
    throw MissingInputError(options.images_dir.string() + ": no face found in any of its " +
                            std::to_string(result.images) + " images" +
                            (options.assume_cropped ? "" : " (try --assume-cropped for face crops)"));
  }
  const auto embeddings = analyzer.embed(aligned);
  const int dim = static_cast<int>(embeddings.front().size());
  std::vector<float> flat;
  flat.reserve(embeddings.size() * dim);
  for (const auto& e : embeddings) flat.insert(flat.end(), e.begin(), e.end());
  result.embedded = static_cast<std::int64_t>(embeddings.size());

  const core::OutputFolder output_folder(options.output_dir);  // sweeps dead runs' scratch files
  core::Table table;
  table.add(core::Column::string("identity_id", identities));
  table.add(core::Column::string("image_filename", names));
  table.add(core::Column::float64("det_score", scores));
  table.add(core::Column::float_list("embedding", dim, std::move(flat)));
  core::write_parquet(table, result.table_path);

  core::Json per_identity = core::Json::object();
  for (const auto& id : identities) per_identity[id] = per_identity.value(id, 0) + 1;
  result.summary = {{"images", result.images},
                    {"embedded", result.embedded},
                    {"identities", per_identity.size()},
                    {"embedding_dim", dim},
                    {"images_per_identity", per_identity},
                    {"without_face", result.without_face},
                    {"left_out_folders", left_out},
                    {"output_path", result.table_path.string()},
                    {"provenance", provenance.finish()}};
  core::write_json(result.summary_path, result.summary);
  return result;
}

std::vector<vision::LabelledEmbedding> read_gallery_table(const fs::path& path) {
  const core::Table table = core::read_parquet(
      path, std::vector<std::string>{"identity_id", "image_filename", "embedding"});
  const core::Column& embedding = table.column("embedding");
  if (embedding.spec.type != core::ColumnType::kFloatList) {
    throw FormatError(path.string() + ": column 'embedding' is not a fixed-size float list");
  }
  const std::size_t dim = static_cast<std::size_t>(embedding.spec.list_size);
  std::vector<vision::LabelledEmbedding> rows(table.rows());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].identity = table.column("identity_id").str[i];
    rows[i].image = table.column("image_filename").str[i];
    rows[i].embedding.assign(embedding.f32.begin() + i * dim, embedding.f32.begin() + (i + 1) * dim);
  }
  return rows;
}

}  // namespace ethovid::faces
