#include "ethovid/focus/mlflow_tracking.hpp"

#include <pwd.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <optional>
#include <random>
#include <regex>
#include <sstream>

#include <httplib.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "ethovid/core/atomic_file.hpp"
#include "ethovid/core/percent_encode.hpp"

namespace ethovid::focus {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::int64_t millis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// getpass.getuser()'s order, which MLflow's client uses for mlflow.user and user_id.
std::string current_user() {
  for (const char* name : {"LOGNAME", "USER", "LNAME", "USERNAME"}) {
    const std::string v = env(name);
    if (!v.empty()) return v;
  }
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_name) return pw->pw_name;
  return "unknown";
}

std::string random_hex(int digits) {
  std::random_device device;
  std::mt19937_64 random((static_cast<std::uint64_t>(device()) << 32) ^ device());
  std::uniform_int_distribution<int> hex(0, 15);
  std::string out;
  for (int i = 0; i < digits; ++i) out += "0123456789abcdef"[hex(random)];
  return out;
}

// MLflow's _generate_unique_integer_id: 18 decimal digits, no leading zero.
std::string new_experiment_id() {
  std::random_device device;
  std::mt19937_64 random((static_cast<std::uint64_t>(device()) << 32) ^ device());
  std::uniform_int_distribution<int> digit(0, 9), first(1, 9);
  std::string out(1, static_cast<char>('0' + first(random)));
  for (int i = 1; i < 18; ++i) out += static_cast<char>('0' + digit(random));
  return out;
}

std::string default_run_name(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &utc);
  return std::string("focus-train-") + buf;
}

// MLflow accepts keys of alphanumerics, '_', '-', '.', ' ' and '/'; in the file store a '/'
// is a sub-folder, so '..' or a leading '/' would leave the run folder.
void check_key(const std::string& what, const std::string& key) {
  static const std::regex allowed(R"([A-Za-z0-9_\-. /]+)");
  if (!std::regex_match(key, allowed) || key.front() == '/' ||
      key.find("..") != std::string::npos) {
    throw TrackingError("MLflow " + what + " key '" + key +
                        "' is not allowed (letters, digits, '_', '-', '.', ' ', '/'; no '..')");
  }
}

// The run's tags as MLflow's client sets them, then the caller's.
std::map<std::string, std::string> run_tags(const MlflowRun& run, const std::string& name,
                                            const std::string& user) {
  std::map<std::string, std::string> tags = run.tags;
  tags["mlflow.runName"] = name;
  tags["mlflow.user"] = user;
  tags["mlflow.source.type"] = "LOCAL";
  if (!run.source_name.empty()) tags["mlflow.source.name"] = run.source_name;
  return tags;
}

std::vector<std::pair<std::string, double>> finite_metrics(const MlflowRun& run,
                                                           std::vector<std::string>& notes) {
  std::vector<std::pair<std::string, double>> out;
  std::string skipped;
  for (const auto& [key, value] : run.metrics) {
    if (std::isfinite(value)) {
      out.emplace_back(key, value);
    } else {
      skipped += (skipped.empty() ? "" : ", ") + key;
    }
  }
  if (!skipped.empty()) notes.push_back("metrics not logged (not finite): " + skipped);
  return out;
}

void write_file(const fs::path& path, const std::string& contents) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  if (!out) throw TrackingError("could not write " + path.string());
}

// ---- file store ----

struct Experiment {
  std::string id, artifact_location;
};

std::string file_uri(const fs::path& absolute) {
  // MLflow's path_to_local_file_uri: file:// + the absolute path, percent-encoding what a URI
  // cannot hold.
  return "file://" + core::percent_encode(absolute.string(), "/:@!$&'()*+,;=");
}

std::string experiment_meta(const std::string& id, const std::string& name,
                            const std::string& artifact_location, std::int64_t now) {
  return "artifact_location: " + yaml_string(artifact_location) + "\n" +
         "creation_time: " + std::to_string(now) + "\n" + "experiment_id: " + yaml_string(id) +
         "\n" + "last_update_time: " + std::to_string(now) + "\n" + "lifecycle_stage: active\n" +
         "name: " + yaml_string(name) + "\n";
}

