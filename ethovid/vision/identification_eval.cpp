#include "ethovid/vision/identification_eval.hpp"

#include <faiss/IndexFlat.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <span>

#include "ethovid/core/error.hpp"

namespace ethovid::vision {
namespace {

using Images = std::vector<const LabelledEmbedding*>;

constexpr int kTopK = 5;

std::string describe(const LabelledEmbedding& row) { return row.identity + "/" + row.image; }

// One dimension for all rows, so FAISS never reads past a short vector.
std::size_t common_dimension(const std::vector<LabelledEmbedding>& rows) {
  if (rows.empty()) return 0;
  const LabelledEmbedding& first = rows.front();
  const std::size_t dim = first.embedding.size();
  if (dim == 0) throw FormatError(describe(first) + ": embedding is empty");
  for (const LabelledEmbedding& row : rows) {
    if (row.embedding.size() != dim) {
      throw FormatError(describe(row) + ": embedding has " +
                        std::to_string(row.embedding.size()) + " dimensions, " +
                        describe(first) + " has " + std::to_string(dim));
    }
  }
  return dim;
}

// Sorted by identity name (std::map) and, within one, by image name, so the gallery does not
// depend on the order the files were listed in. Stable, so duplicate names keep input order.
std::map<std::string, Images> group_by_identity(const std::vector<LabelledEmbedding>& rows) {
  std::map<std::string, Images> groups;
  for (const LabelledEmbedding& row : rows) groups[row.identity].push_back(&row);
  for (auto& [identity, images] : groups) {
    std::stable_sort(images.begin(), images.end(),
                     [](const auto* a, const auto* b) { return a->image < b->image; });
  }
  return groups;
}

// Mean of the gallery, summed in double so many images do not lose precision, then put back on
// the unit sphere so inner product is cosine again.
void append_centroid(std::span<const LabelledEmbedding* const> gallery, std::size_t dim,
                     std::vector<float>& out) {
  std::vector<double> sum(dim, 0.0);
  for (const LabelledEmbedding* row : gallery) {
    for (std::size_t i = 0; i < dim; ++i) sum[i] += row->embedding[i];
  }
  double norm = 0;
  for (double v : sum) norm += v * v;
  norm = std::sqrt(norm);
  // Opposite gallery images can cancel out; a zero centroid then simply scores 0 against all.
  const double scale = norm > 0 ? 1.0 / norm : 0.0;
  for (double v : sum) out.push_back(static_cast<float>(v * scale));
}

}  // namespace

IdentificationResult evaluate_identification(const std::vector<LabelledEmbedding>& rows,
                                             int enroll) {
  if (enroll < 1) {
    throw ConfigError("identification: enroll must be >= 1 image per identity, got " +
                      std::to_string(enroll));
  }
  const std::size_t dim = common_dimension(rows);
  const std::map<std::string, Images> groups = group_by_identity(rows);

  IdentificationResult result;
  result.enroll_per_identity = enroll;
  const auto n_enroll = static_cast<std::size_t>(enroll);

  std::vector<float> centroids;
  std::vector<float> queries;
  std::vector<faiss::Index::idx_t> truth;  // centroid index of each query's identity
  std::vector<const std::string*> names;
  for (const auto& [identity, images] : groups) {
    const std::size_t gallery_size = std::min(n_enroll, images.size());
    append_centroid(std::span(images).first(gallery_size), dim, centroids);
    names.push_back(&identity);
    if (images.size() <= n_enroll) {
      ++result.skipped_identities;
      continue;
    }
    for (std::size_t i = gallery_size; i < images.size(); ++i) {
      queries.insert(queries.end(), images[i]->embedding.begin(), images[i]->embedding.end());
      truth.push_back(static_cast<faiss::Index::idx_t>(names.size() - 1));
    }
  }
  if (truth.empty()) {
    throw FormatError("identification: no query image left; all " +
                      std::to_string(groups.size()) + " identities have <= " +
                      std::to_string(enroll) + " images");
  }

  const auto n_centroids = static_cast<faiss::Index::idx_t>(names.size());
  const auto n_queries = static_cast<faiss::Index::idx_t>(truth.size());
  const faiss::Index::idx_t k = std::min<faiss::Index::idx_t>(kTopK, n_centroids);
  faiss::IndexFlatIP index(static_cast<faiss::Index::idx_t>(dim));
  index.add(n_centroids, centroids.data());
  std::vector<float> scores(static_cast<std::size_t>(n_queries * k));
  std::vector<faiss::Index::idx_t> labels(static_cast<std::size_t>(n_queries * k));
  index.search(n_queries, queries.data(), k, scores.data(), labels.data());

  // Hits per centroid index; identities without queries never get an entry.
  std::map<faiss::Index::idx_t, std::pair<std::int64_t, std::int64_t>> per_identity;
  std::int64_t rank1_hits = 0;
  std::int64_t topk_hits = 0;
  for (faiss::Index::idx_t q = 0; q < n_queries; ++q) {
    const auto first = labels.begin() + q * k;
    const bool rank1 = *first == truth[q];
    const bool topk = std::find(first, first + k, truth[q]) != first + k;
    rank1_hits += rank1;
    topk_hits += topk;
    auto& [hits, total] = per_identity[truth[q]];
    hits += rank1;
    ++total;
  }

  result.identities = static_cast<std::int64_t>(per_identity.size());
  result.queries = n_queries;
  result.rank1 = static_cast<double>(rank1_hits) / static_cast<double>(n_queries);
  result.top5 = static_cast<double>(topk_hits) / static_cast<double>(n_queries);
  // Centroid indices follow identity names, so this is already sorted by name.
  for (const auto& [centroid, counts] : per_identity) {
    result.per_identity_rank1.emplace_back(
        *names[centroid], static_cast<double>(counts.first) / static_cast<double>(counts.second));
  }
  return result;
}

}  // namespace ethovid::vision
