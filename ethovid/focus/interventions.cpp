#include "ethovid/focus/interventions.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <utility>

#include "ethovid/core/error.hpp"
#include "ethovid/core/yaml_config.hpp"

extern char** environ;

namespace ethovid::focus {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string seconds_text(double s) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", s);
  return buffer;
}

std::string line_of(const YAML::Node& node) {
  const int line = node.Mark().line;
  return line >= 0 ? " (line " + std::to_string(line + 1) + ")" : "";
}

// Reads rules' keys with messages that name the file, the rule and the key.
class RuleReader {
 public:
  RuleReader(const fs::path& file, std::string where) : file_(file), where_(std::move(where)) {}

  [[noreturn]] void fail(const std::string& key, const YAML::Node& node,
                         const std::string& problem) const {
    throw ConfigError(file_.string() + ": " + where_ + " key '" + key + "' " + problem +
                      line_of(node));
  }

  std::string text(const YAML::Node& map, const std::string& key) const {
    const YAML::Node node = map[key];
    if (!node.IsScalar()) fail(key, node, "must be a string");
    return node.as<std::string>();
  }

  double seconds(const YAML::Node& map, const std::string& key) const {
    const YAML::Node node = map[key];
    double value = 0;
    try {
      if (!node.IsScalar()) throw YAML::BadConversion(node.Mark());
      value = node.as<double>();
    } catch (const YAML::Exception&) {
      fail(key, node, "must be a number of seconds, got '" + scalar(node) + "'");
    }
    if (!std::isfinite(value) || value < 0) {
      fail(key, node, "is " + scalar(node) + "; it must be a finite number of seconds >= 0");
    }
    return value;
  }

  int level(const YAML::Node& map, const std::string& key) const {
    const YAML::Node node = map[key];
    int value = 0;
    try {
      if (!node.IsScalar()) throw YAML::BadConversion(node.Mark());
      value = node.as<int>();
    } catch (const YAML::Exception&) {
      fail(key, node, "must be a whole number, got '" + scalar(node) + "'");
    }
    if (value < 1 || value > 100) fail(key, node, "is " + scalar(node) + "; it must be 1..100");
    return value;
  }

  bool flag(const YAML::Node& map, const std::string& key) const {
    const YAML::Node node = map[key];
    try {
      if (!node.IsScalar()) throw YAML::BadConversion(node.Mark());
      return node.as<bool>();
    } catch (const YAML::Exception&) {
      fail(key, node, "must be true or false, got '" + scalar(node) + "'");
    }
  }

 private:
  static std::string scalar(const YAML::Node& node) {
    return node.IsScalar() ? node.Scalar()
                           : std::string(node.IsSequence() ? "a list" : "a mapping");
  }
  const fs::path& file_;
  std::string where_;
};

InterventionRule parse_rule(const YAML::Node& map, const fs::path& file, std::size_t index) {
  const std::string where = "interventions[" + std::to_string(index) + "]";
  if (!map.IsMap()) {
    throw ConfigError(file.string() + ": " + where + " must be a mapping" + line_of(map));
  }
  core::check_known_keys(map, file, where,
                         {"name", "when", "after_s", "type", "repeat_every_s", "max_level",
                          "cooldown_s", "pause_session", "on_fire"});
  RuleReader read(file, where);
  for (const char* required : {"when", "after_s", "type"}) {
    if (!map[required]) {
      throw ConfigError(file.string() + ": " + where + " lacks the key '" + required + "'" +
                        line_of(map));
    }
  }
  InterventionRule rule;
  const std::string when = upper(read.text(map, "when"));
  if (when == "DISTRACTED") {
    rule.when = InterventionTrigger::Distracted;
  } else if (when == "AWAY") {
    rule.when = InterventionTrigger::Away;
  } else if (when == "DROWSY") {
    rule.when = InterventionTrigger::Drowsy;
  } else {
    read.fail("when", map["when"],
              "is '" + map["when"].Scalar() + "'; it must be DISTRACTED, AWAY or DROWSY");
  }
  rule.after_s = read.seconds(map, "after_s");
  rule.type = read.text(map, "type");
  if (rule.type.empty()) read.fail("type", map["type"], "must not be empty");
  rule.name = map["name"] ? read.text(map, "name") : lower(when) + "_" + rule.type;
  if (map["repeat_every_s"]) rule.repeat_every_s = read.seconds(map, "repeat_every_s");
  if (map["max_level"]) rule.max_level = read.level(map, "max_level");
  if (map["cooldown_s"]) rule.cooldown_s = read.seconds(map, "cooldown_s");
  if (map["pause_session"]) rule.pause_session = read.flag(map, "pause_session");
  if (map["on_fire"]) rule.on_fire = read.text(map, "on_fire");
  if (rule.max_level > 1 && rule.repeat_every_s <= 0) {
    read.fail("max_level", map["max_level"],
              "is " + std::to_string(rule.max_level) +
                  " but repeat_every_s is 0, so no level above 1 could ever fire");
  }
  return rule;
}

