// Pose loaders: small files of every format written here (h5py for the HDF5 ones) with known
// values and known defects, and every pose file in ../shared/data/pose checked against an
// independent reading with h5py/pickle/csv (tests/moseq/pose_reference.py).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "ethovid/core/error.hpp"
#include "ethovid/core/json_file.hpp"
#include "ethovid/moseq/pose_files.hpp"
#include "test_support.hpp"

namespace ethovid::moseq {
namespace {

namespace fs = std::filesystem;

fs::path write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

void python(const std::string& script) { ASSERT_EQ(test::run_python("import h5py, json, pickle\nimport numpy as np\n" + script), 0); }

TEST(DlcCsv, SingleAndMultiAnimalHeadersMissingValuesAndLikelihood) {
  test::ScratchDir dir;
  const auto single = load_pose_file(write_text(dir / "single.csv",
      "scorer,s,s,s,s,s,s\nbodyparts,nose,nose,nose,tail,tail,tail\ncoords,x,y,likelihood,x,y,likelihood\n"
      "0,1.5,2.5,0.9,3,4,0.2\n1,,,0.1,5,6,0.8\n"));
  ASSERT_EQ(single.size(), 1u);
  const PoseRecording& r = single[0];
  EXPECT_EQ(r.name, "single");
  EXPECT_EQ(r.bodyparts, (std::vector<std::string>{"nose", "tail"}));
  EXPECT_EQ(r.frames, 2);
  EXPECT_DOUBLE_EQ(r.at(0, 0, 0), 1.5);
  EXPECT_DOUBLE_EQ(r.at(0, 1, 1), 4);
  EXPECT_DOUBLE_EQ(r.confidence(0, 1), 0.2);
  EXPECT_TRUE(std::isnan(r.at(1, 0, 0)));
  EXPECT_EQ(r.confidence(1, 0), 0) << "a missing keypoint has confidence 0";

  const auto multi = load_pose_file(write_text(dir / "multi.csv",
      "scorer,s,s,s,s\nindividuals,m1,m1,m2,m2\nbodyparts,nose,nose,nose,nose\ncoords,x,y,x,y\n"
      "img0.png,1,2,3,4\nimg1.png,5,6,7,8\n"));
  ASSERT_EQ(multi.size(), 2u);
  EXPECT_EQ(multi[0].name, "multi_m1");
  EXPECT_EQ(multi[1].name, "multi_m2");
  EXPECT_DOUBLE_EQ(multi[1].at(1, 0, 1), 8);
  EXPECT_EQ(multi[1].confidence(1, 0), 1) << "labels without a likelihood are certain";
}

// A DeepLabCut CSV with one x column per bodypart named.
fs::path csv_of(const fs::path& path, const std::vector<std::string>& parts) {
  std::string text = "scorer", names = "\nbodyparts", coords = "\ncoords", row = "\n0";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    text += ",s,s";
    names += "," + parts[i] + "," + parts[i];
    coords += ",x,y";
    row += "," + std::to_string(i) + ",1";
  }
  return write_text(path, text + names + coords + row + "\n");
}

// deepof's two mice in a single-animal header (B_Nose ... W_Nose) are two animals; names with a
// side or a view in front (left_ear, paw_top) stay one animal.
TEST(DlcCsv, AnimalsPrefixedInASingleAnimalHeaderAreSplit) {
  test::ScratchDir dir;
  const auto mice = load_pose_file(csv_of(dir / "mice.csv", {"B_Nose", "B_Tail_base", "B_Center", "W_Nose", "W_Tail_base", "W_Center"}));
  ASSERT_EQ(mice.size(), 2u);
  EXPECT_EQ(mice[0].name, "mice_B");
  EXPECT_EQ(mice[1].name, "mice_W");
  EXPECT_EQ(mice[1].bodyparts, (std::vector<std::string>{"Nose", "Tail_base", "Center"}));
  EXPECT_DOUBLE_EQ(mice[1].at(0, 2, 0), 5);
  for (const auto& parts : std::vector<std::vector<std::string>>{
           {"left_ear", "left_hip", "left_paw", "right_ear", "right_hip", "right_paw"},
           {"paw1_top", "paw2_top", "paw1_bot", "paw2_bot"},
           {"B_Nose", "B_Tail", "B_Center", "W_Nose", "W_Tail"},
           {"B_Nose", "B_Tail", "W_Nose", "W_Tail"},
           {"B_Nose", "B_Tail", "B_Center", "W_Nose", "W_Tail", "W_Center", "Arena_centre"}}) {
    SCOPED_TRACE(parts.front() + ", " + parts.back());
    const auto one = load_pose_file(csv_of(dir / "one.csv", parts));
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].bodyparts, parts);
  }
}

