// HDF5 writing and reading: what the writer commits the reader (and h5py) reads back; an abandoned
// writer leaves nothing; reading names the missing object.
#include <gtest/gtest.h>

#include "ethovid/core/error.hpp"
#include "ethovid/core/hdf5_file.hpp"
#include "ethovid/core/hdf5_writer.hpp"
#include "test_support.hpp"

namespace ethovid {
namespace {

namespace fs = std::filesystem;

TEST(Hdf5, WrittenDatasetsAndAttributesReadBackHereAndInH5py) {
  test::ScratchDir dir;
  const fs::path file = dir / "out.h5";
  {
    core::Hdf5Writer writer(file);
    const std::vector<double> values = {1.5, 2.5, 3.5, 4.5, 5.5, 6.5};
    writer.write_doubles("rec1/latent_state", {3, 2}, values.data());
    writer.write_floats("rec1/heading", {6}, values.data());
    const std::vector<std::int64_t> ints = {4, -1, 7};
    writer.write_ints("rec1/syllable", {3}, ints.data());
    writer.set_attribute("rec1", "name", std::string("mouse one"));
    writer.set_attribute("/", "iteration", 42.0);
    EXPECT_FALSE(fs::exists(file)) << "nothing shows before commit";
    writer.commit();
  }
  const core::Hdf5File read(file);
  const auto latent = read.read_numbers("rec1/latent_state");
  EXPECT_EQ(latent.shape, (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(latent.values[5], 6.5);
  EXPECT_EQ(read.read_numbers("rec1/syllable").values[1], -1);
  EXPECT_FLOAT_EQ(static_cast<float>(read.read_numbers("rec1/heading").values[2]), 3.5f);
  EXPECT_EQ(read.string_attribute("rec1", "name"), "mouse one");
  EXPECT_EQ(read.number_attribute("/", "iteration"), 42);
  EXPECT_EQ(read.children("/"), std::vector<std::string>{"rec1"});
  EXPECT_EQ(test::run_python("import h5py\nf = h5py.File('" + file.string() + "')\n"
                             "assert f['rec1/syllable'][:].tolist() == [4, -1, 7]\n"
                             "assert f['rec1/latent_state'].shape == (3, 2)\n"
                             "assert f['rec1/heading'].dtype.name == 'float32'\n"
                             "assert f['rec1'].attrs['name'] == 'mouse one'\n"),
            0);
  test::expect_error<FormatError>([&] { read.read_numbers("rec2/x"); }, {"out.h5 has no dataset rec2/x"});
  {
    core::Hdf5Writer abandoned(dir / "gone.h5");
    const double one = 1;
    abandoned.write_doubles("x", {1}, &one);
  }
  EXPECT_FALSE(fs::exists(dir / "gone.h5"));
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1u) << "the abandoned writer left its partial file";
}

}  // namespace
}  // namespace ethovid
