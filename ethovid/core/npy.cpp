#include "ethovid/core/npy.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cctype>
#include <charconv>
#include <fstream>

#include "ethovid/core/atomic_file.hpp"
#include "ethovid/core/error.hpp"
#include "ethovid/core/input_file.hpp"
#include "ethovid/core/pickle.hpp"

namespace ethovid::core {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kMagic = "\x93NUMPY";

// The header is a Python dict literal. This parser reads the literals numpy writes (dict, str,
// tuple, list, int, True/False/None) into a PyValue; it evaluates nothing.
class LiteralParser {
 public:
  LiteralParser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  PyValue parse_all() {
    PyValue v = value();
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the header dict");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw NpyFormatError(source_ + ": malformed .npy header (" + what + " at character " +
                         std::to_string(pos_) + "): " + std::string(text_.substr(0, 200)));
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool eat(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool eat_word(std::string_view word) {
    skip_space();
    if (text_.substr(pos_, word.size()) == word) {
      pos_ += word.size();
      return true;
    }
    return false;
  }

  // Items up to `close`, allowing Python's trailing comma.
  PyList sequence(char close) {
    PyList items;
    while (!eat(close)) {
      items.push_back(value());
      if (!eat(',')) {
        if (!eat(close)) fail(std::string("expected ',' or '") + close + "'");
        break;
      }
    }
    return items;
  }

  PyValue value() {
    skip_space();
    if (pos_ >= text_.size()) fail("unexpected end");
    const char c = text_[pos_];
    if (c == '{') {
      ++pos_;
      PyDict dict;
      while (!eat('}')) {
        PyValue key = value();
        if (!eat(':')) fail("expected ':'");
        dict.emplace_back(std::move(key), value());
        if (!eat(',')) {
          if (!eat('}')) fail("expected ',' or '}'");
          break;
        }
      }
      return dict;
    }
    if (c == '(') {
      ++pos_;
      return PyTuple{sequence(')')};
    }
    if (c == '[') {
      ++pos_;
      return sequence(']');
    }
    if (c == '\'' || c == '"') return string(c);
    if (eat_word("True")) return true;
    if (eat_word("False")) return false;
    if (eat_word("None")) return PyNone{};
    return integer();
  }

  PyValue string(char quote) {
    ++pos_;
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      out += text_[pos_++];
    }
    if (pos_ >= text_.size()) fail("unterminated string");
    ++pos_;
    return out;
  }

  PyValue integer() {
    const std::size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, v);
    if (ec != std::errc() || end != text_.data() + pos_ || pos_ == start) fail("expected a value");
    if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;  // Python 2 long suffix
    return v;
  }