TEST(DlcCsv, BadFilesNameTheLineAndTheNumbers) {
  test::ScratchDir dir;
  const std::string header = "scorer,s,s\nbodyparts,nose,nose\ncoords,x,y\n";
  test::expect_error<FormatError>([&] { load_pose_file(write_text(dir / "a.csv", header + "0,1,abc\n")); },
                                  {"a.csv line 4 column 3", "'abc' is not a number"});
  test::expect_error<FormatError>([&] { load_pose_file(write_text(dir / "b.csv", header + "0,1\n")); },
                                  {"b.csv line 4 has 2 cells, the header 3"});
  test::expect_error<FormatError>([&] { load_pose_file(write_text(dir / "c.csv", "frame,x,y\n0,1,2\n")); },
                                  {"c.csv", "no DeepLabCut header"});
  test::expect_error<FormatError>([&] { load_pose_file(write_text(dir / "d.csv", "scorer,s\nbodyparts,nose\ncoords,x\n0,1\n")); },
                                  {"'nose' has 1 coordinate columns, expected 2"});
  test::expect_error<FormatError>([&] { load_pose_file(write_text(dir / "e.txt", "x")); }, {"unknown pose file type '.txt'"});
  test::expect_error<MissingInputError>([&] { load_pose_file(dir / "none.csv"); }, {"none.csv does not exist"});
  test::expect_error<FormatError>([&] { load_pose_file(write_text(dir / "f.h5", "not hdf5")); }, {"f.h5 is not an HDF5 file"});
}

TEST(DlcHdf5, TableAndFixedLayoutsWrittenLikePandas) {
  test::ScratchDir dir;
  python(R"(
cols = [("sc", "nose", "x"), ("sc", "nose", "y"), ("sc", "nose", "likelihood"),
        ("sc", "tail", "x"), ("sc", "tail", "y"), ("sc", "tail", "likelihood")]
vals = np.arange(18, dtype=float).reshape(3, 6)
vals[1, 3] = np.nan
with h5py.File(")" + (dir / "table.h5").string() + R"(", "w") as f:
    dt = np.dtype([("index", "<i8"), ("values_block_0", "<f8", (6,))])
    rows = np.zeros(3, dt); rows["index"] = range(3); rows["values_block_0"] = vals
    t = f.create_group("df_with_missing").create_dataset("table", data=rows)
    t.attrs["values_block_0_kind"] = np.bytes_(pickle.dumps(cols, protocol=0))
multi = [("sc", i, p, c) for i in ("a", "b") for p in ("nose",) for c in ("x", "y", "likelihood")]
names = [sorted({c[l] for c in multi}) for l in range(4)]
with h5py.File(")" + (dir / "fixed.h5").string() + R"(", "w") as f:
    g = f.create_group("df")
    g["block0_values"] = np.arange(12, dtype=float).reshape(2, 6)
    for l in range(4):
        g[f"block0_items_level{l}"] = np.array([n.encode() for n in names[l]])
        g[f"block0_items_label{l}"] = np.array([names[l].index(c[l]) for c in multi], dtype=np.int8)
)");
  const auto table = load_pose_file(dir / "table.h5");
  ASSERT_EQ(table.size(), 1u);
  EXPECT_EQ(table[0].bodyparts, (std::vector<std::string>{"nose", "tail"}));
  EXPECT_DOUBLE_EQ(table[0].at(2, 1, 1), 16);
  EXPECT_DOUBLE_EQ(table[0].confidence(2, 0), 14);
  EXPECT_TRUE(std::isnan(table[0].at(1, 1, 0)) && std::isnan(table[0].at(1, 1, 1)));
  EXPECT_EQ(table[0].confidence(1, 1), 0);
  const auto fixed = load_pose_file(dir / "fixed.h5");
  ASSERT_EQ(fixed.size(), 2u);
  EXPECT_EQ(fixed[1].name, "fixed_b");
  EXPECT_DOUBLE_EQ(fixed[1].at(1, 0, 0), 9);
  EXPECT_DOUBLE_EQ(fixed[1].confidence(1, 0), 11);
}

