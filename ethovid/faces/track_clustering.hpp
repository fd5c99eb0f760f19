#pragma once
// Groups face tracks into identities: agglomerative clustering with average linkage on the cosine
// similarity of track-level embeddings. Tracks, not frames: a track is one person by construction,
// so pooling its crops first removes the thousands of near-singleton clusters that clustering raw
// frames produces, and a cluster only grows when whole tracks agree.
#include <vector>

namespace ethovid::faces {

// Quality-weighted mean of a track's unit embeddings, re-normalised to unit length.
std::vector<float> pool_embeddings(const std::vector<std::vector<float>>& embeddings,
                                   const std::vector<double>& weights);

// Clusters unit vectors: repeatedly merges the two clusters with the highest average pairwise
// similarity while that average is >= min_similarity. Returns clusters as lists of input indices,
// each list ascending, clusters ordered by their smallest index.
std::vector<std::vector<int>> cluster_average_linkage(const std::vector<std::vector<float>>& vectors,
                                                      double min_similarity);

}  // namespace ethovid::faces
