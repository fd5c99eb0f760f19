// .npy reading and writing against files numpy itself writes and reads.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <fstream>

#include "ethovid/core/error.hpp"
#include "ethovid/core/npy.hpp"
#include "test_support.hpp"

namespace ethovid::core {
namespace {

using test::run_python;
using test::ScratchDir;

// The values every dtype fixture holds, as numpy computes them in the fixture script below.
double expected_value(const std::string& code, int i) {
  if (code == "b1") return i % 2;
  if (code[0] == 'u') return i * 3;
  if (code[0] == 'i') return i * 3 - 5;
  return i * 0.5 - 1.25;  // f2, f4, f8 and the real part of c8, c16
}

DType expected_dtype(const std::string& code) {
  const std::pair<const char*, DType> table[] = {
      {"b1", DType::kBool},       {"i1", DType::kInt8},       {"u1", DType::kUInt8},
      {"i2", DType::kInt16},      {"u2", DType::kUInt16},     {"i4", DType::kInt32},
      {"u4", DType::kUInt32},     {"i8", DType::kInt64},      {"u8", DType::kUInt64},
      {"f2", DType::kFloat16},    {"f4", DType::kFloat32},    {"f8", DType::kFloat64},
      {"c8", DType::kComplex64},  {"c16", DType::kComplex128}};
  for (auto [c, d] : table) {
    if (code == c) return d;
  }
  ADD_FAILURE() << "no dtype for " << code;
  return DType::kFloat64;
}

TEST(NpyRead, EveryNumericDtypeInBothByteOrders) {
  ScratchDir dir;
  ASSERT_EQ(run_python(R"(
import numpy as np
codes = ['b1','i1','u1','i2','u2','i4','u4','i8','u8','f2','f4','f8','c8','c16']
i = np.arange(6)
for code in codes:
    for order in '<>':
        if code == 'b1': v = (i % 2).astype(bool)
        elif code[0] == 'u': v = i * 3
        elif code[0] == 'i': v = i * 3 - 5
        elif code[0] == 'c': v = (i * 0.5 - 1.25) + 1j * i
        else: v = i * 0.5 - 1.25
        a = np.asarray(v).astype(order + code).reshape(2, 3)
        suffix = {'<': 'le', '>': 'be'}[order]
        np.save(')" + dir.path().string() + R"(/' + code + '_' + suffix + '.npy', a)
)"),
            0);
  for (std::string code : {"b1", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8",
                           "c8", "c16"}) {
    for (std::string order : {"le", "be"}) {
      SCOPED_TRACE(code + "_" + order);
      NdArray a = read_npy(dir / (code + "_" + order + ".npy"));
      EXPECT_EQ(a.dtype, expected_dtype(code));
      EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
      std::vector<double> values = a.to_double();
      ASSERT_EQ(values.size(), 6u);
      for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(values[i], expected_value(code, i)) << i;
      if (code == "c16") {
        const auto* c = a.data<std::complex<double>>();
        for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(c[i].imag(), i);
      }
      if (code == "c8") {
        const auto* c = a.data<std::complex<float>>();
        for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(c[i].imag(), static_cast<float>(i));
      }
    }
  }
}

TEST(NpyRead, FortranOrderBecomesCOrder) {
  ScratchDir dir;
  ASSERT_EQ(run_python(R"(
import numpy as np
d = ')" + dir.path().string() + R"('
a = np.asfortranarray(np.arange(24, dtype='<f8').reshape(2, 3, 4))
assert a.flags.f_contiguous and not a.flags.c_contiguous
np.save(d + '/f3.npy', a)
b = np.asfortranarray((np.arange(6, dtype='>i4') * 10).reshape(2, 3))
np.save(d + '/f2be.npy', b)
assert b"'fortran_order': True" in open(d + '/f2be.npy', 'rb').read(128)
)"),
            0);
  NdArray a = read_npy(dir / "f3.npy");
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3, 4}));
  const double* p = a.data<double>();
  for (int i = 0; i < 24; ++i) EXPECT_EQ(p[i], i);

  NdArray b = read_npy(dir / "f2be.npy");
  EXPECT_EQ(b.dtype, DType::kInt32);
  EXPECT_EQ(b.shape, (std::vector<std::int64_t>{2, 3}));
  const std::int32_t* q = b.data<std::int32_t>();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(q[i], i * 10);
}

TEST(NpyRead, Float16SpecialValues) {
  ScratchDir dir;
  ASSERT_EQ(run_python(R"(
import numpy as np
h = np.array([0.5, -2.0, 65504.0, 2.0**-24, np.inf, -0.0], dtype='<f2')
np.save(')" + dir.path().string() + R"(/h.npy', h)
)"),
            0);
  std::vector<double> v = read_npy(dir / "h.npy").to_double();
  ASSERT_EQ(v.size(), 6u);
  EXPECT_EQ(v[0], 0.5);
  EXPECT_EQ(v[1], -2.0);
  EXPECT_EQ(v[2], 65504.0);
  EXPECT_EQ(v[3], std::ldexp(1.0, -24));  // smallest subnormal
  EXPECT_TRUE(std::isinf(v[4]) && v[4] > 0);
  EXPECT_TRUE(v[5] == 0.0 && std::signbit(v[5]));
}

