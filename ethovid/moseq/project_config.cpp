#include "ethovid/moseq/project_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "ethovid/core/atomic_file.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/yaml_config.hpp"
#include "ethovid/core/video.hpp"
#include "ethovid/moseq/pose_files.hpp"
#include "ethovid/moseq/recording_video.hpp"

namespace ethovid::moseq {

namespace fs = std::filesystem;

namespace {

template <typename T>
void read(const YAML::Node& map, const char* key, const std::string& where, T& out) {
  if (!map || !map[key] || map[key].IsNull()) return;
  try {
    out = map[key].as<T>();
  } catch (const YAML::Exception&) {
    throw ConfigError(where + ": '" + key + "' has the wrong type (line " + std::to_string(map[key].Mark().line + 1) + ")");
  }
}

template <typename T>
void read_optional(const YAML::Node& map, const char* key, const std::string& where, std::optional<T>& out) {
  if (!map || !map[key] || map[key].IsNull()) return;
  T value{};
  read(map, key, where, value);
  out = value;
}

void require_known(const std::vector<std::string>& names, const std::vector<std::string>& known, const char* key,
                   const char* known_key, const std::string& where) {
  for (const auto& name : names) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      throw ConfigError(where + ": " + key + " names '" + name + "', which is not in " + known_key);
    }
  }
}

void require(bool ok, const std::string& where, const std::string& key, const std::string& rule, double value) {
  if (!ok) throw ConfigError(where + ": " + key + " = " + std::to_string(value) + " must be " + rule);
}

// What differs between two files' bodyparts: the names only one has, or else their order.
std::string bodypart_difference(const fs::path& first_file, const std::vector<std::string>& first,
                                const fs::path& other_file, const std::vector<std::string>& other) {
  auto only_in = [](const std::vector<std::string>& names, const std::vector<std::string>& without) {
    std::string out;
    for (const auto& name : names) {
      if (std::find(without.begin(), without.end(), name) == without.end()) out += (out.empty() ? "'" : ", '") + name + "'";
    }
    return out;
  };
  const std::string only_first = only_in(first, other), only_other = only_in(other, first);
  if (only_first.empty() && only_other.empty()) return "the same names in another order";
  std::string out;
  if (!only_other.empty()) out += only_other + " only in " + other_file.filename().string();
  if (!only_first.empty()) out += (out.empty() ? "" : ", ") + only_first + " only in " + first_file.filename().string();
  return out;
}

// The frame rate a video states, 0 when it states none or cannot be read (the rate is then
// the default, with a warning).
double video_rate(const fs::path& video) {
  try {
    return core::probe_video(video.string()).fps;
  } catch (const Error&) {
    return 0;
  }
}

bool name_has(const std::string& name, std::initializer_list<const char*> words) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::any_of(words.begin(), words.end(), [&](const char* w) { return lower.find(w) != std::string::npos; });
}

}  // namespace