TEST(SleapFiles, LabelsAndAnalysisExportAgreeAndUserInstancesWin) {
  test::ScratchDir dir;
  python(R"(
meta = {"nodes": [{"name": "tail"}, {"name": "head"}], "skeletons": [{"nodes": [{"id": 1}, {"id": 0}]}]}
with h5py.File(")" + (dir / "two.slp").string() + R"(", "w") as f:
    f.create_group("metadata").attrs["json"] = json.dumps(meta)
    f["tracks_json"] = np.array([b'[0, "red"]', b'[0, "blue"]'])
    f["videos_json"] = np.array([b'{"backend": {"filename": "/lab/pc/session1.mp4", "grayscale": true}}'])
    fr = np.zeros(2, [("frame_id", "<u8"), ("video", "<u4"), ("frame_idx", "<u8"), ("instance_id_start", "<u8"), ("instance_id_end", "<u8")])
    fr["frame_id"] = [0, 1]; fr["frame_idx"] = [0, 2]
    f["frames"] = fr
    ins = np.zeros(4, [("instance_id", "<i8"), ("instance_type", "u1"), ("frame_id", "<u8"), ("skeleton", "<u4"), ("track", "<i4"), ("from_predicted", "<i8"), ("score", "<f4"), ("point_id_start", "<u8"), ("point_id_end", "<u8")])
    ins["instance_type"] = [1, 1, 1, 0]; ins["frame_id"] = [0, 0, 1, 1]; ins["track"] = [0, 1, 0, 0]
    ins["point_id_start"] = [0, 2, 4, 0]; ins["point_id_end"] = [2, 4, 6, 2]
    f["instances"] = ins
    pp = np.zeros(6, [("x", "<f8"), ("y", "<f8"), ("visible", "?"), ("complete", "?"), ("score", "<f8")])
    pp["x"] = [1, 2, 3, 4, 5, 6]; pp["y"] = [10, 20, 30, 40, 50, 60]; pp["visible"] = [1, 1, 1, 0, 1, 1]; pp["score"] = 0.5
    f["pred_points"] = pp
    up = np.zeros(2, [("x", "<f8"), ("y", "<f8"), ("visible", "?"), ("complete", "?")])
    up["x"] = [7, 8]; up["y"] = [70, 80]; up["visible"] = 1
    f["points"] = up
with h5py.File(")" + (dir / "two.analysis.h5").string() + R"(", "w") as f:
    t = np.full((2, 2, 2, 3), np.nan)
    t[0, 0, :, 0] = [1, 2]; t[0, 1, :, 0] = [10, 20]; t[1, 0, 0, 0] = 3; t[1, 1, 0, 0] = 30
    f["tracks"] = t
    f["node_names"] = np.array([b"head", b"tail"])
    f["track_names"] = np.array([b"red", b"blue"])
    f["point_scores"] = np.full((2, 2, 3), 0.5)
)");
  const auto labels = load_pose_file(dir / "two.slp");
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0].name, "two_red");
  EXPECT_EQ(labels[1].name, "two_blue");
  EXPECT_EQ(labels[0].bodyparts, (std::vector<std::string>{"head", "tail"})) << "the skeleton's order";
  EXPECT_EQ(labels[0].frames, 3);
  EXPECT_EQ(labels[1].video, "/lab/pc/session1.mp4") << "the video the file names, for grid movies";
  EXPECT_DOUBLE_EQ(labels[0].at(0, 1, 1), 20);
  EXPECT_DOUBLE_EQ(labels[0].confidence(0, 1), 0.5);
  EXPECT_DOUBLE_EQ(labels[0].at(2, 0, 0), 7) << "the user instance replaces the prediction";
  EXPECT_DOUBLE_EQ(labels[0].confidence(2, 0), 1);
  EXPECT_TRUE(std::isnan(labels[1].at(0, 1, 0))) << "an invisible point is missing";
  EXPECT_TRUE(std::isnan(labels[0].at(1, 0, 0))) << "a frame without instances is missing";
  const auto analysis = load_pose_file(dir / "two.analysis.h5");
  ASSERT_EQ(analysis.size(), 2u);
  EXPECT_EQ(analysis[1].name, "two_blue");
  for (int k = 0; k < 2; ++k) {
    for (int d = 0; d < 2; ++d) {
      const double a = analysis[0].at(0, k, d), b = labels[0].at(0, k, d);
      EXPECT_TRUE(a == b || (std::isnan(a) && std::isnan(b))) << k << " " << d;
    }
  }
  EXPECT_EQ(analysis[1].confidence(0, 1), 0);
}