std::optional<YAML::Node> read_meta(const fs::path& dir) {
  const fs::path meta = dir / "meta.yaml";
  if (!fs::is_regular_file(meta)) return std::nullopt;
  try {
    YAML::Node node = YAML::LoadFile(meta.string());
    if (!node.IsMap()) return std::nullopt;
    return node;
  } catch (const YAML::Exception&) {
    return std::nullopt;  // MLflow skips a malformed experiment too
  }
}

// A scalar field of a meta.yaml, or `fallback` when absent or not a scalar (a malformed
// experiment is skipped, as MLflow skips it).
std::string field(const YAML::Node& meta, const char* key, const std::string& fallback) {
  const YAML::Node node = meta[key];
  if (!node || !node.IsScalar()) return fallback;
  return node.Scalar();
}

// The active experiment of that name; TrackingError when it exists only in .trash.
std::optional<Experiment> find_experiment(const fs::path& root, const std::string& name) {
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string dir = entry.path().filename().string();
    if (!entry.is_directory() || dir == ".trash" || dir == "models") continue;
    const auto meta = read_meta(entry.path());
    if (!meta || field(*meta, "name", "") != name) continue;
    if (field(*meta, "lifecycle_stage", "active") != "active") continue;
    Experiment e;
    e.id = field(*meta, "experiment_id", dir);
    // A meta.yaml without it (hand-made, or malformed): the experiment's own folder.
    e.artifact_location = field(*meta, "artifact_location", file_uri(root / e.id));
    return e;
  }
  const fs::path trash = root / ".trash";
  if (fs::is_directory(trash)) {
    for (const auto& entry : fs::directory_iterator(trash)) {
      const auto meta = read_meta(entry.path());
      if (meta && field(*meta, "name", "") == name) {
        throw TrackingError("MLflow experiment '" + name + "' exists only as deleted, in " +
                            entry.path().string() + ": restore it (mlflow experiments restore " +
                            "--experiment-id " + entry.path().filename().string() +
                            ") or remove that folder");
      }
    }
  }
  return std::nullopt;
}

// A file: URI's local path, or nullopt for any other scheme (s3:, mlflow-artifacts:, ...).
std::optional<fs::path> local_path_of(const std::string& uri) {
  if (uri.rfind("file:", 0) != 0) {
    if (uri.find("://") == std::string::npos && uri.find(':') == std::string::npos)
      return fs::path(uri);
    return std::nullopt;
  }
  std::string rest = uri.substr(5);
  if (rest.rfind("//", 0) == 0) {
    rest = rest.substr(2);
    const auto slash = rest.find('/');
    rest = slash == std::string::npos ? "/" : rest.substr(slash);  // drops "localhost"
  }
  std::string decoded;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '%' && i + 2 < rest.size() && std::isxdigit(rest[i + 1]) &&
        std::isxdigit(rest[i + 2])) {
      decoded += static_cast<char>(std::stoi(rest.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      decoded += rest[i];
    }
  }
  return fs::path(decoded);
}

// ---- REST ----

struct Endpoint {
  std::string scheme_host_port;  // for httplib::Client
  std::string prefix;            // path before /api, without a trailing '/'
};

Endpoint parse_base_url(const std::string& url) {
  static const std::regex form(R"(^(https?)://([^/?#]+)(/[^?#]*)?$)");
  std::smatch m;
  if (!std::regex_match(url, m, form)) {
    throw TrackingError("MLFLOW_TRACKING_URI '" + url + "' is not http(s)://host[:port][/path]");
  }
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
  // Debian's cpp-httplib is built with OpenSSL; a build against one without it cannot speak TLS.
  if (m[1].str() == "https") {
    throw TrackingError(
        "MLFLOW_TRACKING_URI '" + url +
        "' needs TLS, and this ethovid was built with a "
        "cpp-httplib without OpenSSL; use http:// (e.g. through an SSH tunnel) or rebuild");
  }
#endif
  Endpoint e;
  e.scheme_host_port = m[1].str() + "://" + m[2].str();
  e.prefix = m[3].str();
  while (!e.prefix.empty() && e.prefix.back() == '/') e.prefix.pop_back();
  return e;
}

