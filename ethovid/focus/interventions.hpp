#pragma once
// Interventions (issue 12 §2): a state held for a while on the session clock fires an
// intervention of the rule's type ("nudge", "pause", "break", ...), escalating to level 2, 3, ...
// while the state is still held, each with a one-line reason for the person, e.g.
//   "DISTRACTED for 10.4 s (level 2 of 3)".
// Rules come from interventions.yaml:
//   on_fire: notify-send ethovid "$ETHOVID_INTERVENTION_REASON"   # optional: default command
//   interventions:
//     - name: distracted_nudge     # unique; defaults to "<when>_<type>" in lower case
//       when: DISTRACTED           # DISTRACTED | AWAY (smoothed state) | DROWSY (the drowsy flag)
//       after_s: 10                # held this long -> level 1 (>= 0)
//       type: nudge                # what the UI / command does
//       repeat_every_s: 20         # then one level more every this many seconds (0 = never)
//       max_level: 3               # the highest level (>= 1)
//       cooldown_s: 60             # after a firing, level 1 waits at least this long
//       pause_session: false       # the loop pauses the session when this fires
//       on_fire: "..."             # optional shell command; overrides the top-level one
// Without a file the built-in defaults apply (default_intervention_rules()).
// Commands run through /bin/sh -c, detached (never blocking the loop, never left as zombies),
// with ETHOVID_INTERVENTION_TYPE, _REASON, _LEVEL, _KIND and _RULE in their environment; a
// command that cannot start is logged, never fatal.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ethovid/focus/event_record.hpp"
#include "ethovid/focus/state_smoothing.hpp"

namespace ethovid::focus {

enum class InterventionTrigger { Distracted, Away, Drowsy };
std::string trigger_name(InterventionTrigger trigger);  // "DISTRACTED", "AWAY", "DROWSY"

struct InterventionRule {
  std::string name;
  InterventionTrigger when = InterventionTrigger::Distracted;
  double after_s = 10;
  std::string type = "nudge";
  double repeat_every_s = 0;
  int max_level = 1;
  double cooldown_s = 0;
  bool pause_session = false;
  std::string on_fire;  // empty = the config's default command, if any
};

struct InterventionConfig {
  std::vector<InterventionRule> rules;
  std::string on_fire;  // default command for rules without one, and for test()
  std::string source;   // the file read, or "built-in defaults" (for messages and provenance)
};

// distracted 10 s -> nudge (every 20 s up to level 3, cooldown 60 s); away 300 s -> pause with
// pause_session; drowsy held 2 s -> break (again after 60 s at level 2, cooldown 300 s).
InterventionConfig default_intervention_rules();

// Reads interventions.yaml. ConfigError naming the file, the rule and the key for unknown keys,
// wrong types and bad values (negative times, max_level < 1, an unknown `when`, duplicate
// names). A file with no `interventions` key keeps the built-in rules (and may set on_fire).
InterventionConfig load_interventions(const std::filesystem::path& file);

// One intervention fired: the event log's and UI's fields (slices to Intervention), plus what
// the loop acts on.
struct FiredIntervention : Intervention {
  std::string rule;            // the rule's name ("test" for test())
  bool pause_session = false;  // the loop pauses the session
  double at_s = 0;             // session clock
};

// Runs `command` with /bin/sh -c, detached (double fork: the caller waits only for the
// intermediate child, which exits at once, so no zombie remains), with the intervention's
// ETHOVID_INTERVENTION_* variables added to the environment. Returns false, after calling
// `log`, when it could not start (fork or exec failed); never throws.
bool run_on_fire(const std::string& command, const FiredIntervention& fired,
                 const std::function<void(const std::string&)>& log);

class InterventionEngine {
 public:
  // `log` receives one line per command that could not start; empty = stderr.
  explicit InterventionEngine(InterventionConfig config,
                              std::function<void(const std::string&)> log = {});

  // One frame at session time t_s (seconds, the session clock; never frame counts) with the
  // smoothed state and drowsy flag. `counting` is false while the session is PAUSED or STOPPED:
  // nothing fires and every hold restarts. A hold also restarts when its state ends, and all
  // holds and cooldowns restart when the clock goes backwards (a new run's clock). Returns the
  // interventions fired at this frame (usually none) and starts their on_fire commands.
  std::vector<FiredIntervention> update(double t_s, FocusState smooth, bool drowsy, bool counting);

  // The intervention POST /intervention/test fires: kind "test", type "nudge", level 1; runs the
  // default on_fire command (the first rule's when none is set).
  FiredIntervention test(double t_s);

  const InterventionConfig& config() const { return config_; }
  int fired_count() const { return fired_; }

 private:
  struct Hold {
    std::optional<double> since;  // when the rule's condition began to hold
    int level = 0;                // levels fired in this hold
    std::optional<double> last_fire;
  };
  void fire(FiredIntervention& fired, const InterventionRule* rule);

  InterventionConfig config_;
  std::function<void(const std::string&)> log_;
  std::vector<Hold> holds_;
  std::optional<double> last_t_;
  int fired_ = 0;
};

}  // namespace ethovid::focus
