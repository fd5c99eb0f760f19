// MATLAB .mat reading: v5 files written by scipy.io.savemat, v7.3 (HDF5) files written by matio.
#include <gtest/gtest.h>
#include <matio.h>

#include <complex>
#include <fstream>

#include "ethovid/core/error.hpp"
#include "ethovid/core/mat.hpp"
#include "test_support.hpp"

namespace ethovid::core {
namespace {

namespace fs = std::filesystem;
using test::run_python;
using test::ScratchDir;

const PyValue& at(const PyValue& dict, const std::string& key) {
  const PyValue* v = dict.find(key);
  if (!v) throw std::runtime_error("missing key " + key);
  return *v;
}

std::vector<double> values(const PyValue& v) { return v.as_array().to_double(); }
using Shape = std::vector<std::int64_t>;

TEST(MatV5, ScipyFileReadsValueByValue) {
  ScratchDir dir;
  ASSERT_EQ(run_python(R"(
import numpy as np, scipy.io as sio
c = np.empty(3, dtype=object)
c[0], c[1], c[2] = 1.0, 'two', np.arange(3, dtype=np.int32)
grid = np.empty((2, 2), dtype=object)
grid[0, 0], grid[0, 1], grid[1, 0], grid[1, 1] = 1.0, 2.0, 3.0, 4.0
sa = np.array([(1.0, 'a'), (2.0, 'b')], dtype=[('v', 'O'), ('n', 'O')])
sio.savemat(')" + (dir / "v5.mat").string() + R"(', {
    'a': np.arange(6.0).reshape(2, 3),
    'v': np.arange(4, dtype=np.float32),
    'i16': np.array([[1, -2], [3, 4]], dtype=np.int16),
    'u8': np.array([[200]], dtype=np.uint8),
    'flags': np.array([True, False, True]),
    'name': 'h\u00e9llo',
    'rows': np.array(['ab', 'cd']),
    'cube': np.arange(24.0).reshape(2, 3, 4),
    'cm': np.array([[1 + 2j, 3 - 4j]]),
    'st': {'x': 1.5, 'label': 'abc', 'm': np.array([[1, 2], [3, 4]], dtype=np.int32)},
    'c': c,
    'sa': sa,
    'e': np.zeros((0, 0)),
    'cgrid': grid,
})
)"),
            0);
  PyValue m = read_mat(dir / "v5.mat");
  ASSERT_TRUE(m.is_dict());

  EXPECT_EQ(at(m, "a").as_array().dtype, DType::kFloat64);
  EXPECT_EQ(at(m, "a").as_array().shape, (Shape{2, 3}));
  EXPECT_EQ(values(at(m, "a")), (std::vector<double>{0, 1, 2, 3, 4, 5}));

  EXPECT_EQ(at(m, "v").as_array().dtype, DType::kFloat32);
  EXPECT_EQ(at(m, "v").as_array().shape, (Shape{1, 4}));  // MATLAB's shape is kept
  EXPECT_EQ(values(at(m, "v")), (std::vector<double>{0, 1, 2, 3}));

  EXPECT_EQ(at(m, "i16").as_array().dtype, DType::kInt16);
  EXPECT_EQ(values(at(m, "i16")), (std::vector<double>{1, -2, 3, 4}));
  EXPECT_EQ(at(m, "u8").as_array().dtype, DType::kUInt8);
  EXPECT_EQ(at(m, "u8").as_int(), 200);

  EXPECT_EQ(at(m, "flags").as_array().dtype, DType::kBool);
  EXPECT_EQ(at(m, "flags").as_array().shape, (Shape{1, 3}));
  EXPECT_EQ(values(at(m, "flags")), (std::vector<double>{1, 0, 1}));

  EXPECT_EQ(at(m, "name").as_string(), "h\xc3\xa9llo");
  const PyList& rows = at(m, "rows").as_list();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].as_string(), "ab");
  EXPECT_EQ(rows[1].as_string(), "cd");

  const NdArray& cube = at(m, "cube").as_array();
  EXPECT_EQ(cube.shape, (Shape{2, 3, 4}));
  std::vector<double> cube_values = cube.to_double();
  for (int i = 0; i < 24; ++i) EXPECT_EQ(cube_values[i], i);

  const NdArray& cm = at(m, "cm").as_array();
  EXPECT_EQ(cm.dtype, DType::kComplex128);
  EXPECT_EQ(cm.shape, (Shape{1, 2}));
  EXPECT_EQ(cm.data<std::complex<double>>()[0], std::complex<double>(1, 2));
  EXPECT_EQ(cm.data<std::complex<double>>()[1], std::complex<double>(3, -4));

