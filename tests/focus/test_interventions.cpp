// Interventions (interventions.hpp) on generated session-clock timestamps: a held state fires
// after after_s, escalates every repeat_every_s up to max_level, a cool-down holds back the
// next hold, a state change or a pause restarts the timer, drowsy fires on its own flag; the
// YAML is checked key by key; on_fire runs a real shell command, detached.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <thread>

#include "ethovid/core/error.hpp"
#include "ethovid/focus/interventions.hpp"
#include "test_support.hpp"

namespace ethovid::focus {
namespace {

namespace fs = std::filesystem;
using test::ScratchDir;

InterventionRule distracted_rule() {
  InterventionRule rule;
  rule.name = "nudge_me";
  rule.when = InterventionTrigger::Distracted;
  rule.after_s = 10;
  rule.type = "nudge";
  rule.repeat_every_s = 5;
  rule.max_level = 3;
  rule.cooldown_s = 30;
  return rule;
}

InterventionConfig config_of(std::vector<InterventionRule> rules) {
  InterventionConfig config;
  config.rules = std::move(rules);
  return config;
}

struct Firing {
  double t;
  FiredIntervention fired;
};

// Feeds frames every `dt` seconds over [t0, t1) with the state given by `state_at`.
template <typename StateAt>
std::vector<Firing> drive(InterventionEngine& engine, double t0, double t1, double dt,
                          StateAt state_at, bool drowsy = false, bool counting = true) {
  std::vector<Firing> out;
  for (int i = 0;; ++i) {
    const double t = t0 + i * dt;
    if (t >= t1) break;
    for (FiredIntervention& f : engine.update(t, state_at(t), drowsy, counting)) {
      out.push_back({t, std::move(f)});
    }
  }
  return out;
}

TEST(Interventions, FiresAfterTheHoldAndEscalatesUpToMaxLevel) {
  // Two frame rates (and an irregular one) give the same firing times to within a frame.
  for (const double dt : {1.0 / 30, 1.0 / 7, 0.37}) {
    SCOPED_TRACE(dt);
    InterventionEngine engine(config_of({distracted_rule()}));
    const auto fired = drive(engine, 0, 60, dt, [](double t) {
      return t >= 2 ? FocusState::Distracted : FocusState::Focused;
    });
    ASSERT_EQ(fired.size(), 3u);
    // The hold begins at the first frame at or after 2 s.
    const double start = std::ceil(2 / dt - 1e-9) * dt;
    for (int k = 0; k < 3; ++k) {
      const double due = start + 10 + 5 * k;
      EXPECT_GE(fired[k].t, due - 1e-9);
      EXPECT_LT(fired[k].t, due + dt + 1e-9);
      EXPECT_EQ(fired[k].fired.level, k + 1);
      EXPECT_EQ(fired[k].fired.type, "nudge");
      EXPECT_EQ(fired[k].fired.kind, "rule");
      EXPECT_EQ(fired[k].fired.rule, "nudge_me");
      EXPECT_DOUBLE_EQ(fired[k].fired.at_s, fired[k].t);
      EXPECT_FALSE(fired[k].fired.pause_session);
    }
    EXPECT_EQ(engine.fired_count(), 3);
  }
}

TEST(Interventions, ReasonNamesStateHeldTimeAndLevel) {
  InterventionEngine engine(config_of({distracted_rule()}));
  EXPECT_TRUE(engine.update(0.0, FocusState::Distracted, false, true).empty());
  EXPECT_TRUE(engine.update(9.9, FocusState::Distracted, false, true).empty());
  auto first = engine.update(10.4, FocusState::Distracted, false, true);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].reason, "DISTRACTED for 10.4 s (level 1 of 3)");
  auto second = engine.update(15.2, FocusState::Distracted, false, true);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].reason, "DISTRACTED for 15.2 s (level 2 of 3)");
}