class RestClient {
 public:
  explicit RestClient(const std::string& base_url)
      : base_(base_url), endpoint_(parse_base_url(base_url)), client_(endpoint_.scheme_host_port) {
    client_.set_connection_timeout(10, 0);
    client_.set_read_timeout(60, 0);
    client_.set_write_timeout(60, 0);
    if (const std::string token = env("MLFLOW_TRACKING_TOKEN"); !token.empty()) {
      client_.set_bearer_token_auth(token.c_str());
    } else if (const std::string user = env("MLFLOW_TRACKING_USERNAME"); !user.empty()) {
      client_.set_basic_auth(user.c_str(), env("MLFLOW_TRACKING_PASSWORD").c_str());
    }
    const std::string insecure = env("MLFLOW_TRACKING_INSECURE_TLS");
    if (insecure == "true" || insecure == "True" || insecure == "1") {
      client_.enable_server_certificate_verification(false);
    }
  }

  // The reply's JSON for 200; nullopt for 404 when `allow_404`; TrackingError otherwise.
  std::optional<json> call(const std::string& method, const std::string& path, const json& body,
                           bool allow_404 = false) {
    const std::string target = endpoint_.prefix + path;
    httplib::Result res = method == "GET"
                              ? client_.Get(target.c_str())
                              : client_.Post(target.c_str(), body.dump(), "application/json");
    return check(method, target, res, allow_404);
  }

  void put_file(const std::string& target_path, const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw TrackingError("could not read artifact " + file.string());
    std::ostringstream data;
    data << in.rdbuf();
    const std::string target = endpoint_.prefix + target_path;
    httplib::Result res = client_.Put(target.c_str(), data.str(), "application/octet-stream");
    check("PUT", target, res, false);
  }

 private:
  std::optional<json> check(const std::string& method, const std::string& target,
                            httplib::Result& res, bool allow_404) {
    if (!res) {
      throw TrackingError("MLflow server " + base_ + " could not be reached (" + method + " " +
                          target + "): " + httplib::to_string(res.error()));
    }
    if (res->status == 404 && allow_404) return std::nullopt;
    if (res->status != 200) {
      std::string body = res->body.substr(0, 300);
      for (char& c : body) c = c == '\n' ? ' ' : c;
      throw TrackingError("MLflow server " + base_ + ": " + method + " " + target + " answered " +
                          std::to_string(res->status) + (body.empty() ? "" : ": " + body));
    }
    if (res->body.empty()) return json::object();
    try {
      return json::parse(res->body);
    } catch (const json::parse_error&) {
      throw TrackingError("MLflow server " + base_ + ": " + method + " " + target +
                          " answered 200 with a body that is not JSON");
    }
  }

  std::string base_;
  Endpoint endpoint_;
  httplib::Client client_;
};

json key_values(const std::vector<std::pair<std::string, std::string>>& items, std::size_t from,
                std::size_t count) {
  json out = json::array();
  for (std::size_t i = from; i < from + count && i < items.size(); ++i) {
    out.push_back({{"key", items[i].first}, {"value", items[i].second}});
  }
  return out;
}

}  // namespace

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  // Shortest round-trip digits in scientific form: d[.ddd]e[+-]x.
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string s(buf, result.ptr);
  std::string sign;
  if (s[0] == '-') {
    sign = "-";
    s = s.substr(1);
  }
  const auto e_pos = s.find('e');
  std::string mantissa = s.substr(0, e_pos);
  const int exponent = std::stoi(s.substr(e_pos + 1));
  std::string digits;
  for (const char c : mantissa) {
    if (c != '.') digits += c;
  }
  // repr switches to exponent notation outside 1e-4 <= |x| < 1e16.
  if (exponent >= -4 && exponent < 16) {
    std::string out;
    if (exponent < 0) {
      out = "0." + std::string(-exponent - 1, '0') + digits;
    } else if (static_cast<int>(digits.size()) <= exponent + 1) {
      out = digits + std::string(exponent + 1 - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, exponent + 1) + "." + digits.substr(exponent + 1);
    }
    return sign + out;
  }
  std::string exp = std::to_string(std::abs(exponent));
  if (exp.size() < 2) exp = "0" + exp;
  return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + exp;
}