void check_moseq_config(const MoseqConfig& c, const std::string& where) {
  if (c.bodyparts.empty()) throw ConfigError(where + ": bodyparts is empty");
  if (c.use_bodyparts.size() < 3) {
    throw ConfigError(where + ": use_bodyparts has " + std::to_string(c.use_bodyparts.size()) +
                      " bodyparts; the model needs at least 3");
  }
  require_known(c.use_bodyparts, c.bodyparts, "use_bodyparts", "bodyparts", where);
  require_known(c.anterior_bodyparts, c.use_bodyparts, "anterior_bodyparts", "use_bodyparts", where);
  require_known(c.posterior_bodyparts, c.use_bodyparts, "posterior_bodyparts", "use_bodyparts", where);
  if (c.anterior_bodyparts.empty() || c.posterior_bodyparts.empty()) {
    throw ConfigError(where + ": anterior_bodyparts and posterior_bodyparts must each name at least one bodypart");
  }
  for (const auto& [a, b] : c.skeleton) require_known({a, b}, c.bodyparts, "skeleton", "bodyparts", where);
  require(c.fps > 0, where, "fps", "> 0", c.fps);
  require(c.conf_threshold >= 0 && c.conf_threshold <= 1, where, "conf_threshold", "in [0, 1]", c.conf_threshold);
  require(c.outlier_scale_factor > 0, where, "outlier_scale_factor", "> 0", c.outlier_scale_factor);
  require(c.nlags >= 1, where, "nlags", ">= 1", c.nlags);
  require(c.num_states >= 2, where, "num_states", ">= 2", c.num_states);
  require(c.alpha > 0, where, "alpha", "> 0", c.alpha);
  require(c.gamma > 0, where, "gamma", "> 0", c.gamma);
  require(c.kappa >= 0, where, "kappa", ">= 0", c.kappa);
  require(c.S_0_scale > 0, where, "S_0_scale", "> 0", c.S_0_scale);
  require(c.K_0_scale > 0, where, "K_0_scale", "> 0", c.K_0_scale);
  require(c.nu_s > 0, where, "nu_s", "> 0", c.nu_s);
  require(c.sigmasq_loc > 0, where, "sigmasq_loc", "> 0", c.sigmasq_loc);
  require(c.added_noise_level >= 0, where, "added_noise_level", ">= 0", c.added_noise_level);
  require(c.PCA_fitting_num_frames >= 2, where, "PCA_fitting_num_frames", ">= 2", static_cast<double>(c.PCA_fitting_num_frames));
  if (c.latent_dim) {
    // (K - 1) x D for D = 3 at most; the exact bound for 2-D data is checked when the data is read.
    const int most = (static_cast<int>(c.use_bodyparts.size()) - 1) * 3;
    require(*c.latent_dim >= 1 && *c.latent_dim <= most, where, "latent_dim",
            "in [1, (use_bodyparts - 1) x 3 = " + std::to_string(most) + "]", *c.latent_dim);
  }
  if (c.seg_length) require(*c.seg_length >= 10, where, "seg_length", ">= 10", *c.seg_length);
}

MoseqConfig load_moseq_config(const fs::path& project) {
  const fs::path file = project / kConfigFile;
  if (!fs::is_regular_file(file)) {
    throw MissingInputError(file.string() + " does not exist (run `ethovid moseq setup` first)");
  }
  const std::string where = file.string();
  const YAML::Node root = core::load_yaml(file);
  core::check_known_keys(root, file, "config.yml",
                         {"bodyparts", "use_bodyparts", "skeleton", "anterior_bodyparts", "posterior_bodyparts",
                          "added_noise_level", "PCA_fitting_num_frames", "conf_threshold", "error_estimator",
                          "obs_hypparams", "ar_hypparams", "trans_hypparams", "cen_hypparams", "fps",
                          "outlier_scale_factor", "conf_pseudocount", "fix_heading", "seg_length", "pose_files",
                          "recording_name_suffix", "verbose", "video_dir", "keypoint_colormap", "whiten"});
  MoseqConfig c;
  read(root, "bodyparts", where, c.bodyparts);
  read(root, "use_bodyparts", where, c.use_bodyparts);
  std::vector<std::vector<std::string>> skeleton;
  read(root, "skeleton", where, skeleton);
  for (const auto& edge : skeleton) {
    if (edge.size() != 2) throw ConfigError(where + ": a skeleton edge has " + std::to_string(edge.size()) + " names, not 2");
    c.skeleton.emplace_back(edge[0], edge[1]);
  }
  read(root, "anterior_bodyparts", where, c.anterior_bodyparts);
  read(root, "posterior_bodyparts", where, c.posterior_bodyparts);
  read(root, "added_noise_level", where, c.added_noise_level);
  read(root, "PCA_fitting_num_frames", where, c.PCA_fitting_num_frames);
  read(root, "conf_threshold", where, c.conf_threshold);
  const YAML::Node error = root["error_estimator"], obs = root["obs_hypparams"], ar = root["ar_hypparams"],
                   trans = root["trans_hypparams"], cen = root["cen_hypparams"];
  core::check_known_keys(error, file, "error_estimator", {"slope", "intercept"});
  core::check_known_keys(obs, file, "obs_hypparams", {"nu_s", "nu_sigma", "sigmasq_0", "sigmasq_C"});
  core::check_known_keys(ar, file, "ar_hypparams", {"nlags", "latent_dim", "S_0_scale", "K_0_scale"});
  core::check_known_keys(trans, file, "trans_hypparams", {"alpha", "gamma", "kappa", "num_states"});
  core::check_known_keys(cen, file, "cen_hypparams", {"sigmasq_loc"});
  read(error, "slope", where, c.error_estimator_slope);
  read(error, "intercept", where, c.error_estimator_intercept);
  read(obs, "nu_s", where, c.nu_s);
  read(obs, "nu_sigma", where, c.nu_sigma);
  read(obs, "sigmasq_0", where, c.sigmasq_0);
  read(obs, "sigmasq_C", where, c.sigmasq_C);
  read(ar, "nlags", where, c.nlags);
  read_optional(ar, "latent_dim", where, c.latent_dim);
  read(ar, "S_0_scale", where, c.S_0_scale);
  read(ar, "K_0_scale", where, c.K_0_scale);
  read(trans, "alpha", where, c.alpha);
  read(trans, "gamma", where, c.gamma);
  read(trans, "kappa", where, c.kappa);
  read(trans, "num_states", where, c.num_states);
  read(cen, "sigmasq_loc", where, c.sigmasq_loc);
  read(root, "fps", where, c.fps);
  read(root, "outlier_scale_factor", where, c.outlier_scale_factor);
  read(root, "conf_pseudocount", where, c.conf_pseudocount);
  read(root, "fix_heading", where, c.fix_heading);
  read_optional(root, "seg_length", where, c.seg_length);
  std::vector<std::string> files;
  read(root, "pose_files", where, files);
  for (const auto& f : files) c.pose_files.emplace_back(f);
  check_moseq_config(c, where);
  return c;
}