std::string reason_for(const InterventionRule& rule, double held_s, int level) {
  return trigger_name(rule.when) + " for " + seconds_text(held_s) + " s (level " +
         std::to_string(level) + " of " + std::to_string(rule.max_level) + ")";
}

bool condition(InterventionTrigger when, FocusState smooth, bool drowsy) {
  switch (when) {
    case InterventionTrigger::Distracted:
      return smooth == FocusState::Distracted;
    case InterventionTrigger::Away:
      return smooth == FocusState::Away;
    case InterventionTrigger::Drowsy:
      return drowsy;
  }
  return false;
}

}  // namespace

std::string trigger_name(InterventionTrigger trigger) {
  switch (trigger) {
    case InterventionTrigger::Distracted:
      return "DISTRACTED";
    case InterventionTrigger::Away:
      return "AWAY";
    case InterventionTrigger::Drowsy:
      return "DROWSY";
  }
  return "?";
}

InterventionConfig default_intervention_rules() {
  InterventionConfig config;
  config.source = "built-in defaults";
  InterventionRule distracted;
  distracted.name = "distracted_nudge";
  distracted.when = InterventionTrigger::Distracted;
  distracted.after_s = 10;
  distracted.type = "nudge";
  distracted.repeat_every_s = 20;
  distracted.max_level = 3;
  distracted.cooldown_s = 60;
  InterventionRule away;
  away.name = "away_pause";
  away.when = InterventionTrigger::Away;
  away.after_s = 300;
  away.type = "pause";
  away.pause_session = true;
  InterventionRule drowsy;
  drowsy.name = "drowsy_break";
  drowsy.when = InterventionTrigger::Drowsy;
  drowsy.after_s = 2;
  drowsy.type = "break";
  drowsy.repeat_every_s = 60;
  drowsy.max_level = 2;
  drowsy.cooldown_s = 300;
  config.rules = {distracted, away, drowsy};
  return config;
}

InterventionConfig load_interventions(const fs::path& file) {
  const YAML::Node root = core::load_yaml(file);
  InterventionConfig config = default_intervention_rules();
  config.source = file.string();
  if (!root || root.IsNull()) return config;
  core::check_known_keys(root, file, "interventions.yaml", {"interventions", "on_fire"});
  RuleReader top(file, "interventions.yaml");
  if (root["on_fire"]) config.on_fire = top.text(root, "on_fire");
  if (!root["interventions"]) return config;
  const YAML::Node list = root["interventions"];
  if (!list.IsSequence()) {
    throw ConfigError(file.string() + ": 'interventions' must be a list of rules" + line_of(list));
  }
  config.rules.clear();
  for (std::size_t i = 0; i < list.size(); ++i) {
    InterventionRule rule = parse_rule(list[i], file, i);
    for (const InterventionRule& other : config.rules) {
      if (other.name == rule.name) {
        throw ConfigError(file.string() + ": interventions[" + std::to_string(i) +
                          "] key 'name' '" + rule.name + "' is used by an earlier rule too" +
                          line_of(list[i]));
      }
    }
    config.rules.push_back(std::move(rule));
  }
  return config;
}