// Untracked: a user instance and the prediction it corrects are one animal, not two.
TEST(SleapFiles, UntrackedCorrectionReplacesItsPrediction) {
  test::ScratchDir dir;
  python(R"(
meta = {"nodes": [{"name": "a"}, {"name": "b"}], "skeletons": [{"nodes": [{"id": 0}, {"id": 1}]}]}
with h5py.File(")" + (dir / "one.slp").string() + R"(", "w") as f:
    f.create_group("metadata").attrs["json"] = json.dumps(meta)
    f["tracks_json"] = np.array([], dtype="S8")
    fr = np.zeros(2, [("frame_id", "<u8"), ("video", "<u4"), ("frame_idx", "<u8"), ("instance_id_start", "<u8"), ("instance_id_end", "<u8")])
    fr["frame_id"] = [0, 1]; fr["frame_idx"] = [0, 1]
    f["frames"] = fr
    ins = np.zeros(3, [("instance_id", "<i8"), ("instance_type", "u1"), ("frame_id", "<u8"), ("skeleton", "<u4"), ("track", "<i4"), ("from_predicted", "<i8"), ("score", "<f4"), ("point_id_start", "<u8"), ("point_id_end", "<u8")])
    ins["instance_type"] = [1, 0, 1]; ins["frame_id"] = [0, 0, 1]; ins["track"] = -1
    ins["point_id_start"] = [0, 0, 2]; ins["point_id_end"] = [2, 2, 4]
    f["instances"] = ins
    pp = np.zeros(4, [("x", "<f8"), ("y", "<f8"), ("visible", "?"), ("complete", "?"), ("score", "<f8")])
    pp["x"] = [1, 2, 3, 4]; pp["y"] = 0; pp["visible"] = 1; pp["score"] = 0.7
    f["pred_points"] = pp
    up = np.zeros(2, [("x", "<f8"), ("y", "<f8"), ("visible", "?"), ("complete", "?")])
    up["x"] = [9, 8]; up["visible"] = 1
    f["points"] = up
)");
  const auto recordings = load_pose_file(dir / "one.slp");
  ASSERT_EQ(recordings.size(), 1u);
  EXPECT_EQ(recordings[0].name, "one");
  EXPECT_DOUBLE_EQ(recordings[0].at(0, 0, 0), 9);  // the correction
  EXPECT_DOUBLE_EQ(recordings[0].at(1, 1, 0), 4);  // a frame with only the prediction
}