TEST(Interventions, StateChangeRestartsTheTimer) {
  InterventionEngine engine(config_of({distracted_rule()}));
  // Distracted for 8 s, focused for 1 s, distracted again: the hold starts at 9 s.
  const auto fired = drive(engine, 0, 25, 0.1, [](double t) {
    return t >= 8 - 1e-9 && t < 9 - 1e-9 ? FocusState::Focused : FocusState::Distracted;
  });
  ASSERT_FALSE(fired.empty());
  EXPECT_NEAR(fired[0].t, 19.0, 0.11);
  // AWAY is not DISTRACTED: it restarts the distracted hold too.
  InterventionEngine other(config_of({distracted_rule()}));
  const auto none = drive(other, 0, 30, 0.1, [](double t) {
    return static_cast<int>(t) % 9 == 8 ? FocusState::Away : FocusState::Distracted;
  });
  EXPECT_TRUE(none.empty());
}

TEST(Interventions, PausedSessionNeitherFiresNorCounts) {
  InterventionEngine engine(config_of({distracted_rule()}));
  EXPECT_TRUE(drive(engine, 0, 8, 0.1, [](double) { return FocusState::Distracted; }).empty());
  // Paused from 8 s to 20 s while still distracted: nothing fires, and the hold restarts.
  EXPECT_TRUE(drive(
                  engine, 8, 20, 0.1, [](double) { return FocusState::Distracted; }, false, false)
                  .empty());
  const auto fired = drive(engine, 20, 40, 0.1, [](double) { return FocusState::Distracted; });
  ASSERT_FALSE(fired.empty());
  EXPECT_NEAR(fired[0].t, 30.0, 0.11);
}

TEST(Interventions, CooldownHoldsBackTheNextHold) {
  InterventionRule rule = distracted_rule();
  rule.max_level = 1;
  rule.repeat_every_s = 0;
  InterventionEngine engine(config_of({rule}));
  // Distracted 0-12 s (fires at 10 s), focused 12-13 s, distracted from 13 s: due at 23 s, but
  // the cool-down (30 s after 10 s) holds it back until 40 s.
  const auto fired = drive(engine, 0, 60, 0.1, [](double t) {
    return t >= 12 - 1e-9 && t < 13 - 1e-9 ? FocusState::Focused : FocusState::Distracted;
  });
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_NEAR(fired[0].t, 10.0, 0.11);
  EXPECT_NEAR(fired[1].t, 40.0, 0.11);
  EXPECT_EQ(fired[1].fired.reason.rfind("DISTRACTED for 27.", 0), 0u) << fired[1].fired.reason;
}

TEST(Interventions, DefaultsCoverDistractedAwayAndDrowsy) {
  const InterventionConfig defaults = default_intervention_rules();
  InterventionEngine engine(defaults);
  // Drowsy (held 2 s) while focused -> break.
  auto fired = drive(
      engine, 0, 3, 0.05, [](double) { return FocusState::Focused; }, true);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].fired.type, "break");
  EXPECT_NEAR(fired[0].t, 2.0, 0.051);
  EXPECT_EQ(fired[0].fired.reason.rfind("DROWSY for 2.0 s (level 1 of", 0), 0u)
      << fired[0].fired.reason;
  // Away for five minutes -> pause, asking the loop to pause the session.
  fired = drive(engine, 3, 310, 0.5, [](double) { return FocusState::Away; });
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].fired.type, "pause");
  EXPECT_TRUE(fired[0].fired.pause_session);
  EXPECT_NEAR(fired[0].t, 303.0, 0.51);
  // Distracted 10 s -> nudge.
  fired = drive(engine, 310, 321, 0.5, [](double) { return FocusState::Distracted; });
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].fired.type, "nudge");
  EXPECT_NEAR(fired[0].t, 320.0, 0.51);
}

TEST(Interventions, ClockGoingBackRestartsHolds) {
  InterventionEngine engine(config_of({distracted_rule()}));
  EXPECT_TRUE(drive(engine, 0, 9, 0.1, [](double) { return FocusState::Distracted; }).empty());
  // A new run starts its clock at 0: the 9 s held before do not count.
  EXPECT_TRUE(drive(engine, 0, 9, 0.1, [](double) { return FocusState::Distracted; }).empty());
  EXPECT_EQ(drive(engine, 9, 10.05, 0.1, [](double) { return FocusState::Distracted; }).size(), 1u);
}