  const PyValue& st = at(m, "st");
  ASSERT_TRUE(st.is_dict()) << st.type_name();
  EXPECT_EQ(at(st, "x").as_double(), 1.5);
  EXPECT_EQ(at(st, "label").as_string(), "abc");
  EXPECT_EQ(at(st, "m").as_array().dtype, DType::kInt32);
  EXPECT_EQ(values(at(st, "m")), (std::vector<double>{1, 2, 3, 4}));

  const PyList& c = at(m, "c").as_list();
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].as_double(), 1.0);
  EXPECT_EQ(c[1].as_string(), "two");
  EXPECT_EQ(c[2].as_array().dtype, DType::kInt32);
  EXPECT_EQ(values(c[2]), (std::vector<double>{0, 1, 2}));

  const PyList& sa = at(m, "sa").as_list();
  ASSERT_EQ(sa.size(), 2u);
  EXPECT_EQ(at(sa[0], "v").as_double(), 1.0);
  EXPECT_EQ(at(sa[0], "n").as_string(), "a");
  EXPECT_EQ(at(sa[1], "v").as_double(), 2.0);
  EXPECT_EQ(at(sa[1], "n").as_string(), "b");

  EXPECT_EQ(at(m, "e").as_array().size(), 0);

  const PyList& grid = at(m, "cgrid").as_list();
  ASSERT_EQ(grid.size(), 2u);
  EXPECT_EQ(grid[0].as_list().at(0).as_double(), 1.0);
  EXPECT_EQ(grid[0].as_list().at(1).as_double(), 2.0);
  EXPECT_EQ(grid[1].as_list().at(0).as_double(), 3.0);
  EXPECT_EQ(grid[1].as_list().at(1).as_double(), 4.0);
}

void write(mat_t* mat, matvar_t* var) {
  ASSERT_NE(var, nullptr);
  EXPECT_EQ(Mat_VarWrite(mat, var, MAT_COMPRESSION_NONE), 0) << var->name;
  Mat_VarFree(var);
}

