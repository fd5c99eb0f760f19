#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <thread>

#include "ethovid/core/duckdb_handle.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/table.hpp"
#include "test_support.hpp"

namespace ethovid::core {
namespace {

namespace fs = std::filesystem;
using test::ScratchDir;

constexpr double kNaN64 = std::numeric_limits<double>::quiet_NaN();
constexpr float kNaN32 = std::numeric_limits<float>::quiet_NaN();

// Floats compare bit for bit so NaN equals NaN and -0.0 differs from 0.0.
template <typename T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

void expect_same_column(const Column& a, const Column& b) {
  SCOPED_TRACE("column " + a.name());
  EXPECT_EQ(a.spec.name, b.spec.name);
  EXPECT_EQ(a.spec.type, b.spec.type);
  EXPECT_EQ(a.spec.list_size, b.spec.list_size);
  EXPECT_EQ(a.valid, b.valid);
  // NULL rows hold no value, so only valid rows are compared for floats written by callers.
  auto masked_f64 = [](const Column& c) {
    std::vector<double> v = c.f64;
    for (std::size_t i = 0; i < c.valid.size() && i < v.size(); ++i)
      if (!c.valid[i]) v[i] = 0;
    return v;
  };
  auto masked_f32 = [](const Column& c) {
    std::vector<float> v = c.f32;
    const std::size_t width = c.spec.type == ColumnType::kFloatList ? c.spec.list_size : 1;
    for (std::size_t i = 0; i < c.valid.size() && (i + 1) * width <= v.size(); ++i) {
      if (!c.valid[i]) std::fill_n(v.begin() + i * width, width, 0.0f);
    }
    return v;
  };
  EXPECT_TRUE(same_bits(masked_f64(a), masked_f64(b)));
  EXPECT_TRUE(same_bits(masked_f32(a), masked_f32(b)));
  EXPECT_EQ(a.i64, b.i64);
  EXPECT_EQ(a.i8, b.i8);
  auto masked_str = [](const Column& c) {
    std::vector<std::string> v = c.str;
    for (std::size_t i = 0; i < c.valid.size() && i < v.size(); ++i)
      if (!c.valid[i]) v[i].clear();
    return v;
  };
  EXPECT_EQ(masked_str(a), masked_str(b));
}

void expect_same_table(const Table& a, const Table& b) {
  ASSERT_EQ(a.columns().size(), b.columns().size());
  EXPECT_EQ(a.rows(), b.rows());
  for (std::size_t i = 0; i < a.columns().size(); ++i) {
    expect_same_column(a.columns()[i], b.columns()[i]);
  }
}

std::vector<std::string> list_dir(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// Every column type, NaN/inf/-0, NULLs, empty and unicode strings, names that need quoting, and
// more rows than one DuckDB vector (2048) so chunking is exercised.
Table sample_table(std::size_t rows, std::size_t offset = 0) {
  Table t;
  std::vector<double> f64(rows);
  std::vector<float> f32(rows);
  std::vector<std::int64_t> i64(rows);
  std::vector<std::int8_t> i8(rows), flags(rows);
  std::vector<std::string> str(rows);
  std::vector<float> emb(rows * 512);
  std::vector<std::uint8_t> valid_str(rows), valid_emb(rows);
  const std::string texts[] = {"", "plain", "naïve ☃ 日本語", "it's \"quoted\"",
                               "a longer string that does not fit inline in duckdb"};
  for (std::size_t k = 0; k < rows; ++k) {
    const std::size_t r = k + offset;
    f64[k] = r % 7 == 0 ? kNaN64 : r % 11 == 0 ? -0.0 : r % 13 == 0 ? INFINITY : 0.25 * r - 3;
    f32[k] = r % 5 == 0 ? kNaN32 : static_cast<float>(r) / 3.0f;
    i64[k] = r % 17 == 0   ? std::numeric_limits<std::int64_t>::min()
             : r % 19 == 0 ? std::numeric_limits<std::int64_t>::max()
                           : static_cast<std::int64_t>(r) * 1000003 - 5;
    i8[k] = static_cast<std::int8_t>(static_cast<int>(r % 256) - 128);
    flags[k] = r % 3 == 0;
    str[k] = texts[r % 5];
    valid_str[k] = r % 4 != 1;
    valid_emb[k] = r % 9 != 2;
    for (int j = 0; j < 512; ++j)
      emb[k * 512 + j] = (j == 7 && r % 6 == 0) ? kNaN32 : 0.001f * (r + j);
  }
  t.add(Column::float64("f64", f64));
  t.add(Column::float32("f32", f32));
  t.add(Column::int64("we\"ird 'name", i64));
  t.add(Column::int8("Δt", i8));
  t.add(Column::boolean("#1", flags));
  Column s = Column::string("label", str);
  s.valid = valid_str;
  t.add(std::move(s));
  Column e = Column::float_list("embedding", 512, emb);
  e.valid = valid_emb;
  t.add(std::move(e));
  // NULLs in a numeric column too.
  Column nullable = Column::float64("maybe", std::vector<double>(rows, 1.5));
  nullable.valid.assign(rows, 1);
  for (std::size_t k = 0; k < rows; ++k) nullable.valid[k] = (k + offset) % 1000 != 3;
  t.add(std::move(nullable));
  return t;
}

TEST(TableTest, AddRejectsMismatchedLengths) {
  Table t;
  t.add(Column::float64("a", {1, 2, 3}));
  try {
    t.add(Column::int64("b", {1, 2}));
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("2 rows"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("has 3"), std::string::npos) << e.what();
  }
  EXPECT_EQ(t.columns().size(), 1u);
}

TEST(TableTest, AddRejectsDuplicateNamesAndBadMasks) {
  Table t;
  t.add(Column::float64("a", {1, 2}));
  EXPECT_THROW(t.add(Column::float64("a", {1, 2})), FormatError);
  Column c = Column::float64("b", {1, 2});
  c.valid = {1};
  EXPECT_THROW(t.add(std::move(c)), FormatError);
  EXPECT_THROW(Column::float_list("e", 3, {1, 2, 3, 4}), FormatError);
  EXPECT_THROW(Column::float_list("e", 0, {}), FormatError);
}

TEST(TableTest, LookupAndSchema) {
  Table t;
  t.add(Column::float_list("e", 2, {1, 2, 3, 4, 5, 6}));
  t.add(Column::string("s", {"x", "y", "z"}));
  EXPECT_EQ(t.rows(), 3u);
  EXPECT_TRUE(t.has("s"));
  EXPECT_FALSE(t.has("S"));
  EXPECT_EQ(t.column("e").rows(), 3u);
  EXPECT_THROW(t.column("missing"), FormatError);
  const auto schema = t.schema();
  ASSERT_EQ(schema.size(), 2u);
  EXPECT_EQ(schema[0].type, ColumnType::kFloatList);
  EXPECT_EQ(schema[0].list_size, 2);
  EXPECT_EQ(schema[1].name, "s");
}

TEST(ParquetTest, RoundTripEveryType) {
  ScratchDir dir;
  const Table original = sample_table(5000);
  write_parquet(original, dir / "t.parquet");
  const Table back = read_parquet(dir / "t.parquet");
  expect_same_table(original, back);
  // Columns written without NULLs come back without a mask.
  EXPECT_TRUE(back.column("f64").valid.empty());
  EXPECT_FALSE(back.column("label").valid.empty());
  EXPECT_TRUE(std::isnan(back.column("f64").f64[0]));
  EXPECT_TRUE(std::signbit(back.column("f64").f64[11]));
  EXPECT_EQ(back.column("label").str[2], "naïve ☃ 日本語");
  EXPECT_EQ(back.column("embedding").spec.list_size, 512);
  // Only the output is left in the folder.
  EXPECT_EQ(list_dir(dir.path()), std::vector<std::string>{"t.parquet"});
}

TEST(ParquetTest, EmptyTableKeepsSchema) {
  ScratchDir dir;
  Table t;
  t.add(Column::float64("x", {}));
  t.add(Column::string("s", {}));
  write_parquet(t, dir / "empty.parquet");
  const Table back = read_parquet(dir / "empty.parquet");
  EXPECT_EQ(back.rows(), 0u);
  ASSERT_EQ(back.columns().size(), 2u);
  EXPECT_EQ(back.columns()[1].spec.type, ColumnType::kString);
}

TEST(ParquetTest, OverwritesExistingFile) {
  ScratchDir dir;
  Table a;
  a.add(Column::int64("n", {1, 2, 3}));
  write_parquet(a, dir / "t.parquet");
  Table b;
  b.add(Column::int64("n", {9}));
  write_parquet(b, dir / "t.parquet");
  EXPECT_EQ(read_parquet(dir / "t.parquet").column("n").i64, std::vector<std::int64_t>{9});
  EXPECT_EQ(list_dir(dir.path()), std::vector<std::string>{"t.parquet"});
}

TEST(ParquetTest, MaxRowsReadsOnlyTheFirstRows) {
  ScratchDir dir;
  Table t;
  std::vector<std::int64_t> n(5000);
  for (std::size_t i = 0; i < n.size(); ++i) n[i] = static_cast<std::int64_t>(i) * 3;
  t.add(Column::int64("n", n));
  t.add(Column::float_list("e", 2, std::vector<float>(n.size() * 2, 0.5f)));
  write_parquet(t, dir / "t.parquet");
  const Table head = read_parquet(dir / "t.parquet", std::nullopt, 4);
  EXPECT_EQ(head.column("n").i64, (std::vector<std::int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(head.column("e").f32.size(), 8u);
  EXPECT_EQ(read_parquet(dir / "t.parquet", std::nullopt, 99999).rows(), 5000u);
  EXPECT_EQ(read_parquet(dir / "t.parquet", std::nullopt, 0).rows(), 0u);
}

// Parquet keeps FLOAT[n] only as a list; the size must survive tables whose rows never show it.
TEST(ParquetTest, FloatListSizeSurvivesEmptyAndAllNullColumns) {
  ScratchDir dir;
  Table t;
  t.add(Column::float64("x", {1, 2}));
  Column nulls = Column::float_list("e", 3, std::vector<float>(6, 0.0f));
  nulls.valid = {0, 0};
  t.add(std::move(nulls));
  write_parquet(t, dir / "nulls.parquet");
  const Column back = read_parquet(dir / "nulls.parquet").column("e");
  EXPECT_EQ(back.spec.list_size, 3);
  EXPECT_EQ(back.valid, (std::vector<std::uint8_t>{0, 0}));
  EXPECT_EQ(back.f32.size(), 6u);

  Table empty;
  empty.add(Column::float_list("e", 8, {}));
  write_parquet(empty, dir / "empty.parquet");
  EXPECT_EQ(read_parquet(dir / "empty.parquet").column("e").spec.list_size, 8);
}

TEST(ParquetTest, ColumnSelectionPicksAndOrders) {
  ScratchDir dir;
  Table t;
  t.add(Column::float64("a", {1, 2}));
  t.add(Column::int64("b", {3, 4}));
  t.add(Column::string("c", {"x", "y"}));
  write_parquet(t, dir / "t.parquet");
  const Table back = read_parquet(dir / "t.parquet", std::vector<std::string>{"c", "a"});
  ASSERT_EQ(back.columns().size(), 2u);
  EXPECT_EQ(back.columns()[0].name(), "c");
  EXPECT_EQ(back.columns()[1].name(), "a");
  EXPECT_EQ(back.column("a").f64, (std::vector<double>{1, 2}));
  try {
    read_parquet(dir / "t.parquet", std::vector<std::string>{"A"});  // names are case-sensitive
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("t.parquet"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'A'"), std::string::npos) << e.what();
  }
}

TEST(ParquetTest, NonParquetFileIsParquetFormatError) {
  ScratchDir dir;
  std::ofstream(dir / "notes.parquet") << "this is not parquet at all, just some text\n";
  try {
    read_parquet(dir / "notes.parquet");
    FAIL() << "expected ParquetFormatError";
  } catch (const ParquetFormatError& e) {
    EXPECT_NE(std::string(e.what()).find("notes.parquet"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_parquet(dir.path()), ParquetFormatError);
}

TEST(ParquetTest, MissingFileIsMissingInputError) {
  ScratchDir dir;
  EXPECT_THROW(read_parquet(dir / "absent.parquet"), MissingInputError);
}

TEST(ParquetTest, WriteRejectsBadSchemas) {
  ScratchDir dir;
  EXPECT_THROW(write_parquet(Table{}, dir / "none.parquet"), FormatError);
  Table t;
  t.add(Column::float64("x", {1}));
  t.add(Column::float64("X", {2}));  // distinct here, one name to DuckDB and pandas
  EXPECT_THROW(write_parquet(t, dir / "case.parquet"), FormatError);
  EXPECT_TRUE(list_dir(dir.path()).empty());
}

TEST(ParquetTest, WriteIntoMissingFolderFailsCleanly) {
  ScratchDir dir;
  Table t;
  t.add(Column::float64("x", {1}));
  EXPECT_THROW(write_parquet(t, dir / "no" / "such" / "t.parquet"), Error);
  EXPECT_TRUE(list_dir(dir.path()).empty());
}

TEST(ParquetTest, PathsWithQuotesAndGlobCharacters) {
  ScratchDir dir;
  Table real;
  real.add(Column::int64("v", {42}));
  Table decoy;
  decoy.add(Column::int64("v", {7}));
  // As globs, "run[1]" would match "run1" and "a*b?" would match "aXbY"; the literal files must
  // be the ones read. (DuckDB falls back to the literal path when a glob matches nothing, so the
  // decoys are what make this test able to fail.)
  const fs::path plain = dir / "it's plain";
  fs::create_directory(plain);
  write_parquet(decoy, plain / "run1.parquet");
  write_parquet(real, plain / "run[1].parquet");
  EXPECT_EQ(read_parquet(plain / "run[1].parquet").column("v").i64, std::vector<std::int64_t>{42});
  write_parquet(decoy, plain / "aXbY.parquet");
  write_parquet(real, plain / "a*b?.parquet");
  EXPECT_EQ(read_parquet(plain / "a*b?.parquet").column("v").i64, std::vector<std::int64_t>{42});
  // Glob characters in a folder name as well.
  const fs::path odd = dir / "[odd] *?";
  fs::create_directory(odd);
  write_parquet(real, odd / "t.parquet");
  EXPECT_EQ(read_parquet(odd / "t.parquet").column("v").i64, std::vector<std::int64_t>{42});
}

TEST(ParquetTest, FileIsZstdParquetWithMagic) {
  ScratchDir dir;
  write_parquet(sample_table(100), dir / "t.parquet");
  const std::string bytes = test::read_file(dir / "t.parquet");
  ASSERT_GT(bytes.size(), 12u);
  EXPECT_EQ(bytes.substr(0, 4), "PAR1");
  EXPECT_EQ(bytes.substr(bytes.size() - 4), "PAR1");

  duck::Database db("", {});
  duck::Connection connection(db);
  duck::Result result = connection.query("SELECT DISTINCT compression FROM parquet_metadata(" +
                                         duck::quote_string((dir / "t.parquet").string()) + ")");
  std::set<std::string> codecs;
  while (duck::DataChunk chunk = result.fetch()) {
    auto* values = static_cast<duckdb_string_t*>(duckdb_vector_get_data(chunk.vector(0)));
    for (idx_t i = 0; i < chunk.size(); ++i) {
      codecs.emplace(duckdb_string_t_data(&values[i]), duckdb_string_t_length(values[i]));
    }
  }
  EXPECT_EQ(codecs, std::set<std::string>{"ZSTD"});
}

// An independent reader of the container: Python checks the magic and that the footer length
// recorded before the trailing magic fits inside the file.
TEST(ParquetTest, PythonSeesAWellFormedContainer) {
  ScratchDir dir;
  write_parquet(sample_table(10), dir / "t.parquet");
  const std::string script =
      "import struct, sys\n"
      "data = open(r'''" +
      (dir / "t.parquet").string() +
      "''', 'rb').read()\n"
      "assert data[:4] == b'PAR1' and data[-4:] == b'PAR1', 'magic'\n"
      "(footer,) = struct.unpack('<I', data[-8:-4])\n"
      "assert 0 < footer < len(data) - 12, footer\n"
      "assert b'embedding' in data[-8 - footer:-8], 'column name in footer'\n";
  EXPECT_EQ(test::run_python(script), 0);
}

TEST(ParquetTest, ReadsOtherWritersTypes) {
  ScratchDir dir;
  const std::string path = (dir / "foreign.parquet").string();
  {
    duck::Database db("", {});
    duck::Connection connection(db);
    connection.query(
        "COPY (SELECT i::INTEGER AS i32, i::SMALLINT AS i16, i::UTINYINT AS u8, "
        "i::UBIGINT AS u64, CASE WHEN i = 1 THEN NULL ELSE [i, i + 0.5]::FLOAT[] END AS lst "
        "FROM range(3) r(i)) TO " +
        duck::quote_string(path) + " (FORMAT PARQUET)");
  }
  const Table t = read_parquet(path);
  EXPECT_EQ(t.column("i32").spec.type, ColumnType::kInt64);
  EXPECT_EQ(t.column("u64").i64, (std::vector<std::int64_t>{0, 1, 2}));
  const Column& lst = t.column("lst");
  EXPECT_EQ(lst.spec.type, ColumnType::kFloatList);
  EXPECT_EQ(lst.spec.list_size, 2);
  EXPECT_EQ(lst.valid, (std::vector<std::uint8_t>{1, 0, 1}));
  ASSERT_EQ(lst.f32.size(), 6u);
  EXPECT_EQ(lst.f32[4], 2.0f);
  EXPECT_EQ(lst.f32[5], 2.5f);
}

// TIMESTAMP WITH TIME ZONE keeps the instant to the microsecond (before and after 1970, NULLs),
// through both writers, and DuckDB sees it as a zoned timestamp with the same epoch value.
TEST(ParquetTest, BlobRoundTripKeepsEveryByte) {
  // Encoded images are bytes, not text: NULs, bytes over 0x7f and an empty value survive both
  // writers and DuckDB types the column BLOB; a NULL stays NULL.
  ScratchDir dir;
  const std::vector<std::string> bytes{std::string("\x89PNG\r\n\x1a\n\0\0\xff", 11), "", "jpeg?",
                                       std::string(70000, '\xd8')};
  Table t;
  Column blob = Column::blob("image_bytes", bytes);
  blob.valid = {1, 1, 0, 1};
  t.add(std::move(blob));
  write_parquet(t, dir / "one.parquet");
  {
    ParquetStreamWriter writer(dir / "stream.parquet", t.schema());
    writer.append(t);
    writer.close();
  }
  for (const char* name : {"one.parquet", "stream.parquet"}) {
    SCOPED_TRACE(name);
    const Table back = read_parquet(dir / name);
    const Column& c = back.column("image_bytes");
    ASSERT_EQ(c.spec.type, ColumnType::kBlob);
    EXPECT_EQ(c.valid, (std::vector<std::uint8_t>{1, 1, 0, 1}));
    EXPECT_EQ(c.str[0], bytes[0]);
    EXPECT_EQ(c.str[1], "");
    EXPECT_EQ(c.str[3], bytes[3]);
    const Table types = query_table("SELECT typeof(image_bytes) AS t FROM read_parquet(" +
                                        duck::quote_string((dir / name).string()) + ") LIMIT 1",
                                    "the blob test");
    EXPECT_EQ(types.column("t").str.front(), "BLOB");
  }
}

TEST(ParquetTest, TimestampUtcRoundTrip) {
  ScratchDir dir;
  // 2026-12-04T23:59:59.999999Z, the epoch itself, 1969-12-31T23:59:59.5Z, a NULL.
  const std::vector<std::int64_t> micros{1796428799999999, 0, -500000, 42};
  Table t;
  Column ts = Column::timestamp_utc("ts", micros);
  ts.valid = {1, 1, 1, 0};
  t.add(std::move(ts));
  t.add(Column::int64("i", {1, 2, 3, 4}));
  write_parquet(t, dir / "one.parquet");
  {
    ParquetStreamWriter writer(dir / "stream.parquet", t.schema());
    writer.append(t);
    writer.close();
  }
  for (const char* name : {"one.parquet", "stream.parquet"}) {
    SCOPED_TRACE(name);
    const Table back = read_parquet(dir / name);
    ASSERT_EQ(back.column("ts").spec.type, ColumnType::kTimestampUtc);
    EXPECT_EQ(back.column("ts").valid, (std::vector<std::uint8_t>{1, 1, 1, 0}));
    EXPECT_EQ(std::vector<std::int64_t>(back.column("ts").i64.begin(),
                                        back.column("ts").i64.begin() + 3),
              std::vector<std::int64_t>(micros.begin(), micros.begin() + 3));
    duck::Database db("", {});
    duck::Connection connection(db);
    const std::string src = "read_parquet(" + duck::quote_string((dir / name).string()) + ")";
    duck::Result types = connection.query("SELECT column_type FROM (DESCRIBE SELECT ts FROM " +
                                          src + ")");
    duck::DataChunk chunk = types.fetch();
    ASSERT_TRUE(chunk);
    duckdb_string_t type = static_cast<duckdb_string_t*>(duckdb_vector_get_data(chunk.vector(0)))[0];
    EXPECT_EQ(std::string(duckdb_string_t_data(&type), duckdb_string_t_length(type)),
              "TIMESTAMP WITH TIME ZONE");
    duck::Result epochs =
        connection.query("SELECT epoch_us(ts) FROM " + src + " WHERE i = 1");
    duck::DataChunk e = epochs.fetch();
    ASSERT_TRUE(e);
    EXPECT_EQ(static_cast<std::int64_t*>(duckdb_vector_get_data(e.vector(0)))[0], micros[0]);
  }
}

// Another writer's zoned timestamp reads as kTimestampUtc; a timestamp without a zone does not
// name an instant and stays unsupported.
TEST(ParquetTest, ForeignTimestampsZonedOnly) {
  ScratchDir dir;
  const std::string zoned = (dir / "zoned.parquet").string();
  const std::string naive = (dir / "naive.parquet").string();
  {
    duck::Database db("", {});
    duck::Connection connection(db);
    connection.query("COPY (SELECT make_timestamptz(1700000000123456) AS ts) TO " +
                     duck::quote_string(zoned) + " (FORMAT PARQUET)");
    connection.query("COPY (SELECT TIMESTAMP '2024-01-02 03:04:05' AS ts) TO " +
                     duck::quote_string(naive) + " (FORMAT PARQUET)");
  }
  const Table t = read_parquet(zoned);
  EXPECT_EQ(t.column("ts").spec.type, ColumnType::kTimestampUtc);
  EXPECT_EQ(t.column("ts").i64, (std::vector<std::int64_t>{1700000000123456}));
  test::expect_error<ParquetFormatError>([&] { read_parquet(naive); }, {"'ts'", "TIMESTAMP"});
}

TEST(ParquetTest, UnsupportedAndRaggedColumnsAreParquetFormatErrors) {
  ScratchDir dir;
  const std::string dates = (dir / "dates.parquet").string();
  const std::string ragged = (dir / "ragged.parquet").string();
  {
    duck::Database db("", {});
    duck::Connection connection(db);
    connection.query("COPY (SELECT 1 AS ok, DATE '2024-01-02' AS day) TO " +
                     duck::quote_string(dates) + " (FORMAT PARQUET)");
    connection.query("COPY (SELECT [1, 2]::FLOAT[] AS e UNION ALL SELECT [1, 2, 3]::FLOAT[]) TO " +
                     duck::quote_string(ragged) + " (FORMAT PARQUET)");
  }
  try {
    read_parquet(dates);
    FAIL() << "expected ParquetFormatError";
  } catch (const ParquetFormatError& e) {
    EXPECT_NE(std::string(e.what()).find("'day'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("DATE"), std::string::npos) << e.what();
  }
  // Selecting around the unsupported column works.
  EXPECT_EQ(read_parquet(dates, std::vector<std::string>{"ok"}).column("ok").i64.size(), 1u);
  try {
    read_parquet(ragged);
    FAIL() << "expected ParquetFormatError";
  } catch (const ParquetFormatError& e) {
    EXPECT_NE(std::string(e.what()).find("2 and 3"), std::string::npos) << e.what();
  }
}

TEST(ParquetStreamWriterTest, BatchesEqualOneShotWrite) {
  ScratchDir dir;
  const std::size_t sizes[] = {1, 0, 3000, 17, 2048, 500};
  Table whole_parts;
  ParquetStreamWriter writer(dir / "stream.parquet", sample_table(1).schema());
  std::size_t offset = 0;
  for (std::size_t n : sizes) {
    writer.append(sample_table(n, offset));
    offset += n;
  }
  EXPECT_EQ(writer.rows_written(), static_cast<std::int64_t>(offset));
  writer.close();
  write_parquet(sample_table(offset), dir / "oneshot.parquet");
  expect_same_table(read_parquet(dir / "oneshot.parquet"), read_parquet(dir / "stream.parquet"));
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"oneshot.parquet", "stream.parquet"}));
}

TEST(ParquetStreamWriterTest, DestroyedWithoutCloseLeavesNoFiles) {
  ScratchDir dir;
  {
    ParquetStreamWriter writer(dir / "out.parquet", sample_table(1).schema());
    writer.append(sample_table(4000));
    // The temporary Parquet file appears once DuckDB's COPY has started on its thread.
    for (int i = 0; i < 500 && list_dir(dir.path()).empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_FALSE(list_dir(dir.path()).empty());
  }
  EXPECT_TRUE(list_dir(dir.path()).empty());
}

TEST(ParquetStreamWriterTest, SchemaMismatchIsFormatError) {
  ScratchDir dir;
  ParquetStreamWriter writer(dir / "out.parquet", {{"a", ColumnType::kFloat64, 0}});
  Table wrong_type;
  wrong_type.add(Column::float32("a", {1}));
  EXPECT_THROW(writer.append(wrong_type), FormatError);
  Table extra;
  extra.add(Column::float64("a", {1}));
  extra.add(Column::float64("b", {1}));
  EXPECT_THROW(writer.append(extra), FormatError);
  Table right;
  right.add(Column::float64("a", {1, 2}));
  writer.append(right);
  writer.close();
  EXPECT_EQ(read_parquet(dir / "out.parquet").column("a").f64, (std::vector<double>{1, 2}));
}

// Many one-row batches are packed several to a DuckDB chunk; NULL bits must land on the right rows.
TEST(ParquetStreamWriterTest, TinyBatchesKeepRowsAndNulls) {
  ScratchDir dir;
  ParquetStreamWriter writer(dir / "tiny.parquet",
                             {{"v", ColumnType::kInt64, 0}, {"s", ColumnType::kString, 0}});
  std::vector<std::int64_t> all_v;
  std::vector<std::uint8_t> all_valid;
  std::vector<std::string> all_s;  // NULL rows read back as ""
  for (int i = 0; i < 3000; ++i) {
    Table batch;
    batch.add(Column::int64("v", {i}));
    Column s = Column::string("s", {"row " + std::to_string(i)});
    if (i % 7 == 3) s.valid = {0};
    batch.add(std::move(s));
    writer.append(batch);
    all_v.push_back(i);
    all_valid.push_back(i % 7 == 3 ? 0 : 1);
    all_s.push_back(i % 7 == 3 ? "" : "row " + std::to_string(i));
  }
  writer.close();
  const Table back = read_parquet(dir / "tiny.parquet");
  EXPECT_EQ(back.column("v").i64, all_v);
  EXPECT_EQ(back.column("s").valid, all_valid);
  EXPECT_EQ(back.column("s").str, all_s);
}

TEST(ParquetStreamWriterTest, MissingFolderFailsAtConstruction) {
  ScratchDir dir;
  EXPECT_THROW(ParquetStreamWriter(dir / "absent" / "out.parquet", {{"a", ColumnType::kInt8, 0}}),
               Error);
  EXPECT_TRUE(list_dir(dir.path()).empty());
}

TEST(ParquetStreamWriterTest, ZeroBatchesWriteAnEmptyTable) {
  ScratchDir dir;
  ParquetStreamWriter writer(dir / "out.parquet", {{"e", ColumnType::kFloatList, 4}});
  writer.close();
  const Table back = read_parquet(dir / "out.parquet");
  EXPECT_EQ(back.rows(), 0u);
  ASSERT_EQ(back.columns().size(), 1u);
  EXPECT_EQ(back.columns()[0].spec.type, ColumnType::kFloatList);
  EXPECT_EQ(back.columns()[0].spec.list_size, 4);
}

}  // namespace
}  // namespace ethovid::core
