// The safe pickle reader against pickles Python and numpy write (numpy 1.x and numpy 2.x module
// names, protocols 0-5), hostile pickles, and malformed bytes.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "ethovid/core/error.hpp"
#include "ethovid/core/npy.hpp"
#include "ethovid/core/pickle.hpp"
#include "test_support.hpp"

namespace ethovid::core {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;
using test::read_file;
using test::run_python;
using test::ScratchDir;

PyValue unpickle_file(const fs::path& path) { return unpickle(read_file(path), path.string()); }

// A Facemap-like proc dict with every kind of value the reader supports. `save(d, stem)` is
// defined by each fixture and writes the dict in the formats under test.
const char* kFacemapDict = R"(
import numpy as np
shared = np.array([7, 8, 9], dtype=np.int32)
d = {
    'filenames': [['/data/cam0.avi', '/data/cam1.avi']],
    'motion': [np.zeros(0, np.float32), np.arange(5, dtype=np.float32) * 0.5],
    'motSVD': [np.zeros((0, 0), np.float32),
               (np.arange(12, dtype=np.float32).reshape(4, 3) - 5) / 4],
    'rois': [{'rind': 1, 'rtype': 'Pupil', 'xrange': np.arange(10, 14), 'saturation': 0.75,
              'sigma': np.float64(2.5), 'area': np.float32(1.25), 'count': np.int64(-7),
              'flag': np.bool_(True), 'u8': np.uint8(200), 'half': np.float16(0.5)},
             {'rind': 2, 'rtype': 'motion SVD', 'xrange': np.arange(3), 'saturation': 0.0,
              'sigma': None, 'area': np.float32(-0.5), 'count': np.int32(3),
              'flag': np.bool_(False), 'u8': np.uint8(0), 'half': np.float16(-2)}],
    'pupil': [{'area': np.array([1.5, 2.5, np.nan], np.float32),
               'com': np.arange(6, dtype=np.float64).reshape(3, 2)}],
    'fps': 30.0, 'nframes': 1800, 'big': 2**40, 'neg': -3, 'huge': 2**62 + 1,
    'minus_huge': -2**63, 'ok': True, 'no': False, 'nothing': None,
    'sbin': (4, 'x', 2.5), 'empty_tuple': (), 'raw': b'\x00\x01abc\xff', 'empty_raw': b'',
    'unicode': 'h\u00e9llo \u20ac \U0001F600',
    'fortran': np.asfortranarray(np.arange(6, dtype=np.int16).reshape(2, 3)),
    'bigendian': np.arange(4, dtype='>f8') - 1.5,
    'names': np.array(['ab', 'c\u00e9']),
    'objects': np.array([1, 'x', None], dtype=object),
    'grid': np.array([[1, 2], [3, 4]], dtype=object),
    'tags': {3},
    'shared': shared, 'shared_again': shared,
    7: 'int key',
}
)";

// Makes pickle write numpy 2's module names (numpy._core.*) with numpy 1.x installed: numpy 2
// moved numpy.core to numpy._core, and files written by it name the new modules.
const char* kNumpy2Names = R"(
import sys, types
import numpy.core.multiarray as _ma, numpy.core.numeric as _nm
sys.modules['numpy._core'] = types.ModuleType('numpy._core')
_m = types.ModuleType('numpy._core.multiarray')
_m._reconstruct, _m.scalar = _ma._reconstruct, _ma.scalar
sys.modules['numpy._core.multiarray'] = _m
_n = types.ModuleType('numpy._core.numeric')
_n._frombuffer = _nm._frombuffer
sys.modules['numpy._core.numeric'] = _n
_ma._reconstruct.__module__ = 'numpy._core.multiarray'
_ma.scalar.__module__ = 'numpy._core.multiarray'
_nm._frombuffer.__module__ = 'numpy._core.numeric'
)";

std::vector<double> values(const PyValue& v) { return v.as_array().to_double(); }

const PyValue& at(const PyValue& dict, const std::string& key) {
  const PyValue* v = dict.find(key);
  if (!v) throw std::runtime_error("missing key " + key);
  return *v;
}

