// `ethovid moseq setup` and config.yml: written from generated pose files, read back unchanged,
// and every kind of bad config named by its key.
#include <gtest/gtest.h>

#include <fstream>

#include "ethovid/core/error.hpp"
#include "ethovid/moseq/project_config.hpp"
#include "test_support.hpp"

namespace ethovid::moseq {
namespace {

namespace fs = std::filesystem;

fs::path pose_csv(const fs::path& path, const std::vector<std::string>& parts) {
  std::ofstream out(path);
  out << "scorer";
  for (std::size_t i = 0; i < parts.size() * 3; ++i) out << ",s";
  out << "\nbodyparts";
  for (const auto& p : parts) out << "," << p << "," << p << "," << p;
  out << "\ncoords";
  for (std::size_t i = 0; i < parts.size(); ++i) out << ",x,y,likelihood";
  out << "\n";
  for (int t = 0; t < 20; ++t) {
    out << t;
    for (std::size_t k = 0; k < parts.size(); ++k) out << "," << t + k << "," << 2.0 * k << ",0.9";
    out << "\n";
  }
  return path;
}

TEST(MoseqSetup, WritesAConfigThatReadsBackWithGuessedAnatomy) {
  test::ScratchDir dir;
  const std::vector<std::string> parts = {"Nose", "left_ear", "right_ear", "spine", "tail_base"};
  SetupOptions o;
  o.project = dir / "project";
  o.pose_files = {pose_csv(dir / "a.csv", parts), pose_csv(dir / "b.csv", parts)};
  const SetupResult result = setup_project(o);
  EXPECT_EQ(result.recordings, 2u);
  EXPECT_EQ(result.fps_source, "default (30)");
  const MoseqConfig c = load_moseq_config(o.project);
  EXPECT_EQ(c.bodyparts, parts);
  EXPECT_EQ(c.use_bodyparts, parts);
  EXPECT_EQ(c.anterior_bodyparts, std::vector<std::string>{"Nose"});
  EXPECT_EQ(c.posterior_bodyparts, std::vector<std::string>{"tail_base"});
  EXPECT_EQ(c.kappa, 1e6);
  EXPECT_EQ(c.num_states, 100);
  EXPECT_EQ(c.nlags, 3);
  EXPECT_FALSE(c.latent_dim);
  EXPECT_DOUBLE_EQ(c.added_noise_level, 0.1);
  EXPECT_EQ(c.pose_files.size(), 2u);
  EXPECT_NE(test::read_file(o.project / "config.yml").find("added_noise_level: 0.1\n"), std::string::npos);

  test::expect_error<ConfigError>([&] { setup_project(o); }, {"config.yml already exists", "--force"});
  o.force = true;
  o.fps = 60;
  EXPECT_EQ(setup_project(o).config.fps, 60);
  o.pose_files.push_back(pose_csv(dir / "c.csv", {"a", "b", "c"}));
  test::expect_error<FormatError>([&] { setup_project(o); }, {"c.csv has 3 bodyparts", "a.csv has 5"});
}

TEST(MoseqConfig, BadValuesAreNamedByKey) {
  test::ScratchDir dir;
  SetupOptions o;
  o.project = dir / "p";
  o.pose_files = {pose_csv(dir / "a.csv", {"nose", "mid", "tail"})};
  setup_project(o);
  const std::string good = test::read_file(o.project / "config.yml");
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    std::ofstream(o.project / "config.yml") << text;
  };
  with("kappa: 1000000", "kapa: 1000000");
  test::expect_error<ConfigError>([&] { load_moseq_config(o.project); }, {"unknown key 'kapa'", "trans_hypparams"});
  with("anterior_bodyparts: [nose]", "anterior_bodyparts: [snout]");
  test::expect_error<ConfigError>([&] { load_moseq_config(o.project); }, {"anterior_bodyparts names 'snout'"});
  with("latent_dim: ~", "latent_dim: 9");
  test::expect_error<ConfigError>([&] { load_moseq_config(o.project); }, {"latent_dim = 9", "in [1, (use_bodyparts - 1) x 3 = 6]"});
  with("fps: 30", "fps: fast");
  test::expect_error<ConfigError>([&] { load_moseq_config(o.project); }, {"'fps' has the wrong type"});
  with("use_bodyparts: [nose, mid, tail]", "use_bodyparts: [nose, tail]");
  test::expect_error<ConfigError>([&] { load_moseq_config(o.project); }, {"use_bodyparts has 2 bodyparts", "at least 3"});
  test::expect_error<MissingInputError>([&] { load_moseq_config(dir / "none"); }, {"config.yml does not exist", "moseq setup"});
}

TEST(MoseqSetup, CommandLine) {
  test::ScratchDir dir;
  const fs::path pose = pose_csv(dir / "a.csv", {"nose", "mid", "tail"});
  auto r = test::run_ethovid("moseq setup '" + (dir / "p").string() + "' --pose '" + pose.string() + "' --fps 25");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("fps:         25 (--fps)"), std::string::npos) << r.output;
  EXPECT_EQ(load_moseq_config(dir / "p").fps, 25);
  r = test::run_ethovid("moseq setup '" + (dir / "q").string() + "' --pose '" + (dir / "none.slp").string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("none.slp does not exist"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ethovid::moseq