void write_moseq_config(const fs::path& project, const MoseqConfig& c) {
  YAML::Emitter out;
  out.SetDoublePrecision(15);  // 0.1, not 0.10000000000000001
  auto section = [&](const char* title) { out << YAML::Newline << YAML::Comment(std::string("==== ") + title + " ===="); };
  auto list = [&](const char* key, const std::vector<std::string>& values) {
    out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& v : values) out << v;
    out << YAML::EndSeq;
  };
  out << YAML::BeginMap;
  section("ANATOMY");
  list("bodyparts", c.bodyparts);
  list("use_bodyparts", c.use_bodyparts);
  out << YAML::Key << "skeleton" << YAML::Value << YAML::BeginSeq;
  for (const auto& [a, b] : c.skeleton) out << YAML::Flow << YAML::BeginSeq << a << b << YAML::EndSeq;
  out << YAML::EndSeq;
  list("anterior_bodyparts", c.anterior_bodyparts);
  list("posterior_bodyparts", c.posterior_bodyparts);
  section("FITTING");
  out << YAML::Key << "added_noise_level" << YAML::Value << c.added_noise_level;
  out << YAML::Key << "PCA_fitting_num_frames" << YAML::Value << c.PCA_fitting_num_frames;
  out << YAML::Key << "conf_threshold" << YAML::Value << c.conf_threshold;
  section("HYPER PARAMS");
  out << YAML::Key << "error_estimator" << YAML::Value << YAML::BeginMap << YAML::Key << "intercept" << YAML::Value
      << c.error_estimator_intercept << YAML::Key << "slope" << YAML::Value << c.error_estimator_slope << YAML::EndMap;
  out << YAML::Key << "obs_hypparams" << YAML::Value << YAML::BeginMap << YAML::Key << "nu_s" << YAML::Value << c.nu_s
      << YAML::Key << "nu_sigma" << YAML::Value << c.nu_sigma << YAML::Key << "sigmasq_0" << YAML::Value << c.sigmasq_0
      << YAML::Key << "sigmasq_C" << YAML::Value << c.sigmasq_C << YAML::EndMap;
  out << YAML::Key << "ar_hypparams" << YAML::Value << YAML::BeginMap << YAML::Key << "K_0_scale" << YAML::Value
      << c.K_0_scale << YAML::Key << "S_0_scale" << YAML::Value << c.S_0_scale;
  out << YAML::Key << "latent_dim" << YAML::Value;
  if (c.latent_dim) out << *c.latent_dim; else out << YAML::Null;
  out << YAML::Key << "nlags" << YAML::Value << c.nlags << YAML::EndMap;
  out << YAML::Key << "trans_hypparams" << YAML::Value << YAML::BeginMap << YAML::Key << "alpha" << YAML::Value << c.alpha
      << YAML::Key << "gamma" << YAML::Value << c.gamma << YAML::Key << "kappa" << YAML::Value << c.kappa << YAML::Key
      << "num_states" << YAML::Value << c.num_states << YAML::EndMap;
  out << YAML::Key << "cen_hypparams" << YAML::Value << YAML::BeginMap << YAML::Key << "sigmasq_loc" << YAML::Value
      << c.sigmasq_loc << YAML::EndMap;
  section("OTHER");
  out << YAML::Key << "fps" << YAML::Value << c.fps;
  out << YAML::Key << "outlier_scale_factor" << YAML::Value << c.outlier_scale_factor;
  out << YAML::Key << "conf_pseudocount" << YAML::Value << c.conf_pseudocount;
  out << YAML::Key << "fix_heading" << YAML::Value << c.fix_heading;
  out << YAML::Key << "seg_length" << YAML::Value;
  if (c.seg_length) out << *c.seg_length; else out << YAML::Null;
  std::vector<std::string> files;
  for (const auto& f : c.pose_files) files.push_back(f.string());
  out << YAML::Key << "pose_files" << YAML::Value << YAML::BeginSeq;
  for (const auto& f : files) out << f;
  out << YAML::EndSeq;
  out << YAML::EndMap;
  fs::create_directories(project);
  core::write_text_atomically(project / kConfigFile, std::string(out.c_str()) + "\n");
}