bool run_on_fire(const std::string& command, const FiredIntervention& fired,
                 const std::function<void(const std::string&)>& log) {
  // Everything the child needs is built before fork: after fork in a threaded program only
  // async-signal-safe calls are allowed, so no allocation happens there.
  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, "ETHOVID_INTERVENTION_", 21) != 0) env_strings.emplace_back(*e);
  }
  env_strings.push_back("ETHOVID_INTERVENTION_TYPE=" + fired.type);
  env_strings.push_back("ETHOVID_INTERVENTION_REASON=" + fired.reason);
  env_strings.push_back("ETHOVID_INTERVENTION_LEVEL=" + std::to_string(fired.level));
  env_strings.push_back("ETHOVID_INTERVENTION_KIND=" + fired.kind);
  env_strings.push_back("ETHOVID_INTERVENTION_RULE=" + fired.rule);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};

  // The grandchild reports a failed exec through this pipe; a successful exec closes it.
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    log("could not start the on_fire command '" + command + "': pipe: " + std::strerror(errno));
    return false;
  }
  const pid_t child = ::fork();
  if (child < 0) {
    const int error = errno;
    ::close(report[0]);
    ::close(report[1]);
    log("could not start the on_fire command '" + command + "': fork: " + std::strerror(error));
    return false;
  }
  if (child == 0) {
    ::close(report[0]);
    ::setsid();  // its own session: a Ctrl-C meant for ethovid does not reach the command
    const pid_t grandchild = ::fork();
    if (grandchild < 0) {
      const int error = errno;
      (void)!::write(report[1], &error, sizeof error);
      ::_exit(1);
    }
    if (grandchild > 0) ::_exit(0);  // reaped at once by the caller; init adopts the grandchild
    // Descriptors of the caller (its server socket, its log files) stay with the caller.
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
      ::dup2(null_fd, 0);
      if (null_fd > 2) ::close(null_fd);
    }
    const long max_fd = ::sysconf(_SC_OPEN_MAX);
    for (int fd = 3; fd < (max_fd > 0 && max_fd < 4096 ? max_fd : 4096); ++fd) {
      if (fd != report[1]) ::close(fd);
    }
    ::execve("/bin/sh", const_cast<char* const*>(argv), envp.data());
    const int error = errno;
    (void)!::write(report[1], &error, sizeof error);
    ::_exit(127);
  }
  ::close(report[1]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  // Returns at the grandchild's exec (the pipe closes) or with its errno; exec is quick.
  int error = 0;
  ssize_t got;
  do {
    got = ::read(report[0], &error, sizeof error);
  } while (got < 0 && errno == EINTR);
  ::close(report[0]);
  if (got == static_cast<ssize_t>(sizeof error)) {
    log("could not start the on_fire command '" + command +
        "' with /bin/sh: " + std::strerror(error));
    return false;
  }
  return true;
}

// ---- InterventionEngine

InterventionEngine::InterventionEngine(InterventionConfig config,
                                       std::function<void(const std::string&)> log)
    : config_(std::move(config)), log_(std::move(log)) {
  if (!log_) log_ = [](const std::string& line) { std::cerr << "warning: " << line << "\n"; };
  holds_.resize(config_.rules.size());
}

void InterventionEngine::fire(FiredIntervention& fired, const InterventionRule* rule) {
  ++fired_;
  std::string command = rule && !rule->on_fire.empty() ? rule->on_fire : config_.on_fire;
  if (!rule && command.empty()) {
    for (const InterventionRule& r : config_.rules) {
      if (!r.on_fire.empty()) {
        command = r.on_fire;
        break;
      }
    }
  }
  if (!command.empty()) run_on_fire(command, fired, log_);
}

std::vector<FiredIntervention> InterventionEngine::update(double t_s, FocusState smooth,
                                                          bool drowsy, bool counting) {
  std::vector<FiredIntervention> fired;
  if (!std::isfinite(t_s)) return fired;
  if (last_t_ && t_s < *last_t_) {
    for (Hold& hold : holds_) hold = Hold{};
  }
  last_t_ = t_s;
  for (std::size_t i = 0; i < config_.rules.size(); ++i) {
    const InterventionRule& rule = config_.rules[i];
    Hold& hold = holds_[i];
    if (!counting || !condition(rule.when, smooth, drowsy)) {
      hold.since.reset();
      hold.level = 0;
      continue;
    }
    if (!hold.since) hold.since = t_s;
    if (hold.level >= rule.max_level) continue;
    const double held = t_s - *hold.since;
    // Level k is due after after_s + (k - 1) * repeat_every_s of holding.
    const double due = rule.after_s + hold.level * rule.repeat_every_s;
    if (held < due) continue;
    // The cool-down holds back a new hold's first level; escalation inside a hold is its own
    // pacing (repeat_every_s).
    if (hold.level == 0 && hold.last_fire && t_s - *hold.last_fire < rule.cooldown_s) continue;
    ++hold.level;
    hold.last_fire = t_s;
    FiredIntervention f;
    f.type = rule.type;
    f.kind = "rule";
    f.reason = reason_for(rule, held, hold.level);
    f.level = hold.level;
    f.rule = rule.name;
    f.pause_session = rule.pause_session;
    f.at_s = t_s;
    fire(f, &rule);
    fired.push_back(std::move(f));
  }
  return fired;
}

FiredIntervention InterventionEngine::test(double t_s) {
  FiredIntervention f;
  f.type = "nudge";
  f.kind = "test";
  f.reason = "test intervention (POST /intervention/test)";
  f.level = 1;
  f.rule = "test";
  f.at_s = t_s;
  fire(f, nullptr);
  return f;
}

}  // namespace ethovid::focus