std::string yaml_string(const std::string& value) {
  const auto single_quoted = [&] {
    std::string out = "'";
    for (const char c : value) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
  };
  if (value.empty()) return "''";
  for (const unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      // Control characters need the double-quoted style's escapes.
      std::string out = "\"";
      for (const unsigned char d : value) {
        if (d == '"' || d == '\\') {
          out += '\\';
          out += static_cast<char>(d);
        } else if (d < 0x20 || d == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02X", d);
          out += buf;
        } else {
          out += static_cast<char>(d);
        }
      }
      return out + "\"";
    }
  }
  // What PyYAML's resolver would read as another type (YAML 1.1: bool, null, int, float,
  // timestamp, merge, value).
  static const std::regex non_string(
      R"(^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|)"
      R"(~|null|Null|NULL|<<|=|)"
      R"([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|)"
      R"([-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+|)"
      R"([-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|)"
      R"([-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|)"
      R"([0-9]{4}-[0-9]{2}-[0-9]{2}|)"
      R"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?)"
      R"((?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$)");
  if (std::regex_match(value, non_string)) return single_quoted();
  // Indicators PyYAML's emitter will not start a plain scalar with, or allow inside one.
  const char first = value.front();
  if (std::string_view("#,[]{}&*!|>'\"%@`").find(first) != std::string_view::npos)
    return single_quoted();
  if ((first == '-' || first == '?' || first == ':') && (value.size() == 1 || value[1] == ' ')) {
    return single_quoted();
  }
  if (value.rfind("---", 0) == 0 || value.rfind("...", 0) == 0) return single_quoted();
  if (value.front() == ' ' || value.back() == ' ' || value.back() == ':') return single_quoted();
  if (value.find(": ") != std::string::npos || value.find(" #") != std::string::npos)
    return single_quoted();
  return value;
}

fs::path file_store_root(const std::string& tracking_uri, const fs::path& cwd) {
  if (tracking_uri.empty()) return cwd / "mlruns";
  if (tracking_uri.rfind("file:", 0) == 0) {
    const std::string rest = tracking_uri.substr(5);
    if (rest.rfind("//", 0) != 0)
      return rest.empty() ? cwd / "mlruns"
                          : (fs::path(rest).is_absolute() ? fs::path(rest) : cwd / rest);
    const auto path = local_path_of(tracking_uri);
    return *path;
  }
  const fs::path p(tracking_uri);
  return p.is_absolute() ? p : cwd / p;
}

MlflowResult log_mlflow_run(const MlflowRun& run, const std::string& tracking_uri,
                            const fs::path& cwd) {
  if (tracking_uri.rfind("http://", 0) == 0 || tracking_uri.rfind("https://", 0) == 0) {
    return log_to_rest(run, tracking_uri);
  }
  if (tracking_uri.find("://") != std::string::npos && tracking_uri.rfind("file:", 0) != 0) {
    throw TrackingError("MLFLOW_TRACKING_URI '" + tracking_uri +
                        "' is neither http(s):// (a tracking server) nor a file store (a path or "
                        "file: URI); for a database store, run `mlflow server` on it and point the "
                        "URI at the server");
  }
  return log_to_file_store(run, file_store_root(tracking_uri, cwd));
}

