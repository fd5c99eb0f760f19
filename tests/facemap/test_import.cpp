// facemap import of Facemap-style *_proc.npy / *_proc.mat files written by numpy/scipy.
#include <gtest/gtest.h>

#include <cmath>

#include "ethovid/core/error.hpp"
#include "ethovid/core/npy.hpp"
#include "ethovid/core/table.hpp"
#include "ethovid/facemap/facemap.hpp"
#include "facemap_test_util.hpp"
#include "test_support.hpp"

namespace ethovid::facemap {
namespace {

namespace fs = std::filesystem;
using test::ScratchDir;

// Writes a Facemap 1.0.x-style proc dict (n frames, one motion ROI, one pupil, one blink, one
// running ROI) as x_proc.npy and, split as Facemap's save_mat does, x_proc.mat; every array also
// goes to its own plain .npy so the test can compare values.
const char* kFixture = R"PY(
import numpy as np, scipy.io, sys
out = sys.argv[1] if len(sys.argv) > 1 else '.'
rng = np.random.default_rng(4)
n = 700
motion0 = rng.uniform(100, 5000, n).astype(np.float32)
motion1 = rng.uniform(10, 500, n).astype(np.float32)
motsvd0 = rng.normal(size=(n, 10)).astype(np.float32)
motsvd1 = rng.normal(size=(n, 5)).astype(np.float32)
movsvd0 = rng.normal(size=(n, 10)).astype(np.float32)
area = rng.uniform(200, 400, n); area[[5, 6, 300]] = np.nan
com = np.stack([rng.uniform(10, 30, n), rng.uniform(12, 28, n)], axis=1)
blink = rng.normal(5000, 40, n); dips = [100, 101, 102, 450, 451]; blink[dips] = 1200
running = rng.normal(size=(n, 2))
rois = [dict(rind=1, rtype='motion SVD', iROI=0, ivid=0, xrange=np.arange(20, 60), yrange=np.arange(10, 50),
             yrange_bin=np.arange(2, 12), xrange_bin=np.arange(5, 15), saturation=0.0),
        dict(rind=0, rtype='Pupil', iROI=0, ivid=0, xrange=np.arange(80, 120), yrange=np.arange(30, 70),
             saturation=100.0, pupil_sigma=2.0),
        dict(rind=2, rtype='Blink', iROI=0, ivid=0, xrange=np.arange(80, 120), yrange=np.arange(30, 70), saturation=90.0),
        dict(rind=3, rtype='Running', iROI=0, ivid=0, xrange=np.arange(0, 20), yrange=np.arange(0, 20), saturation=0.0)]
d = dict(filenames=[['/data/mouse1_face.mp4']], save_path=None, Ly=[120], Lx=[160], sbin=4, fullSVD=True,
         save_mat=True, Lybin=np.array([30], np.int32), Lxbin=np.array([40], np.int32),
         sybin=np.array([0]), sxbin=np.array([0]), LYbin=np.int64(30), LXbin=np.int64(40),
         avgframe_reshape=rng.uniform(0, 255, (30, 40)).astype(np.float32),
         motion=[motion0, motion1], motSVD=[motsvd0, motsvd1], movSVD=[movsvd0],
         motSv=np.ones(10, np.float32), movSv=np.ones(10, np.float32),
         pupil=[dict(area=area, com=com, axdir=np.zeros((n, 2, 2)), axlen=np.ones((n, 2)),
                     area_smooth=area, com_smooth=com)],
         blink=[blink], running=[running], rois=rois)
np.save(out + '/x_proc.npy', d, allow_pickle=True)
m = {}
for k, v in d.items():
    if isinstance(v, list) and len(v) > 0 and isinstance(v[0], np.ndarray):
        for i, a in enumerate(v): m['%s_%d' % (k, i)] = a
    elif v is not None:
        m[k] = v
scipy.io.savemat(out + '/x_proc.mat', m)
for name, a in dict(motion0=motion0, motion1=motion1, motsvd0=motsvd0, motsvd1=motsvd1, movsvd0=movsvd0,
                    area=area, com=com, blink=blink, running=running).items():
    np.save(out + '/expect_' + name + '.npy', a)
)PY";

class ImportFacemap : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string script = std::string("import sys; sys.argv = ['x', '") + dir_.path().string() +
                               "']\n" + kFixture;
    ASSERT_EQ(test::run_python(script), 0);
  }
  std::vector<double> expected(const std::string& name) {
    return core::read_npy(dir_ / ("expect_" + name + ".npy")).to_double();
  }
  ScratchDir dir_;
};

