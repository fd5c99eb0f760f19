// `ethovid moseq setup` and config.yml: written from generated pose files, read back unchanged,
// and every kind of bad config named by its key.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include "ethovid/core/error.hpp"
#include "ethovid/moseq/project_config.hpp"
#include "test_support.hpp"

namespace ethovid::moseq {
namespace {

namespace fs = std::filesystem;

// A DeepLabCut CSV of `frames` rows; `cell(t, k, c)` may replace a value (c: 0 x, 1 y, 2 likelihood).
fs::path pose_csv(const fs::path& path, const std::vector<std::string>& parts, int frames = 20,
                  const std::function<std::string(int, std::size_t, int)>& cell = nullptr) {
  std::ofstream out(path);
  out << "scorer";
  for (std::size_t i = 0; i < parts.size() * 3; ++i) out << ",s";
  out << "\nbodyparts";
  for (const auto& p : parts) out << "," << p << "," << p << "," << p;
  out << "\ncoords";
  for (std::size_t i = 0; i < parts.size(); ++i) out << ",x,y,likelihood";
  out << "\n";
  for (int t = 0; t < frames; ++t) {
    out << t;
    for (std::size_t k = 0; k < parts.size(); ++k) {
      const std::string values[3] = {std::to_string(t + k + (t * 7 % 5)), std::to_string(2.0 * k + t % 3), "0.9"};
      for (int c = 0; c < 3; ++c) {
        const std::string replaced = cell ? cell(t, k, c) : "";
        out << "," << (replaced.empty() ? values[c] : replaced);
      }
    }
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

// A SLEAP analysis file of nodes nose, mid and tail whose `tracks` is the numpy expression given.
fs::path sleap_analysis(const fs::path& path, const std::string& tracks) {
  EXPECT_EQ(test::run_python("import h5py, numpy as np\nwith h5py.File('" + path.string() + "', 'w') as f:\n"
                             "    f['tracks'] = " + tracks + "\n"
                             "    f['node_names'] = np.array([b'nose', b'mid', b'tail'])\n"),
            0);
  return path;
}

// Each kind of bad pose input stops `moseq run` with exit 2 and a typed error naming the file
// and the numbers, before any project file is written.
TEST(MoseqRun, BadPoseInputIsATypedErrorNamingTheFile) {
  test::ScratchDir dir;
  const std::vector<std::string> parts = {"nose", "mid", "tail"};
  struct Case {
    fs::path pose;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {pose_csv(dir / "empty.csv", parts, 0), {"FormatError", "empty.csv has a header but no rows"}},
      {pose_csv(dir / "short.csv", parts, 4), {"FormatError", "short.csv: recording short has 4 frames; the model needs more than 4 (nlags = 3)"}},
      {pose_csv(dir / "infinite.csv", parts, 20,
                [](int t, std::size_t k, int c) { return t == 7 && k == 1 && c == 0 ? std::string("inf") : std::string(); }),
       {"FormatError", "infinite.csv: recording infinite, frame 7, bodypart 'mid' has an infinite coordinate"}},
      {pose_csv(dir / "unseen.csv", parts, 20,
                [](int, std::size_t k, int c) { return k == 2 && c < 2 ? std::string("nan") : std::string(); }),
       {"FormatError", "unseen.csv: recording unseen: bodypart 'tail' has no usable point in any of its 20 frames"}},
      {pose_csv(dir / "unsure.csv", parts, 20,
                [](int, std::size_t k, int c) { return k == 0 && c == 2 ? std::string("0.1") : std::string(); }),
       {"FormatError", "bodypart 'nose' has no usable point", "conf_threshold 0.5"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.pose.filename().string());
    const fs::path project = dir / ("p_" + c.pose.stem().string());
    const auto r = test::run_ethovid("moseq run --pose '" + c.pose.string() + "' -o '" + project.string() +
                                     "' --ar-iters 2 --full-iters 2");
    EXPECT_EQ(r.exit_code, 2) << r.output;
    for (const auto& text : c.expected) EXPECT_NE(r.output.find(text), std::string::npos) << text << "\n" << r.output;
    EXPECT_FALSE(fs::exists(project / "checkpoint.h5"));
  }
  // Files that disagree on their bodyparts.
  auto r = test::run_ethovid("moseq setup '" + (dir / "mixed").string() + "' --pose '" + pose_csv(dir / "a.csv", parts).string() +
                             "' --pose '" + pose_csv(dir / "b.csv", {"nose", "mid", "tail_tip"}).string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("every file of a project needs the same bodyparts"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("b.csv"), std::string::npos) << r.output;
  // A SLEAP analysis file cut short, as by an interrupted copy.
  const fs::path h5 = sleap_analysis(dir / "cut.h5", "np.random.rand(1, 2, 3, 5000)");
  fs::resize_file(h5, fs::file_size(h5) / 2);
  r = test::run_ethovid("moseq setup '" + (dir / "cut").string() + "' --pose '" + h5.string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("FormatError"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("cut.h5"), std::string::npos) << r.output;
  // A SLEAP analysis file of zero frames.
  const fs::path none = sleap_analysis(dir / "none.h5", "np.zeros((1, 2, 3, 0))");
  r = test::run_ethovid("moseq setup '" + (dir / "none").string() + "' --pose '" + none.string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("none.h5: recording none has no frames"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ethovid::moseq