MlflowResult log_to_file_store(const MlflowRun& run, const fs::path& root_in) {
  const fs::path root = fs::absolute(root_in).lexically_normal();
  MlflowResult result;
  result.location = root.string();
  const std::string user = run.user.empty() ? current_user() : run.user;
  const std::string name = run.run_name.empty() ? default_run_name(run.start_time) : run.run_name;
  const auto tags = run_tags(run, name, user);
  for (const auto& [k, v] : run.params) check_key("param", k);
  for (const auto& [k, v] : run.metrics) check_key("metric", k);
  for (const auto& [k, v] : tags) check_key("tag", k);
  const auto metrics = finite_metrics(run, result.notes);
  try {
    // A new store gets the Default experiment, as MLflow's FileStore makes it.
    if (!fs::exists(root)) {
      fs::create_directories(root / "0");
      core::write_text_atomically(
          root / "0" / "meta.yaml",
          experiment_meta("0", "Default", file_uri(root / "0"), millis(run.start_time)));
    } else if (!fs::is_directory(root)) {
      throw TrackingError("the MLflow file store " + root.string() + " is not a folder");
    }
    fs::create_directories(root / ".trash");

    std::optional<Experiment> experiment = find_experiment(root, run.experiment_name);
    if (!experiment) {
      Experiment e;
      do {
        e.id = new_experiment_id();
      } while (fs::exists(root / e.id));
      e.artifact_location = file_uri(root / e.id);
      fs::create_directories(root / e.id);
      core::write_text_atomically(root / e.id / "meta.yaml",
                                  experiment_meta(e.id, run.experiment_name, e.artifact_location,
                                                  millis(std::chrono::system_clock::now())));
      experiment = e;
    }
    result.experiment_id = experiment->id;
    const fs::path experiment_dir = root / experiment->id;
    if (!fs::is_directory(experiment_dir)) {
      throw TrackingError("MLflow experiment '" + run.experiment_name + "' has id " +
                          experiment->id + " but " + experiment_dir.string() +
                          " is not its folder");
    }

    std::string run_id;
    do {
      run_id = random_hex(32);
    } while (fs::exists(experiment_dir / run_id));
    result.run_id = run_id;
    result.run_dir = experiment_dir / run_id;
    result.artifact_uri = experiment->artifact_location + "/" + run_id + "/artifacts";

    const fs::path staging = experiment_dir / (".tmp-" + run_id);
    try {
      fs::create_directories(staging / "metrics");
      fs::create_directories(staging / "params");
      fs::create_directories(staging / "artifacts");
      fs::create_directories(staging / "tags");
      for (const auto& [k, v] : run.params) write_file(staging / "params" / k, v);
      const std::string ts = std::to_string(millis(run.end_time));
      for (const auto& [k, v] : metrics)
        write_file(staging / "metrics" / k, ts + " " + python_float_repr(v) + " 0\n");
      for (const auto& [k, v] : tags) write_file(staging / "tags" / k, v);
      // Artifacts go where the experiment's artifact_location says (normally this run folder).
      const auto artifact_root = local_path_of(experiment->artifact_location);
      const bool in_run = artifact_root && fs::weakly_canonical(*artifact_root) ==
                                               fs::weakly_canonical(experiment_dir);
      if (!run.artifacts.empty()) {
        if (!artifact_root) {
          result.notes.push_back("artifacts not copied: the experiment's artifact_location " +
                                 experiment->artifact_location + " is not a local folder");
        } else {
          const fs::path target =
              in_run ? staging / "artifacts" : *artifact_root / run_id / "artifacts";
          fs::create_directories(target);
          for (const fs::path& file : run.artifacts) {
            fs::copy_file(file, target / file.filename(), fs::copy_options::overwrite_existing);
          }
        }
      }
      const std::string meta =
          "artifact_uri: " + yaml_string(result.artifact_uri) + "\n" +
          "end_time: " + std::to_string(millis(run.end_time)) + "\n" + "entry_point_name: ''\n" +
          "experiment_id: " + yaml_string(experiment->id) + "\n" + "lifecycle_stage: active\n" +
          "run_id: " + yaml_string(run_id) + "\n" + "run_name: " + yaml_string(name) + "\n" +
          "run_uuid: " + yaml_string(run_id) + "\n" + "source_name: ''\n" + "source_type: 4\n" +
          "source_version: ''\n" + "start_time: " + std::to_string(millis(run.start_time)) + "\n" +
          "status: 3\n" + "tags: []\n" + "user_id: " + yaml_string(user) + "\n";
      write_file(staging / "meta.yaml", meta);
      fs::rename(staging, result.run_dir);
    } catch (...) {
      std::error_code ignored;
      fs::remove_all(staging, ignored);
      throw;
    }
  } catch (const fs::filesystem_error& e) {
    throw TrackingError("could not write the MLflow file store " + root.string() + ": " + e.what());
  }
  return result;
}