TEST(SleapFiles, InconsistentFilesAreFormatErrors) {
  test::ScratchDir dir;
  python(R"(
with h5py.File(")" + (dir / "bad.analysis.h5").string() + R"(", "w") as f:
    f["tracks"] = np.zeros((1, 2, 3, 5)); f["node_names"] = np.array([b"a", b"b"])
with h5py.File(")" + (dir / "noskel.slp").string() + R"(", "w") as f:
    f.create_group("metadata").attrs["json"] = json.dumps({"nodes": [], "skeletons": []})
)");
  test::expect_error<FormatError>([&] { load_pose_file(dir / "bad.analysis.h5"); },
                                  {"bad.analysis.h5", "`tracks` is 1 x 2 x 3 x 5, expected tracks x 2 x 2 x frames"});
  test::expect_error<FormatError>([&] { load_pose_file(dir / "noskel.slp"); }, {"noskel.slp has no skeleton"});
}

// Underscores in keypoint names do not make animals: "left_ear"/"right_ear" or "tail_base"/
// "tail_tip" stay one animal with their full names.
TEST(NwbPose, UnderscoredNodeNamesStayOneAnimal) {
  test::ScratchDir dir;
  for (const std::string& names : {std::string("'left_ear', 'right_ear', 'left_paw', 'right_paw'"),
                                   std::string("'tail_base', 'tail_mid', 'tail_tip'")}) {
    python(R"(
with h5py.File(")" + (dir / "u.nwb").string() + R"(", "w") as f:
    g = f.create_group("processing/behavior/PoseEstimation")
    g.attrs["neurodata_type"] = "PoseEstimation"
    for node in [)" + names + R"(]:
        s = g.create_group(node)
        s.attrs["neurodata_type"] = "PoseEstimationSeries"
        s["data"] = np.zeros((3, 2))
)");
    const auto recordings = load_pose_file(dir / "u.nwb");
    ASSERT_EQ(recordings.size(), 1u) << names;
    EXPECT_NE(recordings[0].bodyparts.front().find('_'), std::string::npos) << names;
  }
}

TEST(NwbPose, SeriesPerIndividualAndRateFromStartingTime) {
  test::ScratchDir dir;
  python(R"(
with h5py.File(")" + (dir / "s.nwb").string() + R"(", "w") as f:
    g = f.create_group("processing/behavior/PoseEstimation")
    g.attrs["neurodata_type"] = "PoseEstimation"
    for ind in ("m1", "m2"):
        for i, node in enumerate(("nose", "left_ear")):
            s = g.create_group(f"{ind}_{node}")
            s.attrs["neurodata_type"] = "PoseEstimationSeries"
            s.attrs["description"] = f"Keypoint {node} from individual {ind}."
            d = np.full((4, 2), i + (10 if ind == "m2" else 0), dtype=float); d[3] = np.nan
            s["data"] = d
            s["confidence"] = np.full(4, 0.75)
            s.create_dataset("starting_time", data=0.0).attrs["rate"] = 30.0
)");
  const auto recordings = load_pose_file(dir / "s.nwb");
  ASSERT_EQ(recordings.size(), 2u);
  EXPECT_EQ(recordings[1].name, "s_m2");
  EXPECT_EQ(recordings[1].bodyparts, (std::vector<std::string>{"left_ear", "nose"}));
  EXPECT_DOUBLE_EQ(recordings[1].at(0, 0, 0), 11);
  EXPECT_DOUBLE_EQ(recordings[0].confidence(0, 1), 0.75);
  EXPECT_EQ(recordings[0].confidence(3, 1), 0);
  ASSERT_TRUE(recordings[0].fps);
  EXPECT_DOUBLE_EQ(*recordings[0].fps, 30);
}