TEST(Interventions, TestFiresATestNudge) {
  InterventionEngine engine(default_intervention_rules());
  const FiredIntervention f = engine.test(12.5);
  EXPECT_EQ(f.kind, "test");
  EXPECT_EQ(f.type, "nudge");
  EXPECT_EQ(f.level, 1);
  EXPECT_DOUBLE_EQ(f.at_s, 12.5);
  EXPECT_FALSE(f.reason.empty());
  EXPECT_EQ(engine.fired_count(), 1);
}

fs::path write_yaml(const ScratchDir& dir, const std::string& text) {
  const fs::path path = dir / "interventions.yaml";
  std::ofstream(path) << text;
  return path;
}

TEST(InterventionsYaml, ReadsRules) {
  ScratchDir dir;
  const fs::path path = write_yaml(dir, R"(on_fire: "true"
interventions:
  - when: distracted
    after_s: 4.5
    type: nudge
    repeat_every_s: 3
    max_level: 2
    cooldown_s: 12
  - name: leave
    when: AWAY
    after_s: 60
    type: pause
    pause_session: true
    on_fire: "echo away"
)");
  const InterventionConfig config = load_interventions(path);
  EXPECT_EQ(config.source, path.string());
  EXPECT_EQ(config.on_fire, "true");
  ASSERT_EQ(config.rules.size(), 2u);
  EXPECT_EQ(config.rules[0].name, "distracted_nudge");
  EXPECT_EQ(config.rules[0].when, InterventionTrigger::Distracted);
  EXPECT_DOUBLE_EQ(config.rules[0].after_s, 4.5);
  EXPECT_DOUBLE_EQ(config.rules[0].repeat_every_s, 3);
  EXPECT_EQ(config.rules[0].max_level, 2);
  EXPECT_DOUBLE_EQ(config.rules[0].cooldown_s, 12);
  EXPECT_FALSE(config.rules[0].pause_session);
  EXPECT_EQ(config.rules[1].name, "leave");
  EXPECT_EQ(config.rules[1].when, InterventionTrigger::Away);
  EXPECT_TRUE(config.rules[1].pause_session);
  EXPECT_EQ(config.rules[1].on_fire, "echo away");
  // A file with only on_fire keeps the built-in rules.
  const InterventionConfig only = load_interventions(write_yaml(dir, "on_fire: notify-send hi\n"));
  EXPECT_EQ(only.rules.size(), default_intervention_rules().rules.size());
  EXPECT_EQ(only.on_fire, "notify-send hi");
}

TEST(InterventionsYaml, BadValuesAndUnknownKeysNameFileRuleAndKey) {
  ScratchDir dir;
  const std::string rule =
      "interventions:\n  - when: DISTRACTED\n    after_s: 10\n    type: nudge\n";
  auto expect = [&](const std::string& extra, const std::vector<std::string>& fragments) {
    const fs::path path = write_yaml(dir, rule + extra);
    std::vector<std::string> all = fragments;
    all.push_back(path.string());
    test::expect_error<ConfigError>([&] { load_interventions(path); }, all);
  };
  expect("    after_secs: 3\n", {"unknown key 'after_secs'", "interventions[0]", "allowed:"});
  expect("    cooldown_s: -1\n", {"interventions[0]", "'cooldown_s'", "-1", "line 5"});
  expect("    cooldown_s: soon\n", {"'cooldown_s'", "number of seconds", "soon"});
  expect("    max_level: 0\n", {"'max_level'", "1..100"});
  expect("    max_level: 3\n", {"'max_level'", "repeat_every_s is 0"});
  expect("    pause_session: maybe\n", {"'pause_session'", "true or false"});
  expect("  - when: SLEEPY\n    after_s: 1\n    type: x\n",
         {"interventions[1]", "'when'", "SLEEPY", "DISTRACTED, AWAY or DROWSY"});
  expect("  - when: AWAY\n    type: x\n", {"interventions[1]", "lacks the key 'after_s'"});
  expect("  - when: DISTRACTED\n    after_s: 1\n    type: nudge\n",
         {"interventions[1]", "'distracted_nudge'", "earlier rule"});
  test::expect_error<ConfigError>([&] { load_interventions(write_yaml(dir, "rules: []\n")); },
                                  {"unknown key 'rules'", "interventions.yaml"});
  test::expect_error<MissingInputError>([&] { load_interventions(dir / "absent.yaml"); },
                                        {(dir / "absent.yaml").string()});
}

