#include "ethovid/faces/cluster.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "ethovid/core/error.hpp"
#include "ethovid/core/provenance.hpp"
#include "ethovid/core/table.hpp"
#include "ethovid/faces/embed.hpp"
#include "ethovid/faces/gallery.hpp"
#include "ethovid/faces/track.hpp"
#include "ethovid/faces/track_clustering.hpp"
#include "ethovid/faces/tracks_file.hpp"

namespace ethovid::faces {

namespace fs = std::filesystem;

namespace {

struct TrackFaces {
  std::vector<std::vector<float>> embeddings;
  std::vector<double> qualities;
  std::int64_t first_frame = 0, last_frame = 0;
  double best_quality = -1;
  std::int64_t best_face = -1;
  std::string best_crop;
};

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d += double(a[i]) * b[i];
  return d;
}

// Frames covered by the union of [first, last] intervals.
std::int64_t frames_covered(std::vector<std::pair<std::int64_t, std::int64_t>> spans) {
  std::sort(spans.begin(), spans.end());
  std::int64_t total = 0, end = -1;
  for (const auto& [first, last] : spans) {
    if (last <= end) continue;
    total += last - std::max(first, end + 1) + 1;
    end = last;
  }
  return total;
}

// The gallery folder embedded into <output>/gallery (skipped when that is up to date).
fs::path built_gallery_table(const ClusterOptions& o) {
  GalleryOptions g;
  g.images_dir = *o.gallery_dir;
  g.output_dir = o.dir / "gallery";
  g.model_config = o.model_config;
  g.exclude = o.gallery_exclude;
  return build_gallery(g).table_path;
}

// Per-person centroids of a gallery table.
std::map<std::string, std::vector<float>> gallery_centroids(const fs::path& gallery_table) {
  std::map<std::string, std::vector<std::vector<float>>> photos;
  for (auto& row : read_gallery_table(gallery_table)) photos[row.identity].push_back(std::move(row.embedding));
  std::map<std::string, std::vector<float>> centroids;
  for (const auto& [name, vectors] : photos) {
    centroids[name] = pool_embeddings(vectors, std::vector<double>(vectors.size(), 1.0));
  }
  return centroids;
}

}  // namespace