TEST(NpyRead, FormatVersions2And3ScalarsAndEmptyArrays) {
  ScratchDir dir;
  ASSERT_EQ(run_python(R"(
import numpy as np
from numpy.lib import format as fmt
d = ')" + dir.path().string() + R"('
for v in [(2, 0), (3, 0)]:
    with open(d + '/v%d.npy' % v[0], 'wb') as f:
        fmt.write_array(f, np.arange(5, dtype='<u2'), version=v)
np.save(d + '/scalar.npy', np.float64(3.25))
np.save(d + '/empty.npy', np.zeros((0, 5), dtype='<f4'))
np.save(d + '/bools.npy', np.array([[True, False], [False, True]]))
)"),
            0);
  for (const char* name : {"v2.npy", "v3.npy"}) {
    NdArray a = read_npy(dir / name);
    EXPECT_EQ(a.dtype, DType::kUInt16);
    EXPECT_EQ(a.shape, (std::vector<std::int64_t>{5}));
    EXPECT_EQ(a.to_double(), (std::vector<double>{0, 1, 2, 3, 4}));
  }
  NdArray s = read_npy(dir / "scalar.npy");
  EXPECT_TRUE(s.shape.empty());
  EXPECT_EQ(s.size(), 1);
  EXPECT_EQ(s.to_double(), (std::vector<double>{3.25}));

  NdArray e = read_npy(dir / "empty.npy");
  EXPECT_EQ(e.shape, (std::vector<std::int64_t>{0, 5}));
  EXPECT_EQ(e.size(), 0);
  EXPECT_TRUE(e.bytes.empty());

  NdArray b = read_npy(dir / "bools.npy");
  EXPECT_EQ(b.dtype, DType::kBool);
  EXPECT_EQ(b.to_double(), (std::vector<double>{1, 0, 0, 1}));

  PyValue loaded = load_npy(dir / "v2.npy");
  ASSERT_TRUE(loaded.is_array());
  EXPECT_EQ(loaded.as_array().size(), 5);
}

TEST(NpyWrite, NumpyReadsBackWhatWeWrite) {
  ScratchDir dir;
  write_npy(dir / "f32.npy", NdArray::from<float>({2, 3}, {0.5f, -1.f, 2.f, 3.5f, 4.f, 1e-3f}));
  write_npy(dir / "i64.npy", NdArray::from<std::int64_t>({4}, {-(std::int64_t{1} << 40), 0, 7, 9}));
  write_npy(dir / "u8.npy", NdArray::from<std::uint8_t>({}, {200}));
  NdArray flags = NdArray::from<std::uint8_t>({3}, {1, 0, 1});
  flags.dtype = DType::kBool;
  write_npy(dir / "bool.npy", flags);
  write_npy(dir / "c16.npy",
            NdArray::from<std::complex<double>>({1, 2}, {{1.0, -2.0}, {0.25, 8.0}}));
  write_npy(dir / "empty.npy", NdArray::from<double>({0, 3}, {}));
  // Overwriting keeps working (rename over an existing file).
  write_npy(dir / "i64.npy", NdArray::from<std::int64_t>({4}, {-(std::int64_t{1} << 40), 0, 7, 9}));

  ASSERT_EQ(run_python(R"(
import numpy as np, os
d = ')" + dir.path().string() + R"('
def check(name, expected, dtype):
    a = np.load(d + '/' + name)
    assert a.dtype == np.dtype(dtype), (name, a.dtype)
    assert a.shape == np.shape(expected), (name, a.shape)
    assert a.flags.c_contiguous
    assert np.array_equal(a, np.asarray(expected, dtype=dtype)), (name, a)
    raw = open(d + '/' + name, 'rb').read()
    assert raw[6:8] == b'\x01\x00', name           # version 1.0
    hlen = int.from_bytes(raw[8:10], 'little')
    assert (10 + hlen) % 64 == 0, name            # data aligned like numpy's own files
check('f32.npy', [[0.5, -1, 2], [3.5, 4, 1e-3]], '<f4')
check('i64.npy', [-(1 << 40), 0, 7, 9], '<i8')
check('u8.npy', 200, 'u1')
check('bool.npy', [True, False, True], '?')
check('c16.npy', [[1 - 2j, 0.25 + 8j]], '<c16')
check('empty.npy', np.zeros((0, 3)), '<f8')
leftovers = [f for f in os.listdir(d) if 'tmp' in f]
assert not leftovers, leftovers
)"),
            0);
}