void check_facemap_dict(const PyValue& d) {
  ASSERT_TRUE(d.is_dict()) << d.type_name();

  const PyList& filenames = at(d, "filenames").as_list();
  ASSERT_EQ(filenames.size(), 1u);
  ASSERT_EQ(filenames[0].as_list().size(), 2u);
  EXPECT_EQ(filenames[0].as_list()[0].as_string(), "/data/cam0.avi");
  EXPECT_EQ(filenames[0].as_list()[1].as_string(), "/data/cam1.avi");

  const PyList& motion = at(d, "motion").as_list();
  ASSERT_EQ(motion.size(), 2u);
  EXPECT_EQ(motion[0].as_array().dtype, DType::kFloat32);
  EXPECT_EQ(motion[0].as_array().shape, (std::vector<std::int64_t>{0}));
  EXPECT_EQ(motion[1].as_array().dtype, DType::kFloat32);
  EXPECT_EQ(values(motion[1]), (std::vector<double>{0, 0.5, 1, 1.5, 2}));

  const PyList& svd = at(d, "motSVD").as_list();
  ASSERT_EQ(svd.size(), 2u);
  EXPECT_EQ(svd[0].as_array().shape, (std::vector<std::int64_t>{0, 0}));
  EXPECT_EQ(svd[1].as_array().shape, (std::vector<std::int64_t>{4, 3}));
  std::vector<double> svd_values = values(svd[1]);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(svd_values[i], (i - 5) / 4.0);

  const PyList& rois = at(d, "rois").as_list();
  ASSERT_EQ(rois.size(), 2u);
  const PyValue& r0 = rois[0];
  EXPECT_EQ(std::get<std::int64_t>(at(r0, "rind").value), 1);
  EXPECT_EQ(at(r0, "rtype").as_string(), "Pupil");
  EXPECT_EQ(at(r0, "xrange").as_array().dtype, DType::kInt64);
  EXPECT_EQ(values(at(r0, "xrange")), (std::vector<double>{10, 11, 12, 13}));
  EXPECT_EQ(std::get<double>(at(r0, "saturation").value), 0.75);
  EXPECT_EQ(std::get<double>(at(r0, "sigma").value), 2.5);
  EXPECT_EQ(std::get<double>(at(r0, "area").value), 1.25);
  EXPECT_EQ(std::get<std::int64_t>(at(r0, "count").value), -7);
  EXPECT_EQ(std::get<bool>(at(r0, "flag").value), true);
  EXPECT_EQ(std::get<std::int64_t>(at(r0, "u8").value), 200);
  EXPECT_EQ(std::get<double>(at(r0, "half").value), 0.5);
  const PyValue& r1 = rois[1];
  EXPECT_EQ(at(r1, "rtype").as_string(), "motion SVD");
  EXPECT_TRUE(at(r1, "sigma").is_none());
  EXPECT_EQ(at(r1, "area").as_double(), -0.5);
  EXPECT_EQ(std::get<std::int64_t>(at(r1, "count").value), 3);
  EXPECT_EQ(std::get<bool>(at(r1, "flag").value), false);
  EXPECT_EQ(at(r1, "u8").as_int(), 0);
  EXPECT_EQ(at(r1, "half").as_double(), -2.0);

  const PyValue& pupil = at(d, "pupil").as_list().at(0);
  std::vector<double> area = values(at(pupil, "area"));
  ASSERT_EQ(area.size(), 3u);
  EXPECT_EQ(area[0], 1.5);
  EXPECT_EQ(area[1], 2.5);
  EXPECT_TRUE(std::isnan(area[2]));
  EXPECT_EQ(at(pupil, "com").as_array().shape, (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(values(at(pupil, "com")), (std::vector<double>{0, 1, 2, 3, 4, 5}));

  EXPECT_EQ(std::get<double>(at(d, "fps").value), 30.0);
  EXPECT_EQ(std::get<std::int64_t>(at(d, "nframes").value), 1800);
  EXPECT_EQ(at(d, "big").as_int(), std::int64_t{1} << 40);
  EXPECT_EQ(at(d, "neg").as_int(), -3);
  EXPECT_EQ(at(d, "huge").as_int(), (std::int64_t{1} << 62) + 1);
  EXPECT_EQ(at(d, "minus_huge").as_int(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(std::get<bool>(at(d, "ok").value), true);
  EXPECT_EQ(std::get<bool>(at(d, "no").value), false);
  EXPECT_TRUE(at(d, "nothing").is_none());

  ASSERT_TRUE(at(d, "sbin").is_tuple());
  const PyList& sbin = at(d, "sbin").as_list();
  ASSERT_EQ(sbin.size(), 3u);
  EXPECT_EQ(sbin[0].as_int(), 4);
  EXPECT_EQ(sbin[1].as_string(), "x");
  EXPECT_EQ(sbin[2].as_double(), 2.5);
  ASSERT_TRUE(at(d, "empty_tuple").is_tuple());
  EXPECT_TRUE(at(d, "empty_tuple").as_list().empty());

  EXPECT_EQ(std::get<PyBytes>(at(d, "raw").value).data, std::string("\x00\x01" "abc\xff", 6));
  EXPECT_EQ(std::get<PyBytes>(at(d, "empty_raw").value).data, "");
  EXPECT_EQ(at(d, "unicode").as_string(), "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");

  const NdArray& fortran = at(d, "fortran").as_array();
  EXPECT_EQ(fortran.dtype, DType::kInt16);
  EXPECT_EQ(fortran.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(fortran.to_double(), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(values(at(d, "bigendian")), (std::vector<double>{-1.5, -0.5, 0.5, 1.5}));

  const PyList& names = at(d, "names").as_list();
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0].as_string(), "ab");
  EXPECT_EQ(names[1].as_string(), "c\xc3\xa9");

  const PyList& objects = at(d, "objects").as_list();
  ASSERT_EQ(objects.size(), 3u);
  EXPECT_EQ(objects[0].as_int(), 1);
  EXPECT_EQ(objects[1].as_string(), "x");
  EXPECT_TRUE(objects[2].is_none());
  const PyList& grid = at(d, "grid").as_list();
  ASSERT_EQ(grid.size(), 2u);
  EXPECT_EQ(grid[0].as_list()[0].as_int(), 1);
  EXPECT_EQ(grid[0].as_list()[1].as_int(), 2);
  EXPECT_EQ(grid[1].as_list()[0].as_int(), 3);
  EXPECT_EQ(grid[1].as_list()[1].as_int(), 4);

  ASSERT_EQ(at(d, "tags").as_list().size(), 1u);
  EXPECT_EQ(at(d, "tags").as_list()[0].as_int(), 3);
  for (const char* key : {"shared", "shared_again"}) {
    EXPECT_EQ(at(d, key).as_array().dtype, DType::kInt32);
    EXPECT_EQ(values(at(d, key)), (std::vector<double>{7, 8, 9}));
  }

  bool found_int_key = false;
  for (const auto& [k, v] : d.as_dict()) {
    if (const auto* i = std::get_if<std::int64_t>(&k.value); i && *i == 7) {
      EXPECT_EQ(v.as_string(), "int key");
      found_int_key = true;
    }
  }
  EXPECT_TRUE(found_int_key);
}

std::string save_script(const fs::path& dir, bool numpy2) {
  return std::string(numpy2 ? kNumpy2Names : "") + kFacemapDict + R"(
import pickle
d_dir = ')" + dir.string() + R"('
np.save(d_dir + '/proc.npy', d, allow_pickle=True)
for p in (2, 3, 4, 5):
    data = pickle.dumps(d, protocol=p)
    assert (b'numpy._core' in data) == )" + (numpy2 ? "True" : "False") + R"(, p
    assert (b'numpy.core' in data) == )" + (numpy2 ? "False" : "True") + R"(, p
    open(d_dir + '/p%d.pkl' % p, 'wb').write(data)
raw = open(d_dir + '/proc.npy', 'rb').read()
assert (b'numpy._core.multiarray' in raw) == )" + (numpy2 ? "True" : "False") + R"(
)";
}

TEST(PickleFacemap, NumpySaveOfADictReadsValueByValue) {
  ScratchDir dir;
  ASSERT_EQ(run_python(save_script(dir.path(), false)), 0);
  {
    SCOPED_TRACE("np.save");
    check_facemap_dict(load_npy(dir / "proc.npy"));
  }
  for (int p : {2, 3, 4, 5}) {
    SCOPED_TRACE("protocol " + std::to_string(p));
    check_facemap_dict(unpickle_file(dir / ("p" + std::to_string(p) + ".pkl")));
  }
}

TEST(PickleFacemap, Numpy2ModuleNames) {
  ScratchDir dir;
  ASSERT_EQ(run_python(save_script(dir.path(), true)), 0);
  {
    SCOPED_TRACE("np.save");
    check_facemap_dict(load_npy(dir / "proc.npy"));
  }
  for (int p : {2, 3, 4, 5}) {
    SCOPED_TRACE("protocol " + std::to_string(p));
    check_facemap_dict(unpickle_file(dir / ("p" + std::to_string(p) + ".pkl")));
  }
}

TEST(PickleFacemap, ObjectArraysOfSeveralItemsAreLists) {
  ScratchDir dir;
  ASSERT_EQ(run_python(R"(
import numpy as np
a = np.empty(2, dtype=object)
a[0] = {'k': 1}
a[1] = np.arange(3.0)
np.save(')" + dir.path().string() + R"(/objs.npy', a, allow_pickle=True)
)"),
            0);
  PyValue v = load_npy(dir / "objs.npy");
  ASSERT_TRUE(v.is_list()) << v.type_name();
  ASSERT_EQ(v.as_list().size(), 2u);
  EXPECT_EQ(v.as_list()[0].find("k")->as_int(), 1);
  EXPECT_EQ(values(v.as_list()[1]), (std::vector<double>{0, 1, 2}));
}

TEST(PickleProtocols, TextProtocolsZeroAndOne) {
  ScratchDir dir;
  ASSERT_EQ(run_python(R"(
import pickle
d = {'a': [1, -2.5, 'x', None, True, False, (1,)], 'b': '\u20ac\\n', 'c': 12345678901234}
for p in (0, 1):
    open(')" + dir.path().string() + R"(/t%d.pkl' % p, 'wb').write(pickle.dumps(d, protocol=p))
)"),
            0);
  for (int p : {0, 1}) {
    SCOPED_TRACE("protocol " + std::to_string(p));
    PyValue d = unpickle_file(dir / ("t" + std::to_string(p) + ".pkl"));
    const PyList& a = at(d, "a").as_list();
    ASSERT_EQ(a.size(), 7u);
    EXPECT_EQ(a[0].as_int(), 1);
    EXPECT_EQ(std::get<double>(a[1].value), -2.5);
    EXPECT_EQ(a[2].as_string(), "x");
    EXPECT_TRUE(a[3].is_none());
    EXPECT_EQ(std::get<bool>(a[4].value), true);
    EXPECT_EQ(std::get<bool>(a[5].value), false);
    EXPECT_TRUE(a[6].is_tuple());
    EXPECT_EQ(at(d, "b").as_string(), "\xe2\x82\xac\\n");
    EXPECT_EQ(at(d, "c").as_int(), 12345678901234);
  }
}

TEST(PickleProtocols, Python2Strings) {
  // SHORT_BINSTRING, BINSTRING and STRING (with escapes) as Python 2 wrote str; read as latin-1.
  const std::string bytes = "\x80\x02U\x03" "abcT\x02\x00\x00\x00hiS'a\\x41\\n\\'\\xe9'\n\x87."s;
  PyValue v = unpickle(bytes, "py2.pkl");
  const PyList& t = v.as_list();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].as_string(), "abc");
  EXPECT_EQ(t[1].as_string(), "hi");
  EXPECT_EQ(t[2].as_string(), "aA\n'\xc3\xa9");
}

void expect_refused(const std::string& bytes, const std::string& global) {
  try {
    unpickle(bytes, "evil.pkl");
    FAIL() << "a pickle naming " << global << " must be refused";
  } catch (const PickleFormatError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("evil.pkl"), std::string::npos) << what;
    EXPECT_NE(what.find("global " + global + ","), std::string::npos) << what;
    EXPECT_NE(what.find("refusing"), std::string::npos) << what;
  }
}