void expect_same(double a, double b, const std::string& what) {
  if (std::isnan(b)) {
    EXPECT_TRUE(std::isnan(a)) << what;
  } else {
    EXPECT_NEAR(a, b, 1e-6 * std::max(1.0, std::fabs(b))) << what;
  }
}

void check_import(const fs::path& proc, const fs::path& out,
                  const std::function<std::vector<double>(const std::string&)>& expected) {
  ImportOptions options;
  options.proc_file = proc;
  options.output_dir = out;
  options.fps = 50;
  const StageResult result = import_metrics(options);
  const core::Table t = core::read_parquet(result.table_path);
  const std::int64_t n = 700;
  ASSERT_EQ(static_cast<std::int64_t>(t.rows()), n);

  // Motion: sums / (255 * binned pixels), Facemap's first-500 shift undone.
  const auto m0 = expected("motion0");
  const auto energy = test::column_values(t, "motion_energy");
  EXPECT_TRUE(std::isnan(energy[0]));
  for (std::int64_t k = 1; k < n; ++k) {
    const double sum = k < 500 ? m0[k - 1] : m0[k];
    expect_same(energy[k], sum / (255.0 * 30 * 40), "motion_energy " + std::to_string(k));
  }
  const auto m1 = expected("motion1");
  const auto roi_energy = test::column_values(t, "roi1_motion_energy");
  for (std::int64_t k = 1; k < n; k += 7) {
    const double sum = k < 500 ? m1[k - 1] : m1[k];
    expect_same(roi_energy[k], sum / (255.0 * 10 * 10), "roi1_motion_energy " + std::to_string(k));
  }
  // SVD time courses, column by column; row 0 is Facemap's copy of row 1, so NaN.
  const auto svd0 = expected("motsvd0");
  for (int j = 0; j < 10; ++j) {
    const auto c = test::column_values(t, "motion_svd_" + std::to_string(j));
    EXPECT_TRUE(std::isnan(c[0]));
    for (std::int64_t i = 1; i < n; i += 11) expect_same(c[i], svd0[i * 10 + j], "motion_svd");
  }
  EXPECT_TRUE(t.has("roi1_motion_svd_4"));
  EXPECT_FALSE(t.has("roi1_motion_svd_5"));
  EXPECT_TRUE(t.has("movie_svd_9"));
  // Pupil: area as is; com [y, x] + the pupil ROI's offset (x 80, y 30).
  const auto area = expected("area"), com = expected("com");
  const auto pa = test::column_values(t, "pupil_area"), px = test::column_values(t, "pupil_x"), py = test::column_values(t, "pupil_y");
  for (std::int64_t i = 0; i < n; i += 3) {
    expect_same(pa[i], area[i], "pupil_area");
    expect_same(px[i], com[i * 2 + 1] + 80, "pupil_x");
    expect_same(py[i], com[i * 2] + 30, "pupil_y");
  }
  EXPECT_TRUE(std::isnan(pa[5]));
  // Blink: raw darkness kept; the five dips and nothing else are blinks.
  const auto dark = expected("blink");
  const auto blink_dark = test::column_values(t, "blink_darkness");
  const auto blink = test::column_values(t, "blink");
  for (std::int64_t i = 0; i < n; ++i) {
    expect_same(blink_dark[i], dark[i], "blink_darkness");
    const bool dip = i == 100 || i == 101 || i == 102 || i == 450 || i == 451;
    EXPECT_EQ(blink[i], dip ? 1.0 : 0.0) << i;
  }
  const auto running = expected("running");
  const auto dx = test::column_values(t, "running_dx"), dy = test::column_values(t, "running_dy");
  for (std::int64_t i = 0; i < n; i += 9) {
    expect_same(dx[i], running[i * 2 + 1], "running_dx");
    expect_same(dy[i], running[i * 2], "running_dy");
  }
  const auto time = test::column_values(t, "time");
  EXPECT_NEAR(time[50], 1.0, 1e-12);

  const core::Json& s = result.summary;
  EXPECT_EQ(s["source_type"], "imported");
  EXPECT_EQ(s["session_id"], "x");
  EXPECT_EQ(s["statistics"]["total_samples"], n);
  EXPECT_EQ(s["statistics"]["missing_samples"], 3);  // the three NaN pupil frames
  EXPECT_EQ(s["model_info"]["motion_energy_scaling"][0]["binned_pixels"], 1200.0);
  EXPECT_EQ(s["model_info"]["video_files"][0], "/data/mouse1_face.mp4");
}

TEST_F(ImportFacemap, NpyRoundTripsColumnByColumn) {
  check_import(dir_ / "x_proc.npy", dir_ / "out_npy", [&](const std::string& n) { return expected(n); });
}