MlflowResult log_to_rest(const MlflowRun& run, const std::string& base_url) {
  MlflowResult result;
  result.rest = true;
  result.location = base_url;
  const std::string user = run.user.empty() ? current_user() : run.user;
  const std::string name = run.run_name.empty() ? default_run_name(run.start_time) : run.run_name;
  const auto tags = run_tags(run, name, user);
  const auto metrics = finite_metrics(run, result.notes);
  RestClient client(base_url);

  const std::string api = "/api/2.0/mlflow/";
  const auto found = client.call(
      "GET",
      api + "experiments/get-by-name?experiment_name=" + core::percent_encode(run.experiment_name),
      nullptr, true);
  if (found && found->contains("experiment")) {
    const json& e = (*found)["experiment"];
    if (e.value("lifecycle_stage", "active") != "active") {
      throw TrackingError("MLflow experiment '" + run.experiment_name + "' on " + base_url +
                          " is deleted: restore it or choose another name (--experiment)");
    }
    result.experiment_id = e.at("experiment_id").get<std::string>();
  } else {
    const auto created =
        client.call("POST", api + "experiments/create", {{"name", run.experiment_name}});
    result.experiment_id = created->at("experiment_id").get<std::string>();
  }

  json tag_list = json::array();
  for (const auto& [k, v] : tags) tag_list.push_back({{"key", k}, {"value", v}});
  const auto created = client.call("POST", api + "runs/create",
                                   {{"experiment_id", result.experiment_id},
                                    {"user_id", user},
                                    {"run_name", name},
                                    {"start_time", millis(run.start_time)},
                                    {"tags", tag_list}});
  const json& info = created->at("run").at("info");
  result.run_id = info.at("run_id").get<std::string>();
  result.artifact_uri = info.value("artifact_uri", "");

  try {
    // runs/log-batch limits: 1000 metrics, 100 params, 100 tags, 1000 entries in all.
    const std::vector<std::pair<std::string, std::string>> params(run.params.begin(),
                                                                  run.params.end());
    const std::int64_t ts = millis(run.end_time);
    for (std::size_t p = 0, m = 0; p < params.size() || m < metrics.size();) {
      const std::size_t np = std::min<std::size_t>(100, params.size() - p);
      const std::size_t nm = std::min<std::size_t>(1000 - np, metrics.size() - m);
      json metric_list = json::array();
      for (std::size_t i = m; i < m + nm; ++i) {
        metric_list.push_back({{"key", metrics[i].first},
                               {"value", metrics[i].second},
                               {"timestamp", ts},
                               {"step", 0}});
      }
      client.call("POST", api + "runs/log-batch",
                  {{"run_id", result.run_id},
                   {"metrics", metric_list},
                   {"params", key_values(params, p, np)},
                   {"tags", json::array()}});
      p += np;
      m += nm;
    }

    // Artifacts through the server's proxy: mlflow-artifacts:/<path> or
    // mlflow-artifacts://<host>/<path> -> /api/2.0/mlflow-artifacts/artifacts/<path>.
    if (!run.artifacts.empty()) {
      const std::string scheme = "mlflow-artifacts:";
      if (result.artifact_uri.rfind(scheme, 0) == 0) {
        std::string path = result.artifact_uri.substr(scheme.size());
        if (path.rfind("//", 0) == 0) {
          const auto slash = path.find('/', 2);
          path = slash == std::string::npos ? "" : path.substr(slash);
        }
        while (!path.empty() && path.front() == '/') path.erase(0, 1);
        while (!path.empty() && path.back() == '/') path.pop_back();
        for (const fs::path& file : run.artifacts) {
          client.put_file("/api/2.0/mlflow-artifacts/artifacts/" + core::percent_encode(path, "/") +
                              "/" + core::percent_encode(file.filename().string()),
                          file);
        }
      } else {
        result.notes.push_back(
            "artifacts not uploaded: the run's artifact_uri " + result.artifact_uri +
            " is not served by the tracking server (start it with --serve-artifacts)");
      }
    }
  } catch (...) {
    // Leave the run marked FAILED rather than RUNNING forever; the first error is the one to
    // report.
    try {
      client.call("POST", api + "runs/update",
                  {{"run_id", result.run_id},
                   {"run_uuid", result.run_id},
                   {"status", "FAILED"},
                   {"end_time", millis(std::chrono::system_clock::now())}});
    } catch (const std::exception&) {
    }
    throw;
  }
  client.call("POST", api + "runs/update",
              {{"run_id", result.run_id},
               {"run_uuid", result.run_id},
               {"status", "FINISHED"},
               {"end_time", millis(run.end_time)}});
  return result;
}

}  // namespace ethovid::focus
