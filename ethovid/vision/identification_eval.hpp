#pragma once
// Closed-set identification from face embeddings: how often does an image's nearest identity
// centroid belong to the right individual? Centroid enrollment (a few images per identity form
// its template) is how the system is used in practice, so that is what is measured.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ethovid::vision {

struct LabelledEmbedding {
  std::string identity;          // e.g. folder name
  std::string image;             // file name, used to order images within an identity
  std::vector<float> embedding;  // unit norm, all the same dimension
};

struct IdentificationResult {
  int enroll_per_identity = 0;
  std::int64_t identities = 0;          // identities evaluated (with >= 1 query)
  std::int64_t queries = 0;
  std::int64_t skipped_identities = 0;  // identities with <= enroll images (no query left)
  double rank1 = 0;  // fraction of queries whose nearest centroid is their identity
  double top5 = 0;   // fraction whose identity is among the 5 nearest centroids (or all, if fewer)
  std::vector<std::pair<std::string, double>> per_identity_rank1;  // sorted by identity name
};

// Centroid enrollment: per identity, sort its images by `image` name, the first `enroll` are the
// gallery (their mean embedding, re-normalised to unit length, is the identity's centroid), the
// rest are queries. Queries are searched against all centroids with inner product (cosine) in a
// faiss::IndexFlatIP. Identities with no query left still take part as gallery centroids
// (distractors) but are counted in skipped_identities.
// ConfigError when enroll < 1; FormatError when embeddings differ in dimension (or are empty), or
// when no query exists at all.
IdentificationResult evaluate_identification(const std::vector<LabelledEmbedding>& rows,
                                             int enroll);

}  // namespace ethovid::vision