  std::string_view text_;
  const std::string& source_;
  std::size_t pos_ = 0;
};

struct Header {
  std::string descr;
  bool object = false;
  DType dtype = DType::kFloat64;
  char order = '|';
  bool fortran = false;
  std::vector<std::int64_t> shape;
  std::size_t data_offset = 0;
};

template <typename T>
T load_le(const char* p) {
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    v |= static_cast<T>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return v;
}

Header parse_header(std::string_view bytes, const std::string& source) {
  if (bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic) {
    throw NpyFormatError(source + ": not a .npy file (it does not start with \\x93NUMPY)");
  }
  if (bytes.size() < 10) throw NpyFormatError(source + ": .npy file is truncated in its preamble");
  const int major = static_cast<unsigned char>(bytes[6]);
  const int minor = static_cast<unsigned char>(bytes[7]);
  std::size_t header_len;
  std::size_t start;
  if (major == 1) {
    header_len = load_le<std::uint16_t>(bytes.data() + 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) {
      throw NpyFormatError(source + ": .npy file is truncated in its preamble");
    }
    header_len = load_le<std::uint32_t>(bytes.data() + 8);
    start = 12;
  } else {
    throw NpyFormatError(source + ": .npy format version " + std::to_string(major) + "." +
                         std::to_string(minor) + " is not supported (1.0, 2.0 and 3.0 are)");
  }
  if (header_len > bytes.size() - start) {
    throw NpyFormatError(source + ": .npy header says it is " + std::to_string(header_len) +
                         " bytes, but the file has only " + std::to_string(bytes.size() - start) +
                         " bytes after the preamble");
  }
  // Version 1 and 2 headers are latin-1, version 3 UTF-8; numpy only writes ASCII in practice.
  const PyValue dict = LiteralParser(bytes.substr(start, header_len), source).parse_all();
  if (!dict.is_dict()) throw NpyFormatError(source + ": .npy header is not a dict");

  Header h;
  h.data_offset = start + header_len;
  const PyValue* descr = dict.find("descr");
  const PyValue* fortran = dict.find("fortran_order");
  const PyValue* shape = dict.find("shape");
  if (!descr || !fortran || !shape) {
    throw NpyFormatError(source + ": .npy header lacks 'descr', 'fortran_order' or 'shape'");
  }
  if (!descr->is_string()) {
    throw NpyFormatError(source + ": .npy holds a structured (record) dtype, which is not "
                         "supported");
  }
  h.descr = descr->as_string();
  std::string_view code = h.descr;
  if (!code.empty() && std::string_view("<>|=").find(code[0]) != std::string_view::npos) {
    h.order = code[0];
    code.remove_prefix(1);
  }
  if (!code.empty() && code[0] == 'O') {
    h.object = true;
  } else if (auto dtype = dtype_from_code(code)) {
    h.dtype = *dtype;
  } else {
    throw NpyFormatError(source + ": .npy dtype '" + h.descr + "' is not supported (numeric and "
                         "object dtypes are)");
  }
  if (!std::holds_alternative<bool>(fortran->value)) {
    throw NpyFormatError(source + ": .npy header 'fortran_order' is not True or False");
  }
  h.fortran = std::get<bool>(fortran->value);
  if (!shape->is_tuple()) throw NpyFormatError(source + ": .npy header 'shape' is not a tuple");
  for (const PyValue& d : shape->as_list()) {
    const auto* n = std::get_if<std::int64_t>(&d.value);
    if (!n || *n < 0) throw NpyFormatError(source + ": .npy header 'shape' has a bad dimension");
    h.shape.push_back(*n);
  }
  return h;
}

// An open .npy file whose header has been parsed; the data is read separately so that a large
// array goes straight from the file into its NdArray, without a second copy in memory.
struct NpyFile {
  std::ifstream in;
  std::uint64_t size = 0;
  Header header;
};

NpyFile open_npy(const fs::path& path, const std::string& source) {
  std::error_code ec;
  require_input_file(path, source + ": file not found");
  NpyFile f;
  f.size = fs::file_size(path, ec);
  f.in.open(path, std::ios::binary);
  if (ec || !f.in) throw MissingInputError(source + ": cannot open for reading");
  // Read the preamble, then exactly as much header as it announces (parse_header checks the
  // announced length against what was read).
  std::string head(static_cast<std::size_t>(std::min<std::uint64_t>(f.size, 12)), '\0');
  f.in.read(head.data(), static_cast<std::streamsize>(head.size()));
  if (head.size() >= 12 && head.substr(0, kMagic.size()) == kMagic) {
    const bool v1 = head[6] == '\x01';
    const std::uint64_t len = v1 ? load_le<std::uint16_t>(head.data() + 8)
                                 : load_le<std::uint32_t>(head.data() + 8);
    const std::uint64_t want = std::min<std::uint64_t>(f.size, (v1 ? 10 : 12) + len);
    head.resize(static_cast<std::size_t>(want));
    f.in.seekg(0);
    f.in.read(head.data(), static_cast<std::streamsize>(head.size()));
  }
  if (!f.in) throw MissingInputError(source + ": read failed");
  f.header = parse_header(head, source);
  return f;
}

// An NdArray of the header's dtype and shape with room for its data, after checking that the
// file holds that many bytes.
NdArray sized_array(const Header& h, std::uint64_t available, const std::string& source) {
  NdArray a;
  a.dtype = h.dtype;
  a.shape = h.shape;
  const std::size_t item = dtype_size(h.dtype);
  // Guards the multiplication: a corrupt header can claim any shape.
  std::uint64_t count = 1;
  bool overflow = false;
  for (std::int64_t d : h.shape) {
    if (d != 0 && count > (std::uint64_t{1} << 56) / static_cast<std::uint64_t>(d)) {
      overflow = true;
    }
    count *= static_cast<std::uint64_t>(d);
  }
  if (overflow || count * item > available) {
    throw NpyFormatError(source + ": header says shape " + a.shape_string() + " of " +
                         dtype_name(h.dtype) + " = " +
                         (overflow ? std::string("too many") : std::to_string(count * item)) +
                         " bytes, file has " + std::to_string(available) + " data bytes");
  }
  a.bytes.resize(static_cast<std::size_t>(count * item));
  return a;
}

// Native byte order and C order, whatever the file used.
void normalize(const Header& h, NdArray& a) {
  const bool little = std::endian::native == std::endian::little;
  if ((h.order == '<' && !little) || (h.order == '>' && little)) byteswap_elements(a);
  if (h.fortran) fortran_to_c_order(a);
}

NdArray read_numeric(NpyFile& f, const std::string& source) {
  NdArray a = sized_array(f.header, f.size - f.header.data_offset, source);
  f.in.seekg(static_cast<std::streamoff>(f.header.data_offset));
  f.in.read(reinterpret_cast<char*>(a.bytes.data()), static_cast<std::streamsize>(a.bytes.size()));
  if (!f.in) throw MissingInputError(source + ": read failed");
  normalize(f.header, a);
  return a;
}

}  // namespace