SetupResult setup_project(const SetupOptions& o) {
  if (o.pose_files.empty()) throw ConfigError("moseq setup needs at least one pose file (--pose)");
  const fs::path config_path = o.project / kConfigFile;
  if (fs::exists(config_path) && !o.force) {
    std::vector<fs::path> asked;
    for (const auto& file : o.pose_files) asked.push_back(fs::absolute(file).lexically_normal());
    SetupResult kept;
    kept.config = load_moseq_config(o.project);
    if (kept.config.pose_files != asked || (o.fps && *o.fps != kept.config.fps)) {
      throw ConfigError(config_path.string() + " already exists for other pose files or another --fps; use --force to "
                        "replace it, or another project folder");
    }
    kept.config_path = config_path;
    kept.up_to_date = true;
    kept.fps_source = "config.yml";
    for (const auto& file : kept.config.pose_files) kept.recordings += load_pose_file(file).size();
    return kept;
  }
  SetupResult result;
  MoseqConfig& c = result.config;
  std::optional<double> file_fps;
  std::optional<fs::path> video;  // of the first recording whose video is found, for its frame rate
  fs::path first;
  for (const auto& file : o.pose_files) {
    const auto recordings = load_pose_file(file);
    for (const auto& r : recordings) {
      if (!video) video = find_recording_video(file, r.video, r.name, std::nullopt);
      if (c.bodyparts.empty()) {
        c.bodyparts = r.bodyparts;
        first = file;
      } else if (r.bodyparts != c.bodyparts) {
        throw FormatError(file.string() + " has " + std::to_string(r.bodyparts.size()) + " bodyparts, " +
                          first.string() + " has " + std::to_string(c.bodyparts.size()) + ": " +
                          bodypart_difference(first, c.bodyparts, file, r.bodyparts) +
                          "; every file of a project needs the same bodyparts");
      }
      if (r.fps && !file_fps) file_fps = r.fps;
    }
    result.recordings += recordings.size();
    for (const auto& r : recordings) result.recording_names.push_back(r.name);
    c.pose_files.push_back(fs::absolute(file).lexically_normal());
  }
  c.use_bodyparts = c.bodyparts;
  for (const auto& name : c.bodyparts) {
    if (name_has(name, {"nose", "snout", "head", "neck"})) c.anterior_bodyparts.push_back(name);
    if (name_has(name, {"tail_base", "tailbase", "tail base", "base_tail", "abdomen"})) {
      c.posterior_bodyparts.push_back(name);
    }
  }
  if (c.anterior_bodyparts.empty()) c.anterior_bodyparts = {c.bodyparts.front()};
  if (c.posterior_bodyparts.empty()) c.posterior_bodyparts = {c.bodyparts.back()};
  if (o.fps) {
    c.fps = *o.fps;
    result.fps_source = "--fps";
  } else if (file_fps) {
    c.fps = *file_fps;
    result.fps_source = "the pose files";
  } else if (const double rate = video ? video_rate(*video) : 0; rate > 0) {
    c.fps = rate;
    result.fps_source = "the video " + video->string();
  } else {
    result.fps_source = "default (30)";
    result.fps_defaulted = true;
  }
  check_moseq_config(c, config_path.string());
  write_moseq_config(o.project, c);
  result.config_path = config_path;
  return result;
}

}  // namespace ethovid::moseq