ClusterResult cluster_faces(const ClusterOptions& o) {
  for (double t : {o.min_similarity, o.gallery_min_similarity}) {
    if (!(t >= -1 && t <= 1)) throw ConfigError("similarity threshold " + std::to_string(t) + " is outside [-1, 1]");
  }
  const fs::path table_path = o.dir / kFacesParquet;
  if (!fs::exists(table_path)) {
    throw MissingInputError(table_path.string() + " not found: run `ethovid faces embed` into " + o.dir.string());
  }
  // Everything the identities depend on, by content: a run with the same digests and options is
  // up to date. The gallery is built first (itself skipped when up to date) so its table counts.
  const std::optional<fs::path> gallery_table =
      o.gallery_dir ? std::optional<fs::path>(built_gallery_table(o)) : std::nullopt;
  core::Provenance provenance;
  provenance.add_input(table_path);
  for (const char* name : {kTracksFile, kFacesSummary}) {
    if (fs::exists(o.dir / name)) provenance.add_input(o.dir / name);
  }
  if (gallery_table) provenance.add_input(*gallery_table);
  provenance.set_parameters({{"min_similarity", o.min_similarity},
                             {"gallery_min_similarity", o.gallery_min_similarity},
                             {"gallery", o.gallery_dir ? core::Json(o.gallery_dir->string()) : core::Json(nullptr)},
                             {"gallery_exclude", o.gallery_exclude}});
  ClusterResult result;
  result.identities_path = o.dir / kIdentitiesFile;
  if (!o.force) {
    if (auto previous = core::previous_run_if_up_to_date(result.identities_path, provenance, {})) {
      result.skipped = true;
      result.identities = static_cast<std::int64_t>(previous->value("identities", core::Json::array()).size());
      result.tracks = previous->value("tracks", std::int64_t{0});
      result.summary = std::move(*previous);
      return result;
    }
  }

  const core::Table table = core::read_parquet(table_path);
  const auto& embedding = table.column("embedding");
  const int dim = embedding.spec.list_size;
  std::map<int, TrackFaces> by_track;
  for (std::size_t i = 0; i < table.rows(); ++i) {
    auto& t = by_track[static_cast<int>(table.column("track_id").i64[i])];
    t.embeddings.emplace_back(embedding.f32.begin() + i * dim, embedding.f32.begin() + (i + 1) * dim);
    const double q = table.column("quality_score").f64[i];
    t.qualities.push_back(q);
    const std::int64_t frame = table.column("frame_idx").i64[i];
    if (t.embeddings.size() == 1) t.first_frame = t.last_frame = frame;
    t.first_frame = std::min(t.first_frame, frame);
    t.last_frame = std::max(t.last_frame, frame);
    if (q > t.best_quality) {
      t.best_quality = q;
      t.best_face = table.column("face_id").i64[i];
      t.best_crop = table.column("crop_path").str[i];
    }
  }
  // The whole track is on screen, not only its sampled crops: take its span from tracks.jsonl.
  if (fs::exists(o.dir / kTracksFile)) {
    for (const auto& track : read_tracks_file(o.dir / kTracksFile)) {
      auto it = by_track.find(track.track_id);
      if (it == by_track.end() || track.detections.empty()) continue;
      it->second.first_frame = track.detections.front().frame_idx;
      it->second.last_frame = track.detections.back().frame_idx;
    }
  }
  double fps = 0;
  if (fs::exists(o.dir / kFacesSummary)) {
    fps = core::read_json(o.dir / kFacesSummary)["video"].value("fps", 0.0);
  }

  std::vector<int> track_ids;
  std::vector<std::vector<float>> pooled;
  for (const auto& [id, t] : by_track) {
    track_ids.push_back(id);
    pooled.push_back(pool_embeddings(t.embeddings, t.qualities));
  }
  const auto clusters = cluster_average_linkage(pooled, o.min_similarity);
  std::map<std::string, std::vector<float>> centroids;
  if (gallery_table) centroids = gallery_centroids(*gallery_table);

  std::vector<core::Json> identities;
  for (const auto& members : clusters) {
    core::Json tracks = core::Json::array();
    std::vector<std::pair<std::int64_t, std::int64_t>> spans;
    std::vector<std::vector<float>> member_vectors;
    std::int64_t faces = 0;
    const TrackFaces* best = nullptr;
    for (int index : members) {
      const TrackFaces& t = by_track.at(track_ids[index]);
      tracks.push_back(track_ids[index]);
      spans.emplace_back(t.first_frame, t.last_frame);
      member_vectors.push_back(pooled[index]);
      faces += static_cast<std::int64_t>(t.embeddings.size());
      if (!best || t.best_quality > best->best_quality) best = &t;
    }
    const std::int64_t frames = frames_covered(spans);
    core::Json identity = {
        {"identity_id", 0}, {"name", nullptr}, {"match_similarity", nullptr}, {"tracks", tracks},
        {"faces", faces}, {"frames", frames},
        {"screen_time_s", fps > 0 ? core::Json(std::round(frames / fps * 1000) / 1000) : core::Json(nullptr)},
        {"first_frame", std::min_element(spans.begin(), spans.end())->first},
        {"last_frame", std::max_element(spans.begin(), spans.end(), [](auto& a, auto& b) { return a.second < b.second; })->second},
        {"representative_crop", best->best_crop.empty() ? core::Json(nullptr) : core::Json(best->best_crop)},
        {"representative_face_id", best->best_face}};
    if (!centroids.empty()) {
      const auto centre = pool_embeddings(member_vectors, std::vector<double>(member_vectors.size(), 1.0));
      std::string name = "unknown";
      double best_similarity = -2;
      for (const auto& [person, c] : centroids) {
        const double s = cosine(centre, c);
        if (s > best_similarity) best_similarity = s, name = person;
      }
      identity["name"] = best_similarity >= o.gallery_min_similarity ? name : "unknown";
      identity["match_similarity"] = std::round(best_similarity * 1000) / 1000;
    }
    identities.push_back(std::move(identity));
  }
  std::stable_sort(identities.begin(), identities.end(), [](const auto& a, const auto& b) {
    return a["frames"].template get<std::int64_t>() > b["frames"].template get<std::int64_t>();
  });
  for (std::size_t i = 0; i < identities.size(); ++i) identities[i]["identity_id"] = i + 1;

  result.identities = static_cast<std::int64_t>(identities.size());
  result.tracks = static_cast<std::int64_t>(track_ids.size());
  result.summary = {{"identities", identities},
                    {"tracks", result.tracks},
                    {"fps", fps},
                    {"method", "tracks pooled (quality-weighted mean of their crops' embeddings), then "
                               "average-linkage clustering on cosine similarity"},
                    {"gallery", o.gallery_dir ? core::Json({{"dir", o.gallery_dir->string()},
                                                            {"people", centroids.size()}})
                                              : core::Json(nullptr)},
                    {"provenance", provenance.finish()}};
  core::write_json(result.identities_path, result.summary);
  return result;
}

}  // namespace ethovid::faces