// Every pose file of ../shared/data/pose against an independent reading in Python.
TEST(PoseFiles, SharedFilesMatchAnIndependentReading) {
  ETHOVID_REQUIRE_SHARED_DATA(data);
  test::ScratchDir dir;
  const fs::path pose = data / "pose";
  const std::vector<std::string> files = {
      "sleap_fly_pair_13node/predictions.slp",
      "sleap_fly_pair_13node/predictions.analysis.h5",
      "dlc_openfield_mouse/m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.h5",
      "dlc_openfield_mouse/m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.nwb",
      "deepof_mouse_topview/single/testDLC_csv_table.csv",
      "deepof_mouse_topview/single/testDLC_h5_table.h5",
      "deepof_mouse_topview/single/testDLC_sleap.slp",
      "deepof_mouse_topview/single/testDLC_sleap.analysis.h5",
      "deepof_mouse_topview/multi/testDLC_csv_table_multi.csv",
      "deepof_mouse_topview/multi/testDLC_h5_table_multi.h5",
      "lightning_pose_mirror_mouse/CollectedData.csv",
  };
  for (const auto& file : files) {
    SCOPED_TRACE(file);
    const fs::path out = dir / "reference.json";
    const std::string command = "/usr/bin/python3 '" + std::string(ETHOVID_SOURCE_DIR) +
                                "/tests/moseq/pose_reference.py' '" + (pose / file).string() + "' '" + out.string() + "'";
    ASSERT_EQ(std::system(command.c_str()), 0);
    const core::Json reference = core::read_json(out);
    const auto recordings = load_pose_file(pose / file);
    ASSERT_EQ(recordings.size(), reference.size());
    for (std::size_t i = 0; i < recordings.size(); ++i) {
      const PoseRecording& r = recordings[i];
      EXPECT_EQ(r.bodyparts, reference[i]["bodyparts"].get<std::vector<std::string>>());
      EXPECT_EQ(r.frames, reference[i]["frames"].get<std::int64_t>());
      EXPECT_EQ(r.first_frame, reference[i]["first_frame"].get<std::int64_t>());
      for (const auto& s : reference[i]["samples"]) {
        const auto t = s[0].get<std::int64_t>();
        const int k = s[1].get<int>();
        if (s[2].is_null()) {
          EXPECT_TRUE(std::isnan(r.at(t, k, 0))) << "frame " << t << " keypoint " << k;
        } else {
          EXPECT_DOUBLE_EQ(r.at(t, k, 0), s[2].get<double>()) << "frame " << t << " keypoint " << k;
          EXPECT_DOUBLE_EQ(r.at(t, k, 1), s[3].get<double>()) << "frame " << t << " keypoint " << k;
        }
        EXPECT_NEAR(r.confidence(t, k), s[4].get<double>(), 1e-12) << "frame " << t << " keypoint " << k;
      }
    }
  }
}

// The labels file and its analysis export hold the same predictions.
TEST(PoseFiles, FlySleapLabelsAndAnalysisExportAgree) {
  ETHOVID_REQUIRE_SHARED_DATA(data);
  const auto labels = load_pose_file(data / "pose/sleap_fly_pair_13node/predictions.slp");
  const auto analysis = load_pose_file(data / "pose/sleap_fly_pair_13node/predictions.analysis.h5");
  ASSERT_EQ(labels.size(), 2u);
  ASSERT_EQ(analysis.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(labels[i].name, analysis[i].name);
    EXPECT_EQ(labels[i].bodyparts, analysis[i].bodyparts);
    ASSERT_EQ(labels[i].coordinates.size(), analysis[i].coordinates.size());
    std::size_t differ = 0, missing = 0;
    for (std::size_t j = 0; j < labels[i].coordinates.size(); ++j) {
      const double a = labels[i].coordinates[j], b = analysis[i].coordinates[j];
      missing += std::isnan(a);
      differ += !(a == b || (std::isnan(a) && std::isnan(b)));
    }
    EXPECT_EQ(differ, 0u) << labels[i].name;
    EXPECT_GT(missing, 0u) << "the fly file has missing points";
  }
}

}  // namespace
}  // namespace ethovid::moseq