TEST(NpyWrite, RoundTripThroughOurReader) {
  ScratchDir dir;
  NdArray a = NdArray::from<std::int16_t>({3, 1, 2}, {1, -2, 3, -4, 5, -6});
  write_npy(dir / "a.npy", a);
  NdArray b = read_npy(dir / "a.npy");
  EXPECT_EQ(b.dtype, a.dtype);
  EXPECT_EQ(b.shape, a.shape);
  EXPECT_EQ(b.bytes, a.bytes);
}

TEST(NpyErrors, MissingFileIsMissingInput) {
  ScratchDir dir;
  EXPECT_THROW(read_npy(dir / "absent.npy"), MissingInputError);
  EXPECT_THROW(load_npy(dir / "absent.npy"), MissingInputError);
}

TEST(NpyErrors, TruncatedDataNamesShapeAndSizes) {
  ScratchDir dir;
  ASSERT_EQ(run_python(R"(
import numpy as np
p = ')" + dir.path().string() + R"(/x.npy'
np.save(p, np.zeros((10, 3)))
raw = open(p, 'rb').read()
hlen = 10 + int.from_bytes(raw[8:10], 'little')
open(p, 'wb').write(raw[:hlen + 100])
)"),
            0);
  try {
    read_npy(dir / "x.npy");
    FAIL() << "a truncated file must not load";
  } catch (const NpyFormatError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("x.npy"), std::string::npos) << what;
    EXPECT_NE(what.find("(10, 3)"), std::string::npos) << what;
    EXPECT_NE(what.find("float64"), std::string::npos) << what;
    EXPECT_NE(what.find("240 bytes"), std::string::npos) << what;
    EXPECT_NE(what.find("100 data bytes"), std::string::npos) << what;
  }
}

TEST(NpyErrors, CorruptHeadersAreFormatErrors) {
  ScratchDir dir;
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary) << bytes;
    return dir / name;
  };
  auto npy = [](const std::string& header) {
    std::string out = std::string("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>(header.size() >> 8);
    return out + header;
  };
  EXPECT_THROW(read_npy(write("text.npy", "hello, I am not numpy")), NpyFormatError);
  EXPECT_THROW(read_npy(write("short.npy", "\x93NUM")), NpyFormatError);
  EXPECT_THROW(read_npy(write("empty.npy", "")), NpyFormatError);
  EXPECT_THROW(read_npy(write("version.npy", std::string("\x93NUMPY\x09\x00\x00\x00", 10))),
               NpyFormatError);
  // The header claims more bytes than the file holds.
  EXPECT_THROW(read_npy(write("hlen.npy", std::string("\x93NUMPY\x01\x00\xff\x7f{}", 12))),
               NpyFormatError);
  EXPECT_THROW(read_npy(write("garbage.npy", npy("{'descr': <f8, 'shape': (2,)}\n"))),
               NpyFormatError);
  EXPECT_THROW(read_npy(write("nokeys.npy", npy("{'descr': '<f8'}\n"))), NpyFormatError);
  EXPECT_THROW(
      read_npy(write("dtype.npy", npy("{'descr': '<M8[s]', 'fortran_order': False, "
                                      "'shape': (1,), }\n") + std::string(8, '\0'))),
      NpyFormatError);
  EXPECT_THROW(read_npy(write("negative.npy", npy("{'descr': '<f8', 'fortran_order': False, "
                                                  "'shape': (-1,), }\n"))),
               NpyFormatError);
  // A shape whose byte count overflows 64 bits must be caught, not multiplied blindly.
  EXPECT_THROW(read_npy(write("huge.npy", npy("{'descr': '<f8', 'fortran_order': False, "
                                              "'shape': (4294967296, 4294967296, 16), }\n"))),
               NpyFormatError);
  // Python 2 era headers spell dimensions as longs; these must still load.
  NdArray py2 = read_npy(write("py2.npy", npy("{'descr': '<i4', 'fortran_order': False, "
                                              "'shape': (2L,), }\n") +
                                              std::string("\x01\0\0\0\x02\0\0\0", 8)));
  EXPECT_EQ(py2.to_double(), (std::vector<double>{1, 2}));
}

TEST(NpyErrors, ObjectArrayNeedsLoadNpy) {
  ScratchDir dir;
  ASSERT_EQ(run_python(R"(
import numpy as np
np.save(')" + dir.path().string() + R"(/o.npy', {'a': 1}, allow_pickle=True)
)"),
            0);
  try {
    read_npy(dir / "o.npy");
    FAIL() << "read_npy must refuse an object array";
  } catch (const NpyFormatError& e) {
    EXPECT_NE(std::string(e.what()).find("load_npy"), std::string::npos) << e.what();
  }
  PyValue v = load_npy(dir / "o.npy");
  ASSERT_TRUE(v.is_dict());
  EXPECT_EQ(v.find("a")->as_int(), 1);
}

}  // namespace
}  // namespace ethovid::core