// Polls for a file the detached command writes; the timeout only bounds a failure.
std::string wait_for_file(const fs::path& path) {
  for (int i = 0; i < 500; ++i) {
    if (fs::exists(path)) {
      const std::string text = test::read_file(path);
      if (!text.empty() && text.back() == '\n') return text;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "";
}

TEST(InterventionsOnFire, RunsTheCommandDetachedWithTheInterventionsEnvironment) {
  ScratchDir dir;
  const fs::path out = dir / "fired.txt";
  InterventionRule rule = distracted_rule();
  rule.max_level = 1;
  rule.repeat_every_s = 0;
  rule.on_fire =
      "printf '%s|%s|%s|%s\\n' \"$ETHOVID_INTERVENTION_TYPE\" "
      "\"$ETHOVID_INTERVENTION_LEVEL\" \"$ETHOVID_INTERVENTION_KIND\" "
      "\"$ETHOVID_INTERVENTION_REASON\" > '" +
      (dir / "tmp").string() + "' && mv '" + (dir / "tmp").string() + "' '" + out.string() + "'";
  std::vector<std::string> logged;
  InterventionEngine engine(config_of({rule}), [&](const std::string& l) { logged.push_back(l); });
  engine.update(0, FocusState::Distracted, false, true);
  ASSERT_EQ(engine.update(10.5, FocusState::Distracted, false, true).size(), 1u);
  EXPECT_EQ(wait_for_file(out), "nudge|1|rule|DISTRACTED for 10.5 s (level 1 of 1)\n");
  EXPECT_TRUE(logged.empty());
}

TEST(InterventionsOnFire, TestUsesTheDefaultCommand) {
  ScratchDir dir;
  const fs::path out = dir / "test.txt";
  InterventionConfig config = default_intervention_rules();
  config.on_fire = "echo $ETHOVID_INTERVENTION_TYPE $ETHOVID_INTERVENTION_KIND > '" +
                   (dir / "t").string() + "' && mv '" + (dir / "t").string() + "' '" +
                   out.string() + "'";
  InterventionEngine engine(config);
  engine.test(1.0);
  EXPECT_EQ(wait_for_file(out), "nudge test\n");
}

// Children of this process that exited and were never reaped (state Z in /proc).
int zombie_children() {
  int zombies = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    const std::size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    long ppid = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %ld", &state, &ppid) != 2) continue;
    if (ppid == ::getpid() && state == 'Z') ++zombies;
  }
  return zombies;
}

TEST(InterventionsOnFire, ALongCommandNeverBlocksAndLeavesNoZombie) {
  ScratchDir dir;
  FiredIntervention fired;
  fired.type = "nudge";
  std::vector<std::string> logged;
  auto log = [&](const std::string& l) { logged.push_back(l); };
  // `sleep 5` would hold the caller for 5 s if it were waited for; the call returns at the
  // command's exec, and the intermediate child is reaped.
  ASSERT_TRUE(run_on_fire("sleep 5", fired, log));
  ASSERT_TRUE(run_on_fire("exit 3", fired, log));  // a failing command is not a start failure
  EXPECT_TRUE(logged.empty());
  EXPECT_EQ(zombie_children(), 0);
}

}  // namespace
}  // namespace ethovid::focus
