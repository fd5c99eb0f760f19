#include "ethovid/moseq/checkpoint.hpp"

#include "ethovid/core/error.hpp"
#include "ethovid/core/hdf5_file.hpp"
#include "ethovid/core/hdf5_writer.hpp"

namespace ethovid::moseq {

namespace {

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Matrices of equal size stacked as count x rows x cols, row-major.
std::vector<double> stack(const std::vector<Eigen::MatrixXd>& matrices) {
  std::vector<double> out;
  for (const auto& m : matrices) {
    const RowMajor r = m;
    out.insert(out.end(), r.data(), r.data() + r.size());
  }
  return out;
}

std::vector<Eigen::MatrixXd> unstack(const core::Hdf5Array& a, const std::string& what, const std::filesystem::path& file) {
  if (a.shape.size() != 3) throw FormatError(file.string() + ": " + what + " is not count x rows x cols");
  std::vector<Eigen::MatrixXd> out;
  const auto rows = a.shape[1], cols = a.shape[2];
  for (std::int64_t i = 0; i < a.shape[0]; ++i) {
    out.push_back(Eigen::Map<const RowMajor>(a.values.data() + i * rows * cols, rows, cols));
  }
  return out;
}

void write_matrix(core::Hdf5Writer& w, const std::string& name, const Eigen::MatrixXd& m) {
  const RowMajor r = m;
  w.write_doubles(name, {r.rows(), r.cols()}, r.data());
}

Eigen::MatrixXd read_matrix(const core::Hdf5File& f, const std::string& name) {
  const auto a = f.read_numbers(name);
  if (a.shape.size() != 2) throw FormatError(f.path().string() + ": " + name + " is not a matrix");
  return Eigen::Map<const RowMajor>(a.values.data(), a.shape[0], a.shape[1]);
}

void write_vector(core::Hdf5Writer& w, const std::string& name, const Eigen::VectorXd& v) {
  w.write_doubles(name, {v.size()}, v.data());
}

Eigen::VectorXd read_vector(const core::Hdf5File& f, const std::string& name) {
  const auto a = f.read_numbers(name);
  return Eigen::Map<const Eigen::VectorXd>(a.values.data(), static_cast<Eigen::Index>(a.values.size()));
}

}  // namespace

void write_checkpoint(const std::filesystem::path& file, const FitState& s) {
  core::Hdf5Writer w(file);
  w.set_attribute("/", "format", std::string("ethovid moseq checkpoint 1"));
  w.set_attribute("/", "iteration", s.iteration);
  w.set_attribute("/", "ar_iterations", s.ar_iterations);
  w.set_attribute("/", "ar_kappa", s.ar_kappa);
  w.set_attribute("/", "full_kappa", s.full_kappa);
  w.set_attribute("/", "config_digest", s.config_digest);
  w.set_attribute("/", "rng_state", s.rng_state);
  w.set_attribute("/", "latent_dim", s.latent_dim);
  write_vector(w, "pca/mean", s.pca.mean);
  write_matrix(w, "pca/components", s.pca.components);
  write_vector(w, "pca/variance", s.pca.variance);
  write_matrix(w, "params/C", s.params.C);
  write_vector(w, "params/d", s.params.d);
  write_vector(w, "params/sigmasq", s.params.sigmasq);
  const auto S = static_cast<std::int64_t>(s.ar.ar.Ab.size());
  w.write_doubles("params/Ab", {S, s.ar.ar.Ab[0].rows(), s.ar.ar.Ab[0].cols()}, stack(s.ar.ar.Ab).data());
  w.write_doubles("params/Q", {S, s.ar.ar.Q[0].rows(), s.ar.ar.Q[0].cols()}, stack(s.ar.ar.Q).data());
  write_vector(w, "params/beta", s.ar.transitions.beta);
  write_matrix(w, "params/pi", s.ar.transitions.pi);
  std::vector<Eigen::MatrixXd> x, v, s_noise, h, z;
  for (std::size_t n = 0; n < s.states.size(); ++n) {
    x.push_back(s.states[n].x);
    v.push_back(s.states[n].v);
    s_noise.push_back(s.states[n].s);
    h.push_back(s.states[n].h);
    Eigen::MatrixXd labels(static_cast<Eigen::Index>(s.ar.z[n].size()), 1);
    for (std::size_t t = 0; t < s.ar.z[n].size(); ++t) labels(static_cast<Eigen::Index>(t), 0) = s.ar.z[n][t];
    z.push_back(labels);
  }
  const auto N = static_cast<std::int64_t>(s.states.size());
  w.write_doubles("states/x", {N, x[0].rows(), x[0].cols()}, stack(x).data());
  w.write_doubles("states/v", {N, v[0].rows(), v[0].cols()}, stack(v).data());
  w.write_doubles("states/s", {N, s_noise[0].rows(), s_noise[0].cols()}, stack(s_noise).data());
  w.write_doubles("states/h", {N, h[0].rows(), 1}, stack(h).data());
  w.write_doubles("states/z", {N, z[0].rows(), 1}, stack(z).data());
  std::vector<std::int64_t> order(s.syllable_order.begin(), s.syllable_order.end());
  w.write_ints("syllable_order", {static_cast<std::int64_t>(order.size())}, order.data());
  w.commit();
}

FitState read_checkpoint(const std::filesystem::path& file, std::size_t segments, int rows) {
  const core::Hdf5File f(file);
  if (!f.has_attribute("/", "format") || f.string_attribute("/", "format") != "ethovid moseq checkpoint 1") {
    throw FormatError(file.string() + " is not an ethovid moseq checkpoint");
  }
  FitState s;
  s.iteration = static_cast<int>(f.number_attribute("/", "iteration"));
  s.ar_iterations = static_cast<int>(f.number_attribute("/", "ar_iterations"));
  s.ar_kappa = f.number_attribute("/", "ar_kappa");
  s.full_kappa = f.number_attribute("/", "full_kappa");
  s.config_digest = f.string_attribute("/", "config_digest");
  s.rng_state = f.string_attribute("/", "rng_state");
  s.latent_dim = static_cast<int>(f.number_attribute("/", "latent_dim"));
  s.pca.mean = read_vector(f, "pca/mean");
  s.pca.components = read_matrix(f, "pca/components");
  s.pca.variance = read_vector(f, "pca/variance");
  s.params.C = read_matrix(f, "params/C");
  s.params.d = read_vector(f, "params/d");
  s.params.sigmasq = read_vector(f, "params/sigmasq");
  s.ar.ar.Ab = unstack(f.read_numbers("params/Ab"), "params/Ab", file);
  s.ar.ar.Q = unstack(f.read_numbers("params/Q"), "params/Q", file);
  s.ar.transitions.beta = read_vector(f, "params/beta");
  s.ar.transitions.pi = read_matrix(f, "params/pi");
  const auto x = unstack(f.read_numbers("states/x"), "states/x", file);
  const auto v = unstack(f.read_numbers("states/v"), "states/v", file);
  const auto noise = unstack(f.read_numbers("states/s"), "states/s", file);
  const auto h = unstack(f.read_numbers("states/h"), "states/h", file);
  const auto z = unstack(f.read_numbers("states/z"), "states/z", file);
  if (segments > 0 && (x.size() != segments || x[0].rows() != rows)) {
    throw FormatError(file.string() + " holds " + std::to_string(x.size()) + " segments of " +
                      std::to_string(x.empty() ? 0 : x[0].rows()) + " frames; the project's data has " +
                      std::to_string(segments) + " of " + std::to_string(rows));
  }
  for (std::size_t n = 0; n < x.size(); ++n) {
    s.states.push_back({x[n], v[n], h[n].col(0), noise[n]});
    std::vector<int> labels;
    for (Eigen::Index t = 0; t < z[n].rows(); ++t) labels.push_back(static_cast<int>(z[n](t, 0)));
    s.ar.z.push_back(std::move(labels));
  }
  for (double v : f.read_numbers("syllable_order").values) s.syllable_order.push_back(static_cast<int>(v));
  return s;
}

}  // namespace ethovid::moseq
