// `ethovid moseq setup` and config.yml: written from generated pose files, read back unchanged,
// and every kind of bad config named by its key.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include <opencv2/videoio.hpp>

#include "dlc_csv.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/json_file.hpp"
#include "ethovid/core/table.hpp"
#include "ethovid/moseq/project_config.hpp"
#include "test_support.hpp"

namespace ethovid::moseq {
namespace {

namespace fs = std::filesystem;

// A DeepLabCut CSV of `frames` rows; `cell(t, k, c)` may replace a value (c: 0 x, 1 y, 2 likelihood).
fs::path pose_csv(const fs::path& path, const std::vector<std::string>& parts, int frames = 20,
                  const std::function<std::string(int, std::size_t, int)>& cell = nullptr) {
  std::ofstream out(path);
  write_dlc_header(out, parts);
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

  // Set up again from the same files: kept as it is, edits included.
  std::ofstream(o.project / "config.yml", std::ios::app) << "# edited\n";
  const SetupResult again = setup_project(o);
  EXPECT_TRUE(again.up_to_date);
  EXPECT_EQ(again.recordings, 2u);
  EXPECT_NE(test::read_file(o.project / "config.yml").find("# edited"), std::string::npos);
  o.fps = 60;
  test::expect_error<ConfigError>([&] { setup_project(o); }, {"config.yml already exists for other pose files or another --fps", "--force"});
  o.fps.reset();
  o.pose_files.pop_back();
  test::expect_error<ConfigError>([&] { setup_project(o); }, {"config.yml already exists for other pose files"});
  o.pose_files.push_back(dir / "b.csv");
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

// Without --fps or a rate in the pose file, the rate is the video's (DeepLabCut names its files
// after the video); without either, 30 with a warning.
TEST(MoseqSetup, FrameRateFromTheVideoBesideThePoseFileElseTheDefaultWithAWarning) {
  test::ScratchDir dir;
  cv::VideoWriter video((dir / "clip.avi").string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 25, {64, 48});
  ASSERT_TRUE(video.isOpened());
  for (int i = 0; i < 5; ++i) video.write(cv::Mat(48, 64, CV_8UC3, cv::Scalar(i * 40, 0, 0)));
  video.release();
  const fs::path pose = pose_csv(dir / "clipDLC_resnet50_testJan1shuffle1_1000.csv", {"nose", "mid", "tail"});
  auto r = test::run_ethovid("moseq setup '" + (dir / "p").string() + "' --pose '" + pose.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("fps:         25 (the video " + (dir / "clip.avi").string() + ")"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("warning"), std::string::npos) << r.output;
  const fs::path alone = pose_csv(dir / "alone.csv", {"nose", "mid", "tail"});
  r = test::run_ethovid("moseq setup '" + (dir / "q").string() + "' --pose '" + alone.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ethovid: warning: the pose files and their videos state no frame rate; using 30 fps"),
            std::string::npos)
      << r.output;
  r = test::run_ethovid("moseq setup '" + (dir / "q").string() + "' --pose '" + alone.string() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("up to date: "), std::string::npos) << "a second setup from the same files\n" << r.output;
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
      {pose_csv(dir / "short.csv", parts, 4),
       {"FormatError", "short.csv: recording short: 4 observed frames; the model needs at least 30", "no recording is left to fit"}},
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
  EXPECT_NE(r.output.find("'tail_tip' only in b.csv, 'tail' only in a.csv"), std::string::npos) << r.output;
  // A folder given as a pose file.
  r = test::run_ethovid("moseq setup '" + (dir / "folder").string() + "' --pose '" + dir.path().string() + "'");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("is a directory"), std::string::npos) << r.output;
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

// A SLEAP predictions file as a multi-animal tracker writes it: two flies tracked throughout (the
// second appears at frame 20) and twelve short-lived fragment tracks of 1-15 instances, the
// first of which never sees its head.
fs::path sleap_with_fragments(const fs::path& path) {
  EXPECT_EQ(test::run_python(R"(
import h5py, json, numpy as np
rng = np.random.default_rng(3)
meta = {"nodes": [{"name": "head"}, {"name": "thorax"}, {"name": "abdomen"}],
        "skeletons": [{"nodes": [{"id": 0}, {"id": 1}, {"id": 2}]}]}
spans = [(0, 300), (20, 300)] + [(30 * i % 280, 30 * i % 280 + 1 + (7 * i) % 15) for i in range(2, 14)]
frames = 300
rows = []  # (frame, track, xyz of 3 nodes, visible)
for track, (first, last) in enumerate(spans):
    for t in range(first, last):
        angle = 0.05 * t + track
        centre = np.array([200 + 80 * np.cos(0.02 * t + track), 200 + 80 * np.sin(0.03 * t + track)])
        body = np.array([np.cos(angle), np.sin(angle)])
        points = np.stack([centre + 10 * body, centre, centre - 12 * body]) + rng.normal(0, 0.5, (3, 2))
        visible = np.array([track != 2, True, True])
        rows.append((t, track, points, visible))
rows.sort(key=lambda r: (r[0], r[1]))
fr = np.zeros(frames, [("frame_id", "<u8"), ("video", "<u4"), ("frame_idx", "<u8"), ("instance_id_start", "<u8"), ("instance_id_end", "<u8")])
fr["frame_id"] = np.arange(frames); fr["frame_idx"] = np.arange(frames)
ins = np.zeros(len(rows), [("instance_id", "<i8"), ("instance_type", "u1"), ("frame_id", "<u8"), ("skeleton", "<u4"), ("track", "<i4"), ("from_predicted", "<i8"), ("score", "<f4"), ("point_id_start", "<u8"), ("point_id_end", "<u8")])
pp = np.zeros(3 * len(rows), [("x", "<f8"), ("y", "<f8"), ("visible", "?"), ("complete", "?"), ("score", "<f8")])
for i, (t, track, points, visible) in enumerate(rows):
    ins[i]["instance_type"] = 1; ins[i]["frame_id"] = t; ins[i]["track"] = track
    ins[i]["point_id_start"] = 3 * i; ins[i]["point_id_end"] = 3 * i + 3
    pp["x"][3 * i:3 * i + 3] = points[:, 0]; pp["y"][3 * i:3 * i + 3] = points[:, 1]
    pp["visible"][3 * i:3 * i + 3] = visible; pp["score"][3 * i:3 * i + 3] = 0.9
with h5py.File(")" + path.string() + R"(", "w") as f:
    f.create_group("metadata").attrs["json"] = json.dumps(meta)
    f["tracks_json"] = np.array([json.dumps([0, "fly%d" % i]).encode() for i in range(len(spans))])
    f["frames"] = fr
    f["instances"] = ins
    f["pred_points"] = pp
    f["points"] = np.zeros(0, [("x", "<f8"), ("y", "<f8"), ("visible", "?"), ("complete", "?")])
)"),
            0);
  return path;
}

// Track fragments are left out with a warning naming each and why, and recorded in the summary;
// the real tracks cover the frames they exist in. --strict stops at the first fragment instead.
TEST(MoseqRun, SleapTrackFragmentsAreLeftOutAndListed) {
  test::ScratchDir dir;
  const fs::path slp = sleap_with_fragments(dir / "flies.slp");
  auto r = test::run_ethovid("moseq run --pose '" + slp.string() + "' -o '" + (dir / "p").string() +
                             "' --ar-iters 2 --full-iters 2 --kappa 1000");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warning: left out recording flies_fly2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("bodypart 'head' has no usable point"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("left out recording flies_fly5 (" + slp.string() + "): 6 observed frames; the model needs at least 30"),
            std::string::npos)
      << r.output;
  const core::Json summary = core::read_json(dir / "p" / "moseq_summary.json");
  ASSERT_EQ(summary["recordings"].size(), 2u) << summary.dump(1);
  EXPECT_EQ(summary["recordings"][0]["name"], "flies_fly0");
  EXPECT_EQ(summary["recordings"][0]["frames"], 300);
  EXPECT_EQ(summary["recordings"][1]["name"], "flies_fly1");
  EXPECT_EQ(summary["recordings"][1]["first_frame"], 20) << "a track starts where it appears";
  EXPECT_EQ(summary["recordings"][1]["frames"], 280);
  ASSERT_EQ(summary["recordings_left_out"].size(), 12u);
  for (const auto& left : summary["recordings_left_out"]) {
    EXPECT_LE(left["frames"].get<int>(), 15) << "a fragment covers only the frames it exists in";
    EXPECT_FALSE(left["reason"].get<std::string>().empty());
  }
  const auto table = core::read_parquet(dir / "p" / "results.parquet");
  EXPECT_EQ(table.rows(), 580u);

  r = test::run_ethovid("moseq run --pose '" + slp.string() + "' -o '" + (dir / "strict").string() +
                        "' --ar-iters 2 --full-iters 2 --kappa 1000 --strict");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("flies.slp: recording flies_fly2: bodypart 'head' has no usable point in any of its 15 frames"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(dir / "strict" / "checkpoint.h5"));
}

}  // namespace
}  // namespace ethovid::moseq
