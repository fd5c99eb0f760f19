// Integration test on real infrared rodent-eye frames (../shared/data/rodent_eye): facemap compute
// over the image sequence on the session clock of frame_times.txt, compared with another
// tracker's pupil radii for the same frames. Skips when the shared data folder is absent.
#include <gtest/gtest.h>

#include <hdf5.h>

#include <cmath>
#include <fstream>
#include <numbers>
#include <sstream>

#include "ethovid/core/table.hpp"
#include "ethovid/facemap/facemap.hpp"
#include "facemap_test_util.hpp"
#include "test_support.hpp"

namespace ethovid::facemap {
namespace {

namespace fs = std::filesystem;
constexpr int kFrames = 600;

std::vector<double> read_h5_vector(const fs::path& file, const char* dataset) {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return {};
  const hid_t d = H5Dopen2(f, dataset, H5P_DEFAULT);
  const hid_t space = H5Dget_space(d);
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space, &n, nullptr);
  std::vector<double> values(n);
  H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  H5Sclose(space);
  H5Dclose(d);
  H5Fclose(f);
  return values;
}

// frame_times.txt: tab-separated "frame_number, sync_in1, sync_in2, time_stamp" with a header.
std::vector<double> read_frame_times(const fs::path& file, int frames) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  std::vector<double> times;
  while (static_cast<int>(times.size()) < frames && std::getline(in, line)) {
    std::istringstream row(line);
    double number, sync1, sync2, time;
    row >> number >> sync1 >> sync2 >> time;
    times.push_back(time);
  }
  return times;
}

TEST(FacemapRealData, PupilAreaFollowsAnotherTrackerOnInfraredEyeFrames) {
  ETHOVID_REQUIRE_SHARED_DATA(data);
  const fs::path eye = data / "rodent_eye" / "cox_rodent_eye_ir";
  test::ScratchDir dir;
  const std::vector<double> times = read_frame_times(eye / "frame_times.txt", kFrames);
  ASSERT_EQ(times.size(), static_cast<std::size_t>(kFrames));
  test::write_timestamps(dir / "sync", "eye", times);

  // The region a user would draw around the eye in these 218 x 164 frames.
  const std::string pattern = (eye / "frames" / "%05d.png").string();
  auto run = test::run_ethovid("facemap compute '" + pattern + "' --output " + (dir / "out").string() +
                               " --timestamps " + (dir / "sync").string() +
                               " --pupil-roi 30,20,140,130 --svd-components 20");
  ASSERT_EQ(run.exit_code, 0) << run.output;

  const core::Table table = core::read_parquet(dir / "out" / kTableName);
  ASSERT_EQ(table.rows(), static_cast<std::size_t>(kFrames));
  const auto& time = table.column("time").f64;
  for (int i = 0; i < kFrames; i += 50) EXPECT_NEAR(time[i], times[i], 1e-9);

  const auto radius = read_h5_vector(eye / "full_session_eyetracker_data_sample_data.h5", "pupil_radius");
  ASSERT_GE(radius.size(), static_cast<std::size_t>(kFrames));
  const auto& area = table.column("pupil_area").f64;
  std::vector<double> ours, theirs;
  for (int i = 0; i < kFrames; ++i) {
    if (std::isfinite(area[i]) && std::isfinite(radius[i]) && radius[i] > 0) {
      ours.push_back(area[i]);
      theirs.push_back(std::numbers::pi * radius[i] * radius[i]);
    }
  }
  ASSERT_GT(ours.size(), static_cast<std::size_t>(kFrames * 9 / 10));
  const double r = test::pearson(ours, theirs);
  std::cout << "pupil_area vs reference pi*r^2 on " << ours.size() << " frames: Pearson r = " << r
            << "\n";
  EXPECT_GE(r, 0.9);
}

}  // namespace
}  // namespace ethovid::facemap
