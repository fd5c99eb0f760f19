#include "ethovid/faces/track_clustering.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace ethovid::faces {

std::vector<float> pool_embeddings(const std::vector<std::vector<float>>& embeddings,
                                   const std::vector<double>& weights) {
  assert(!embeddings.empty() && embeddings.size() == weights.size());
  std::vector<double> sum(embeddings.front().size(), 0.0);
  for (std::size_t i = 0; i < embeddings.size(); ++i) {
    const double w = std::max(weights[i], 1e-6);  // a zero-quality crop still counts a little
    for (std::size_t j = 0; j < sum.size(); ++j) sum[j] += w * embeddings[i][j];
  }
  double norm = 0;
  for (double v : sum) norm += v * v;
  norm = std::sqrt(norm);
  std::vector<float> out(sum.size());
  for (std::size_t j = 0; j < sum.size(); ++j) out[j] = static_cast<float>(norm > 0 ? sum[j] / norm : 0.0);
  return out;
}

std::vector<std::vector<int>> cluster_average_linkage(const std::vector<std::vector<float>>& vectors,
                                                      double min_similarity) {
  const int n = static_cast<int>(vectors.size());
  // Sum of pairwise similarities between clusters; the average is sum / (size_a * size_b).
  std::vector<std::vector<double>> link(n, std::vector<double>(n, 0.0));
  for (int a = 0; a < n; ++a) {
    for (int b = a + 1; b < n; ++b) {
      double dot = 0;
      for (std::size_t k = 0; k < vectors[a].size(); ++k) dot += double(vectors[a][k]) * vectors[b][k];
      link[a][b] = link[b][a] = dot;
    }
  }
  std::vector<std::vector<int>> members(n);
  for (int i = 0; i < n; ++i) members[i] = {i};
  std::vector<bool> alive(n, true);
  for (;;) {
    int best_a = -1, best_b = -1;
    double best = min_similarity;
    for (int a = 0; a < n; ++a) {
      if (!alive[a]) continue;
      for (int b = a + 1; b < n; ++b) {
        if (!alive[b]) continue;
        const double average = link[a][b] / (members[a].size() * members[b].size());
        if (average >= best && (best_a < 0 || average > best)) {
          best = average;
          best_a = a;
          best_b = b;
        }
      }
    }
    if (best_a < 0) break;
    // Merge b into a: link sums add, so averages stay exact without revisiting the vectors.
    for (int c = 0; c < n; ++c) {
      if (!alive[c] || c == best_a || c == best_b) continue;
      link[best_a][c] = link[c][best_a] = link[best_a][c] + link[best_b][c];
    }
    members[best_a].insert(members[best_a].end(), members[best_b].begin(), members[best_b].end());
    std::sort(members[best_a].begin(), members[best_a].end());
    alive[best_b] = false;
  }
  std::vector<std::vector<int>> clusters;
  for (int i = 0; i < n; ++i) {
    if (alive[i]) clusters.push_back(members[i]);
  }
  std::sort(clusters.begin(), clusters.end(),
            [](const auto& x, const auto& y) { return x.front() < y.front(); });
  return clusters;
}

}  // namespace ethovid::faces