TEST(PickleSafety, RefusesOsSystem) {
  ScratchDir dir;
  const fs::path marker = dir / "pwned";
  expect_refused("cos\nsystem\n(S'touch " + marker.string() + "'\ntR.", "os.system");
  expect_refused("\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x8c\x06system\x93"
                 "\x8c\x04true\x85R."s,
                 "os.system");
  EXPECT_FALSE(fs::exists(marker));
}

TEST(PickleSafety, RefusesGlobalsPythonWritesForCode) {
  ScratchDir dir;
  const fs::path marker = dir / "pwned";
  ASSERT_EQ(run_python(R"(
import os, pickle, numpy as np
d = ')" + dir.path().string() + R"('
class Evil:
    def __reduce__(self):
        return (os.system, ('touch )" + marker.string() + R"(',))
class Eval:
    def __reduce__(self):
        return (eval, ('1 + 1',))
open(d + '/system.pkl', 'wb').write(pickle.dumps({'x': Evil()}, protocol=4))
open(d + '/eval.pkl', 'wb').write(pickle.dumps([Eval()], protocol=2))
np.save(d + '/evil.npy', {'roi': [Evil()]}, allow_pickle=True)
)"),
            0);
  // os.system is posix.system on Linux; the name the pickle carries is what we report.
  expect_refused(read_file(dir / "system.pkl"), "posix.system");
  expect_refused(read_file(dir / "eval.pkl"), "__builtin__.eval");
  try {
    load_npy(dir / "evil.npy");
    FAIL() << "an .npy whose pickle names posix.system must be refused";
  } catch (const PickleFormatError& e) {
    EXPECT_NE(std::string(e.what()).find("posix.system"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("evil.npy"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(marker));
}

void expect_malformed(const std::string& bytes, const std::string& needle) {
  try {
    unpickle(bytes, "bad.pkl");
    FAIL() << "malformed pickle accepted; expected an error about " << needle;
  } catch (const PickleFormatError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(PickleSafety, MalformedStreamsAreFormatErrors) {
  expect_malformed("\x80\x02" "a."s, "underflow");
  expect_malformed("\x80\x02" "."s, "underflow");
  expect_malformed("\x80\x02\xff."s, "0xff");
  expect_malformed("\x80\x02\xff."s, "byte 2");
  expect_malformed("\x80\x02h\x05."s, "memo");
  expect_malformed("\x80\x02N"s, "STOP");
  expect_malformed(""s, "STOP");
  expect_malformed("\x80\x09N."s, "protocol 9");
  expect_malformed("\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\x7f"s, "truncated");
  expect_malformed("\x80\x04\x8e\x00\x00\x00\x00\x00\x00\x00\x80"s, "truncated");
  expect_malformed("\x80\x02X\xff\xff\xff\xff"s, "truncated");
  expect_malformed("\x80\x02(K\x01" "d."s, "odd");
  expect_malformed("\x80\x02K\x01K\x02K\x03s."s, "dict");  // SETITEM on an int
  expect_malformed("\x80\x02" "1."s, "MARK");
  // A long integer beyond 64 bits.
  expect_malformed("\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01."s, "64 bits");
  // numpy's own globals, misused: BUILD on a plain list, an array that never gets its state.
  expect_malformed("\x80\x02]N" "b."s, "state");
  expect_malformed(
      "\x80\x02" "cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85" "C\x01" "b"
      "\x87R."s,
      "BUILD");
}

TEST(PickleSafety, EveryTruncationAndByteFlipFailsCleanly) {
  ScratchDir dir;
  ASSERT_EQ(run_python(std::string(kFacemapDict) + R"(
import pickle
for p in (2, 5):
    open(')" + dir.path().string() + R"(/p%d.pkl' % p, 'wb').write(pickle.dumps(d, protocol=p))
)"),
            0);
  for (int p : {2, 5}) {
    const std::string good = read_file(dir / ("p" + std::to_string(p) + ".pkl"));
    ASSERT_GT(good.size(), 100u);
    check_facemap_dict(unpickle(good, "good.pkl"));
    for (std::size_t n = 0; n < good.size(); ++n) {
      EXPECT_THROW(unpickle(good.substr(0, n), "cut.pkl"), PickleFormatError) << n;
    }
    // Flipped bytes may still form a valid pickle; what matters is that nothing but a
    // PickleFormatError ever comes out (no crash, no other exception, no huge allocation).
    int failures = 0;
    for (std::size_t i = 0; i < good.size(); ++i) {
      for (unsigned char value : {0x00, 0xff, 0x7f, 0x28, 0x52, 0x62}) {
        std::string bad = good;
        bad[i] = static_cast<char>(value);
        try {
          unpickle(bad, "flip.pkl");
        } catch (const PickleFormatError&) {
          ++failures;
        }
      }
    }
    EXPECT_GT(failures, 0);
  }
}

TEST(PickleSafety, CyclesDeepNestingAndExpansionBombs) {
  ScratchDir dir;
  ASSERT_EQ(run_python(R"(
import pickle
d = ')" + dir.path().string() + R"('
cycle = []
cycle.append(cycle)
open(d + '/cycle.pkl', 'wb').write(pickle.dumps(cycle, protocol=2))
bomb = [0]
for _ in range(64):
    bomb = [bomb, bomb]
open(d + '/bomb.pkl', 'wb').write(pickle.dumps(bomb, protocol=4))
)"),
            0);
  try {
    unpickle_file(dir / "cycle.pkl");
    FAIL() << "a self-referencing list must be refused";
  } catch (const PickleFormatError& e) {
    EXPECT_NE(std::string(e.what()).find("itself"), std::string::npos) << e.what();
  }
  try {
    unpickle_file(dir / "bomb.pkl");
    FAIL() << "a memo expansion bomb must be refused";
  } catch (const PickleFormatError& e) {
    EXPECT_NE(std::string(e.what()).find("expands to more than"), std::string::npos) << e.what();
  }
  // 5000 nested lists: deeper than any pickle.dumps output.
  std::string deep = "\x80\x02";
  deep += std::string(5000, ']');
  deep += std::string(4999, 'a');
  deep += '.';
  expect_malformed(deep, "deeper");
}

}  // namespace
}  // namespace ethovid::core