TEST(MatV73, MatioFileReadsValueByValue) {
  ScratchDir dir;
  const fs::path path = dir / "v73.mat";
  mat_t* mat = Mat_CreateVer(path.c_str(), nullptr, MAT_FT_MAT73);
  ASSERT_NE(mat, nullptr) << "matio was built without HDF5 (v7.3) support";
  {
    // MATLAB is column-major: element (r, c) of a 2x3 matrix is at r + 2c.
    size_t dims[2] = {2, 3};
    double a[6];
    for (int r = 0; r < 2; ++r) {
      for (int c = 0; c < 3; ++c) a[r + 2 * c] = r * 3 + c;
    }
    write(mat, Mat_VarCreate("a", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims, a, 0));

    size_t cube_dims[3] = {2, 2, 2};
    float cube[8];
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 2; ++j) {
        for (int k = 0; k < 2; ++k) {
          cube[i + 2 * j + 4 * k] = static_cast<float>(i * 4 + j * 2 + k);
        }
      }
    }
    write(mat, Mat_VarCreate("cube", MAT_C_SINGLE, MAT_T_SINGLE, 3, cube_dims, cube, 0));

    size_t row[2] = {1, 4};
    std::int32_t iv[4] = {5, -6, 7, -8};
    write(mat, Mat_VarCreate("iv", MAT_C_INT32, MAT_T_INT32, 2, row, iv, 0));

    size_t three[2] = {1, 3};
    std::uint8_t flags[3] = {1, 0, 1};
    write(mat, Mat_VarCreate("flags", MAT_C_UINT8, MAT_T_UINT8, 2, three, flags, MAT_F_LOGICAL));

    char text[] = "hello";
    size_t text_dims[2] = {1, 5};
    write(mat, Mat_VarCreate("name", MAT_C_CHAR, MAT_T_UTF8, 2, text_dims, text, 0));

    size_t one[2] = {1, 1};
    const char* fields[2] = {"x", "label"};
    matvar_t* st = Mat_VarCreateStruct("st", 2, one, fields, 2);
    double x = 2.5;
    Mat_VarSetStructFieldByName(st, "x", 0, Mat_VarCreate(nullptr, MAT_C_DOUBLE, MAT_T_DOUBLE, 2,
                                                          one, &x, 0));
    char label[] = "roi";
    size_t label_dims[2] = {1, 3};
    Mat_VarSetStructFieldByName(st, "label", 0, Mat_VarCreate(nullptr, MAT_C_CHAR, MAT_T_UTF8, 2,
                                                              label_dims, label, 0));
    write(mat, st);

    size_t pair[2] = {1, 2};
    matvar_t* cell = Mat_VarCreate("c", MAT_C_CELL, MAT_T_CELL, 2, pair, nullptr, 0);
    double y = -1.25;
    Mat_VarSetCell(cell, 0, Mat_VarCreate(nullptr, MAT_C_DOUBLE, MAT_T_DOUBLE, 2, one, &y, 0));
    char word[] = "two";
    Mat_VarSetCell(cell, 1, Mat_VarCreate(nullptr, MAT_C_CHAR, MAT_T_UTF8, 2, label_dims, word, 0));
    write(mat, cell);
  }
  Mat_Close(mat);

  PyValue m = read_mat(path);
  ASSERT_TRUE(m.is_dict());
  EXPECT_EQ(at(m, "a").as_array().shape, (Shape{2, 3}));
  EXPECT_EQ(values(at(m, "a")), (std::vector<double>{0, 1, 2, 3, 4, 5}));

  const NdArray& cube = at(m, "cube").as_array();
  EXPECT_EQ(cube.dtype, DType::kFloat32);
  EXPECT_EQ(cube.shape, (Shape{2, 2, 2}));
  EXPECT_EQ(cube.to_double(), (std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7}));

  EXPECT_EQ(at(m, "iv").as_array().dtype, DType::kInt32);
  EXPECT_EQ(at(m, "iv").as_array().shape, (Shape{1, 4}));
  EXPECT_EQ(values(at(m, "iv")), (std::vector<double>{5, -6, 7, -8}));

  EXPECT_EQ(at(m, "flags").as_array().dtype, DType::kBool);
  EXPECT_EQ(values(at(m, "flags")), (std::vector<double>{1, 0, 1}));

  EXPECT_EQ(at(m, "name").as_string(), "hello");

  const PyValue& st = at(m, "st");
  ASSERT_TRUE(st.is_dict()) << st.type_name();
  EXPECT_EQ(at(st, "x").as_double(), 2.5);
  EXPECT_EQ(at(st, "label").as_string(), "roi");

  const PyList& c = at(m, "c").as_list();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].as_double(), -1.25);
  EXPECT_EQ(c[1].as_string(), "two");
}

TEST(MatErrors, SparseVariableIsNamed) {
  ScratchDir dir;
  ASSERT_EQ(run_python(R"(
import numpy as np, scipy.io as sio, scipy.sparse as sp
variables = {'ok': np.ones(2), 'conn': sp.eye(3).tocsc()}
sio.savemat(')" + (dir / "sparse.mat").string() + R"(', variables)
)"),
            0);
  try {
    read_mat(dir / "sparse.mat");
    FAIL() << "a sparse variable must be refused";
  } catch (const MatFormatError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("sparse.mat"), std::string::npos) << what;
    EXPECT_NE(what.find("'conn'"), std::string::npos) << what;
    EXPECT_NE(what.find("sparse matrix"), std::string::npos) << what;
  }
}

TEST(MatErrors, TruncatedV5FileIsAFormatError) {
  ScratchDir dir;
  const fs::path path = dir / "cut.mat";
  ASSERT_EQ(run_python(R"(
import numpy as np, scipy.io as sio
p = ')" + path.string() + R"('
sio.savemat(p, {'first': np.arange(3.0), 'second': np.arange(100.0), 'third': 'abc'})
raw = open(p, 'rb').read()
open(p, 'wb').write(raw[:len(raw) - 200])
)"),
            0);
  try {
    read_mat(path);
    FAIL() << "a truncated .mat file must not load as if complete";
  } catch (const MatFormatError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cut.mat"), std::string::npos) << what;
    EXPECT_NE(what.find("truncated"), std::string::npos) << what;
  }
}

TEST(MatErrors, NotAMatFileAndMissingFile) {
  ScratchDir dir;
  std::ofstream(dir / "notes.mat") << std::string(400, 'x') << "this is a text file, not MATLAB";
  EXPECT_THROW(read_mat(dir / "notes.mat"), MatFormatError);
  std::ofstream(dir / "empty.mat");
  EXPECT_THROW(read_mat(dir / "empty.mat"), MatFormatError);
  EXPECT_THROW(read_mat(dir / "absent.mat"), MissingInputError);
}

}  // namespace
}  // namespace ethovid::core