TEST_F(ImportFacemap, MatRoundTripsColumnByColumn) {
  check_import(dir_ / "x_proc.mat", dir_ / "out_mat", [&](const std::string& n) { return expected(n); });
}

TEST_F(ImportFacemap, TimestampsAlignAndRerunIsUpToDate) {
  std::vector<double> times(700);
  for (int i = 0; i < 700; ++i) times[i] = 12.5 + i * 0.02;
  test::write_timestamps(dir_ / "sync", "cam0", times);
  ImportOptions options;
  options.proc_file = dir_ / "x_proc.npy";
  options.output_dir = dir_ / "out";
  options.alignment.timestamps_dir = dir_ / "sync";
  const StageResult first = import_metrics(options);
  EXPECT_NEAR(test::column_values(core::read_parquet(first.table_path), "time")[10], 12.7, 1e-9);
  EXPECT_TRUE(import_metrics(options).skipped);
  options.force = true;
  EXPECT_FALSE(import_metrics(options).skipped);
}

TEST_F(ImportFacemap, MissingKeysMeanAbsentColumnsRecordedInTheSummary) {
  ASSERT_EQ(test::run_python("import numpy as np\nn=50\nnp.save('" + (dir_ / "p_proc.npy").string() +
                             "', dict(pupil=[dict(area=np.ones(n), com=np.zeros((n,2)))], rois=[]), allow_pickle=True)\n"),
            0);
  ImportOptions options;
  options.proc_file = dir_ / "p_proc.npy";
  options.output_dir = dir_ / "out";
  options.fps = 10;
  const StageResult result = import_metrics(options);
  const core::Table t = core::read_parquet(result.table_path);
  EXPECT_TRUE(t.has("pupil_area"));
  EXPECT_FALSE(t.has("motion_energy"));
  const auto absent = result.summary["model_info"]["absent_columns"].dump();
  EXPECT_NE(absent.find("motion_energy"), std::string::npos) << absent;
  EXPECT_NE(absent.find("blink"), std::string::npos) << absent;
}

TEST_F(ImportFacemap, WrongShapesAreFacemapFormatErrors) {
  ASSERT_EQ(test::run_python("import numpy as np\nn=50\nnp.save('" + (dir_ / "bad_proc.npy").string() +
                             "', dict(pupil=[dict(area=np.ones(n), com=np.zeros((n,3)))]), allow_pickle=True)\n"
                             "np.save('" + (dir_ / "len_proc.npy").string() +
                             "', dict(motion=[np.ones(40, np.float32)], Lybin=np.array([3]), Lxbin=np.array([4]),"
                             " pupil=[dict(area=np.ones(n), com=np.zeros((n,2)))]), allow_pickle=True)\n"),
            0);
  ImportOptions options;
  options.output_dir = dir_ / "out";
  options.fps = 10;
  options.proc_file = dir_ / "bad_proc.npy";
  try {
    import_metrics(options);
    FAIL();
  } catch (const FacemapFormatError& e) {
    EXPECT_NE(std::string(e.what()).find("com"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(50, 3)"), std::string::npos) << e.what();
  }
  options.proc_file = dir_ / "len_proc.npy";
  try {
    import_metrics(options);
    FAIL();
  } catch (const FacemapFormatError& e) {
    EXPECT_NE(std::string(e.what()).find("40"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("50"), std::string::npos) << e.what();
  }
}

TEST_F(ImportFacemap, APickleNamingAnotherGlobalIsRefusedAndNeverRun) {
  const fs::path marker = dir_ / "pwned";
  ASSERT_EQ(test::run_python(
                "import os, pickle, struct\n"
                "class Evil:\n"
                "    def __reduce__(self):\n"
                "        return (os.system, ('touch " + marker.string() + "',))\n"
                "body = pickle.dumps(Evil(), protocol=3)\n"
                "header = \"{'descr': '|O', 'fortran_order': False, 'shape': (), }\"\n"
                "header += ' ' * (63 - (10 + len(header)) % 64) + '\\n'\n"
                "open('" + (dir_ / "evil_proc.npy").string() + "', 'wb').write(b'\\x93NUMPY\\x01\\x00' + struct.pack('<H', len(header)) + header.encode() + body)\n"),
            0);
  auto result = test::run_ethovid("facemap import " + (dir_ / "evil_proc.npy").string() + " -o " +
                                  (dir_ / "out").string() + " --fps 10");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  // os.system pickles as posix.system on Linux; the message names what the file holds.
  EXPECT_NE(result.output.find("posix.system"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("PickleFormatError"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(marker));
}

}  // namespace
}  // namespace ethovid::facemap