PyValue parse_npy(std::string_view bytes, const std::string& source) {
  const Header h = parse_header(bytes, source);
  if (h.object) {
    // np.save pickles the whole object array; the pickle reader returns a 0-d object array as
    // its one element (np.save of a dict is the dict) and others as nested lists.
    return unpickle(bytes.substr(h.data_offset), source);
  }
  NdArray a = sized_array(h, bytes.size() - h.data_offset, source);
  std::memcpy(a.bytes.data(), bytes.data() + h.data_offset, a.bytes.size());
  normalize(h, a);
  return a;
}

NdArray read_npy(const fs::path& path) {
  const std::string source = path.string();
  NpyFile f = open_npy(path, source);
  if (f.header.object) {
    throw NpyFormatError(source + ": holds an object array (np.save with allow_pickle), not "
                         "numbers; it must be read with load_npy");
  }
  return read_numeric(f, source);
}

PyValue load_npy(const fs::path& path) {
  const std::string source = path.string();
  NpyFile f = open_npy(path, source);
  if (!f.header.object) return read_numeric(f, source);
  std::string pickle(static_cast<std::size_t>(f.size - f.header.data_offset), '\0');
  f.in.seekg(static_cast<std::streamoff>(f.header.data_offset));
  f.in.read(pickle.data(), static_cast<std::streamsize>(pickle.size()));
  if (!f.in) throw MissingInputError(source + ": read failed");
  return unpickle(pickle, source);
}

void write_npy(const fs::path& path, const NdArray& array) {
  assert(array.bytes.size() == static_cast<std::size_t>(array.size()) * dtype_size(array.dtype));
  const bool little = std::endian::native == std::endian::little;
  const std::size_t item = dtype_size(array.dtype);
  const char order = item == 1 ? '|' : '<';

  const std::string dict = "{'descr': '" + std::string(1, order) + dtype_code(array.dtype) +
                           "', 'fortran_order': False, 'shape': " + array.shape_string() + ", }";
  // numpy pads with spaces so the data starts on a 64-byte boundary, ending in a newline.
  // Version 1.0 has a 2-byte header length; only a shape of thousands of dimensions needs 2.0.
  auto padded = [&dict](std::size_t preamble) {
    std::string h = dict;
    h.append((64 - (preamble + h.size() + 1) % 64) % 64, ' ');
    return h + '\n';
  };
  std::string header = padded(10);
  std::string prefix(kMagic);
  if (header.size() <= 0xffff) {
    prefix += '\x01';
    prefix += '\x00';
    for (int i = 0; i < 2; ++i) prefix += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  } else {
    header = padded(12);
    prefix += '\x02';
    prefix += '\x00';
    for (int i = 0; i < 4; ++i) prefix += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  }

  write_atomically(path, [&](const fs::path& temp) {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(prefix.data(), static_cast<std::streamsize>(prefix.size()));
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    if (little || item == 1) {
      out.write(reinterpret_cast<const char*>(array.bytes.data()),
                static_cast<std::streamsize>(array.bytes.size()));
    } else {
      NdArray swapped = array;
      byteswap_elements(swapped);
      out.write(reinterpret_cast<const char*>(swapped.bytes.data()),
                static_cast<std::streamsize>(swapped.bytes.size()));
    }
    out.close();
    if (!out) {
      throw Error("could not write " + path.string() + " (" +
                  std::to_string(array.bytes.size()) + " data bytes; disk full or no permission?)");
    }
  });
}

}  // namespace ethovid::core
