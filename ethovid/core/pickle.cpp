// A pickle virtual machine that only builds data. Objects live in an arena (so memo references and
// self-references are plain pointers, and nothing leaks on error); the result is converted into a
// PyValue tree at STOP. Callables are never called: the handful of numpy/builtin globals that data
// pickles need are recognised by name and emulated here.
#include "ethovid/core/pickle.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <deque>
#include <limits>
#include <optional>
#include <unordered_map>

#include "ethovid/core/error.hpp"
#include "ethovid/core/utf8.hpp"

namespace ethovid::core {

namespace {

// Nesting deeper than Python's own recursion limit cannot come from pickle.dumps; it is a
// self-referencing or hostile stream. The node budget stops "billion laughs" memo sharing from
// expanding into an enormous tree.
constexpr int kMaxDepth = 1000;
constexpr std::uint64_t kMaxNodes = 20'000'000;

enum class Callable {
  kReconstruct,   // numpy.core.multiarray._reconstruct(ndarray, shape, typecode)
  kNdarrayClass,  // numpy.ndarray, only ever an argument of _reconstruct
  kDType,         // numpy.dtype(code, align, copy)
  kScalar,        // numpy.core.multiarray.scalar(dtype, bytes)
  kFromBuffer,    // numpy.core.numeric._frombuffer(buffer, dtype, shape, order), protocol 5
  kCodecsEncode,  // _codecs.encode(str, 'latin1'): how protocol 2 spells bytes
  kBytes,         // builtins.bytes() (empty bytes under protocol 2)
  kBytearray,     // builtins.bytearray(...)
  kSet,           // builtins.set / frozenset (protocol 2) -> list
};

enum class Kind { kNone, kBool, kInt, kFloat, kStr, kBytes, kList, kTuple, kDict, kGlobal, kDType,
                  kArray };

struct Obj {
  Kind kind = Kind::kNone;
  bool boolean = false;
  std::int64_t integer = 0;
  double real = 0.0;
  std::string text;        // str (UTF-8), owned bytes, or a global's "module.name"
  std::string_view view;   // bytes: into the pickle input or into `text`
  std::vector<Obj*> items;                     // list, tuple, object-array data
  std::vector<std::pair<Obj*, Obj*>> entries;  // dict
  Callable callable = Callable::kReconstruct;  // global
  // dtype: numpy's code ("f8", "U5", "O8") and byte order ('<', '>', '|', '=').
  std::string code;
  char byte_order = '=';
  bool structured = false;
  // array
  std::vector<std::int64_t> shape;
  Obj* dtype = nullptr;
  bool fortran = false;
  Obj* raw = nullptr;  // bytes/str (numeric, U, S dtypes) or list (object dtype)
  bool built = false;
};

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kNone: return "None";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kStr: return "str";
    case Kind::kBytes: return "bytes";
    case Kind::kList: return "list";
    case Kind::kTuple: return "tuple";
    case Kind::kDict: return "dict";
    case Kind::kGlobal: return "global";
    case Kind::kDType: return "numpy.dtype";
    case Kind::kArray: return "numpy.ndarray";
  }
  return "?";
}

std::string utf8_from_latin1(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (char ch : bytes) append_utf8(out, static_cast<unsigned char>(ch));
  return out;
}

// The inverse: a str whose code points are all < 256 back to those bytes. nullopt otherwise.
std::optional<std::string> latin1_from_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      i += 1;
    } else if ((c & 0xe0) == 0xc0 && i + 1 < s.size()) {
      const unsigned code = ((c & 0x1fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3fu);
      if (code > 0xff) return std::nullopt;
      out += static_cast<char>(code);
      i += 2;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

bool native_is_little() { return std::endian::native == std::endian::little; }

// Whether data in `order` must be byte-swapped on this machine.
bool needs_swap(char order) {
  return (order == '<' && !native_is_little()) || (order == '>' && native_is_little());
}

template <typename T>
T load_le(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  if (!native_is_little()) {
    auto* b = reinterpret_cast<unsigned char*>(&v);
    std::reverse(b, b + sizeof(T));
  }
  return v;
}

class Unpickler {
 public:
  Unpickler(std::string_view input, const std::string& source) : in_(input), source_(source) {
    none_ = make(Kind::kNone);
    true_ = make(Kind::kBool);
    true_->boolean = true;
    false_ = make(Kind::kBool);
  }

  PyValue run() {
    Obj* result = execute();
    expanded_size(result, 0);
    return convert(result, 0);
  }

 private:
  // ---- errors and input ------------------------------------------------------------------
  [[noreturn]] void fail(const std::string& what) const {
    throw PickleFormatError(source_ + ": pickle " + what + " (opcode at byte " +
                            std::to_string(op_start_) + ")");
  }

  std::size_t remaining() const { return in_.size() - pos_; }

  std::string_view read(std::uint64_t n) {
    if (n > remaining()) {
      fail("is truncated: needs " + std::to_string(n) + " bytes, " +
           std::to_string(remaining()) + " left");
    }
    std::string_view out = in_.substr(pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return out;
  }
  std::uint8_t read_u8() { return static_cast<std::uint8_t>(read(1)[0]); }
  template <typename T>
  T read_le() {
    return load_le<T>(read(sizeof(T)).data());
  }
  std::string_view read_line() {
    const std::size_t end = in_.find('\n', pos_);
    if (end == std::string_view::npos) fail("is truncated: a text argument has no newline");
    std::string_view line = in_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return line;
  }

  // ---- objects and stack -----------------------------------------------------------------
  Obj* make(Kind kind) {
    Obj& o = arena_.emplace_back();
    o.kind = kind;
    return &o;
  }
  Obj* make_int(std::int64_t v) {
    Obj* o = make(Kind::kInt);
    o->integer = v;
    return o;
  }
  Obj* make_str(std::string s) {
    Obj* o = make(Kind::kStr);
    o->text = std::move(s);
    return o;
  }
  Obj* make_bytes_view(std::string_view v) {
    Obj* o = make(Kind::kBytes);
    o->view = v;
    return o;
  }
  Obj* make_bytes_owned(std::string s) {
    Obj* o = make(Kind::kBytes);
    o->text = std::move(s);
    o->view = o->text;  // the arena never moves an Obj, so the view stays valid
    return o;
  }

  std::size_t mark_base() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(Obj* o) { stack_.push_back(o); }
  Obj* pop() {
    if (stack_.size() <= mark_base()) fail("pops an empty stack (stack underflow)");
    Obj* o = stack_.back();
    stack_.pop_back();
    return o;
  }
  Obj* top() {
    if (stack_.size() <= mark_base()) fail("reads an empty stack (stack underflow)");
    return stack_.back();
  }
  std::vector<Obj*> pop_mark() {
    if (marks_.empty()) fail("uses a MARK that was never set");
    const std::size_t base = marks_.back();
    marks_.pop_back();
    std::vector<Obj*> items(stack_.begin() + static_cast<std::ptrdiff_t>(base), stack_.end());
    stack_.resize(base);
    return items;
  }

  Obj* expect(Obj* o, Kind kind, const char* what) {
    if (o->kind != kind) {
      fail(std::string(what) + " expects a " + kind_name(kind) + ", found " + kind_name(o->kind));
    }
    return o;
  }

  void memo_put(std::uint64_t index) { memo_[index] = top(); }
  void memo_get(std::uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("reads memo entry " + std::to_string(index) + " before it is set");
    push(it->second);
  }

  // ---- the interpreter -------------------------------------------------------------------
  Obj* execute() {
    while (true) {
      op_start_ = pos_;
      if (remaining() == 0) fail("ends without a STOP opcode (the data is truncated)");
      const std::uint8_t op = read_u8();
      switch (op) {
        case 0x80: {  // PROTO
          const int protocol = read_u8();
          if (protocol > 5) fail("uses protocol " + std::to_string(protocol) + "; 5 is the newest");
          break;
        }
        case 0x95: {  // FRAME: frames are contiguous in the stream; only the length is checked
          const auto length = read_le<std::uint64_t>();
          if (length > remaining()) fail("has a FRAME longer than the data left");
          break;
        }
        case '.': {  // STOP
          Obj* result = pop();
          return result;
        }
        case '(': marks_.push_back(stack_.size()); break;  // MARK
        case '0': {                                         // POP
          if (stack_.size() > mark_base()) {
            stack_.pop_back();
          } else if (!marks_.empty()) {
            marks_.pop_back();
          } else {
            fail("pops an empty stack (stack underflow)");
          }
          break;
        }
        case '1': pop_mark(); break;   // POP_MARK
        case '2': push(top()); break;  // DUP
        case 'N': push(none_); break;
        case 0x88: push(true_); break;   // NEWTRUE
        case 0x89: push(false_); break;  // NEWFALSE

        // ---- numbers
        case 'I': op_int(read_line()); break;
        case 'J': push(make_int(read_le<std::int32_t>())); break;   // BININT
        case 'K': push(make_int(read_u8())); break;                 // BININT1
        case 'M': push(make_int(read_le<std::uint16_t>())); break;  // BININT2
        case 'L': op_long_text(read_line()); break;                 // LONG
        case 0x8a: op_long_binary(read_u8()); break;                // LONG1
        case 0x8b: {                                                // LONG4
          const auto n = read_le<std::int32_t>();
          if (n < 0) fail("has a negative LONG4 length");
          op_long_binary(static_cast<std::uint64_t>(n));
          break;
        }
        case 'F': op_float_text(read_line()); break;
        case 'G': {  // BINFLOAT: big-endian IEEE double
          std::string_view b = read(8);
          std::uint64_t bits = 0;
          for (char c : b) bits = (bits << 8) | static_cast<unsigned char>(c);
          Obj* o = make(Kind::kFloat);
          o->real = std::bit_cast<double>(bits);
          push(o);
          break;
        }

        // ---- strings. Python 2 str (STRING variants) is read as latin-1 text, as numpy's
        // np.load(encoding='latin1') does.
        case 'S': push(make_str(utf8_from_latin1(unquote_string(read_line())))); break;
        case 'T': {  // BINSTRING
          const auto n = read_le<std::int32_t>();
          if (n < 0) fail("has a negative BINSTRING length");
          push(make_str(utf8_from_latin1(read(static_cast<std::uint64_t>(n)))));
          break;
        }
        case 'U': push(make_str(utf8_from_latin1(read(read_u8())))); break;  // SHORT_BINSTRING
        case 'V': push(make_str(raw_unicode_escape(read_line()))); break;    // UNICODE
        case 'X': push(make_str(std::string(read(read_le<std::uint32_t>())))); break;
        case 0x8c: push(make_str(std::string(read(read_u8())))); break;  // SHORT_BINUNICODE
        case 0x8d: push(make_str(std::string(read(read_le<std::uint64_t>())))); break;
        case 'B': push(make_bytes_view(read(read_le<std::uint32_t>()))); break;  // BINBYTES
        case 'C': push(make_bytes_view(read(read_u8()))); break;  // SHORT_BINBYTES
        case 0x8e:                                                 // BINBYTES8
        case 0x96:                                                 // BYTEARRAY8
          push(make_bytes_view(read(read_le<std::uint64_t>())));
          break;
        case 0x97:
        case 0x98:
          fail("uses out-of-band buffers (NEXT_BUFFER/READONLY_BUFFER), which a file cannot "
               "carry");

        // ---- containers
        case ']': push(make(Kind::kList)); break;  // EMPTY_LIST
        case 0x8f: push(make(Kind::kList)); break;  // EMPTY_SET: sets become lists
        case 'a': {                                 // APPEND
          Obj* item = pop();
          expect(top(), Kind::kList, "APPEND")->items.push_back(item);
          break;
        }
        case 'e':     // APPENDS
        case 0x90: {  // ADDITEMS
          std::vector<Obj*> items = pop_mark();
          Obj* list = expect(top(), Kind::kList, op == 'e' ? "APPENDS" : "ADDITEMS");
          list->items.insert(list->items.end(), items.begin(), items.end());
          break;
        }
        case 'l':     // LIST
        case 0x91: {  // FROZENSET
          Obj* list = make(Kind::kList);
          list->items = pop_mark();
          push(list);
          break;
        }
        case ')': push(make(Kind::kTuple)); break;  // EMPTY_TUPLE
        case 't': {                                 // TUPLE
          Obj* tuple = make(Kind::kTuple);
          tuple->items = pop_mark();
          push(tuple);
          break;
        }
        case 0x85: op_tuple_n(1); break;
        case 0x86: op_tuple_n(2); break;
        case 0x87: op_tuple_n(3); break;
        case '}': push(make(Kind::kDict)); break;  // EMPTY_DICT
        case 'd': {                                // DICT
          std::vector<Obj*> items = pop_mark();
          if (items.size() % 2) fail("has a DICT with an odd number of items");
          Obj* dict = make(Kind::kDict);
          for (std::size_t i = 0; i < items.size(); i += 2) {
            dict->entries.emplace_back(items[i], items[i + 1]);
          }
          push(dict);
          break;
        }
        case 's': {  // SETITEM
          Obj* value = pop();
          Obj* key = pop();
          expect(top(), Kind::kDict, "SETITEM")->entries.emplace_back(key, value);
          break;
        }
        case 'u': {  // SETITEMS
          std::vector<Obj*> items = pop_mark();
          if (items.size() % 2) fail("has a SETITEMS with an odd number of items");
          Obj* dict = expect(top(), Kind::kDict, "SETITEMS");
          for (std::size_t i = 0; i < items.size(); i += 2) {
            dict->entries.emplace_back(items[i], items[i + 1]);
          }
          break;
        }

        // ---- memo
        case 'p': memo_put(parse_decimal(read_line(), "PUT")); break;
        case 'q': memo_put(read_u8()); break;                       // BINPUT
        case 'r': memo_put(read_le<std::uint32_t>()); break;        // LONG_BINPUT
        case 0x94: memo_put(memo_.size()); break;                   // MEMOIZE
        case 'g': memo_get(parse_decimal(read_line(), "GET")); break;
        case 'h': memo_get(read_u8()); break;                 // BINGET
        case 'j': memo_get(read_le<std::uint32_t>()); break;  // LONG_BINGET

        // ---- globals and object construction
        case 'c': {  // GLOBAL
          const std::string module(read_line());
          const std::string name(read_line());
          push(make_global(module, name));
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          Obj* name = expect(pop(), Kind::kStr, "STACK_GLOBAL");
          Obj* module = expect(pop(), Kind::kStr, "STACK_GLOBAL");
          push(make_global(module->text, name->text));
          break;
        }
        case 'R': {  // REDUCE
          Obj* args = expect(pop(), Kind::kTuple, "REDUCE");
          Obj* callable = pop();
          push(call(callable, args->items));
          break;
        }
        case 0x81: {  // NEWOBJ: cls.__new__(cls, *args); our classes build the same as a call
          Obj* args = expect(pop(), Kind::kTuple, "NEWOBJ");
          Obj* cls = pop();
          push(call(cls, args->items));
          break;
        }
        case 0x92: {  // NEWOBJ_EX
          Obj* kwargs = expect(pop(), Kind::kDict, "NEWOBJ_EX");
          Obj* args = expect(pop(), Kind::kTuple, "NEWOBJ_EX");
          Obj* cls = pop();
          if (!kwargs->entries.empty()) fail("passes keyword arguments to NEWOBJ_EX");
          push(call(cls, args->items));
          break;
        }
        case 'b': {  // BUILD
          Obj* state = pop();
          build(top(), state);
          break;
        }
        case 'i':
        case 'o':
          fail("uses INST/OBJ, which construct arbitrary classes and are not numpy data");
        case 'P':
        case 'Q':
          fail("uses persistent ids (PERSID/BINPERSID), which need the writer's own loader");
        case 0x82:
        case 0x83:
        case 0x84:
          fail("uses the copyreg extension registry (EXT1/EXT2/EXT4), which is not numpy data");
        default: {
          static const char* kHex = "0123456789abcdef";
          fail(std::string("has unknown opcode 0x") + kHex[op >> 4] + kHex[op & 15]);
        }
      }
    }
  }

  void op_tuple_n(std::size_t n) {
    Obj* tuple = make(Kind::kTuple);
    tuple->items.resize(n);
    for (std::size_t i = n; i-- > 0;) tuple->items[i] = pop();
    push(tuple);
  }

  std::uint64_t parse_decimal(std::string_view text, const char* what) {
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) {
      fail(std::string("has a malformed ") + what + " index '" + std::string(text) + "'");
    }
    return v;
  }

  void op_int(std::string_view text) {
    // Protocol 0 spells booleans as INT 01 / 00.
    if (text == "01") return push(true_);
    if (text == "00") return push(false_);
    push(make_int(parse_int(text)));
  }

  void op_long_text(std::string_view text) {
    if (!text.empty() && text.back() == 'L') text.remove_suffix(1);
    push(make_int(parse_int(text)));
  }

  std::int64_t parse_int(std::string_view text) {
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc::result_out_of_range) {
      fail("holds the integer " + std::string(text) + ", which does not fit in 64 bits");
    }
    if (ec != std::errc() || end != text.data() + text.size()) {
      fail("has a malformed integer '" + std::string(text) + "'");
    }
    return v;
  }

  void op_long_binary(std::uint64_t n) {
    std::string_view b = read(n);
    // Two's complement, little-endian; longer encodings are fine as long as the extra bytes
    // are only sign extension.
    const bool negative = n > 0 && (static_cast<unsigned char>(b[n - 1]) & 0x80);
    const unsigned char fill = negative ? 0xff : 0x00;
    std::uint64_t bits = negative ? ~std::uint64_t{0} : 0;
    for (std::size_t i = 0; i < b.size(); ++i) {
      const auto byte = static_cast<unsigned char>(b[i]);
      if (i < 8) {
        bits &= ~(std::uint64_t{0xff} << (8 * i));
        bits |= std::uint64_t{byte} << (8 * i);
      } else if (byte != fill) {
        fail("holds an integer of " + std::to_string(n) + " bytes, which does not fit in 64 bits");
      }
    }
    const auto value = static_cast<std::int64_t>(bits);
    if (n > 8 && (value < 0) != negative) {
      fail("holds an integer of " + std::to_string(n) + " bytes, which does not fit in 64 bits");
    }
    push(make_int(value));
  }

  void op_float_text(std::string_view text) {
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) {
      fail("has a malformed float '" + std::string(text) + "'");
    }
    Obj* o = make(Kind::kFloat);
    o->real = v;
    push(o);
  }

  // A Python 2 STRING argument: a quoted repr with backslash escapes.
  std::string unquote_string(std::string_view text) {
    if (text.size() < 2 || (text.front() != '\'' && text.front() != '"') ||
        text.back() != text.front()) {
      fail("has a STRING argument that is not quoted");
    }
    text = text.substr(1, text.size() - 2);
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '\\' || i + 1 == text.size()) {
        out += text[i];
        continue;
      }
      const char e = text[++i];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        case 'x': {
          if (i + 3 > text.size()) fail("has a bad \\x escape");
          unsigned v = 0;
          auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, v, 16);
          if (ec != std::errc() || end != text.data() + i + 3) fail("has a bad \\x escape");
          out += static_cast<char>(v);
          i += 2;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            unsigned v = 0;
            std::size_t k = i;
            while (k < text.size() && k < i + 3 && text[k] >= '0' && text[k] <= '7') {
              v = v * 8 + static_cast<unsigned>(text[k] - '0');
              ++k;
            }
            out += static_cast<char>(v & 0xff);
            i = k - 1;
          } else {
            if (e != '\\' && e != '\'' && e != '"') out += '\\';
            out += e;
          }
      }
    }
    return out;
  }

  // Protocol 0 UNICODE: latin-1 bytes with \uXXXX and \UXXXXXXXX escapes.
  std::string raw_unicode_escape(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const bool escape = text[i] == '\\' && i + 1 < text.size() &&
                          (text[i + 1] == 'u' || text[i + 1] == 'U');
      if (!escape) {
        append_utf8(out, static_cast<unsigned char>(text[i]));
        continue;
      }
      const std::size_t digits = text[i + 1] == 'u' ? 4 : 8;
      if (i + 2 + digits > text.size()) fail("has a truncated \\u escape in UNICODE");
      std::uint32_t code = 0;
      auto [end, ec] =
          std::from_chars(text.data() + i + 2, text.data() + i + 2 + digits, code, 16);
      if (ec != std::errc() || end != text.data() + i + 2 + digits || code > 0x10ffff) {
        fail("has a bad \\u escape in UNICODE");
      }
      append_utf8(out, code);
      i += 1 + digits;
    }
    return out;
  }

  // ---- globals ---------------------------------------------------------------------------
  Obj* make_global(const std::string& module, const std::string& name) {
    const bool multiarray = module == "numpy.core.multiarray" ||
                            module == "numpy._core.multiarray" ||
                            module == "numpy.core._multiarray_umath" ||
                            module == "numpy._core._multiarray_umath";
    const bool numeric = module == "numpy.core.numeric" || module == "numpy._core.numeric";
    const bool builtins = module == "builtins" || module == "__builtin__";
    std::optional<Callable> callable;
    if (multiarray && name == "_reconstruct") callable = Callable::kReconstruct;
    if (multiarray && name == "scalar") callable = Callable::kScalar;
    if ((module == "numpy" || multiarray) && name == "ndarray") callable = Callable::kNdarrayClass;
    if ((module == "numpy" || multiarray) && name == "dtype") callable = Callable::kDType;
    if (numeric && name == "_frombuffer") callable = Callable::kFromBuffer;
    if (module == "_codecs" && name == "encode") callable = Callable::kCodecsEncode;
    if (builtins && name == "bytes") callable = Callable::kBytes;
    if (builtins && name == "bytearray") callable = Callable::kBytearray;
    if (builtins && (name == "set" || name == "frozenset")) callable = Callable::kSet;
    if (!callable) {
      throw PickleFormatError(source_ + ": pickle references global " + module + "." + name +
                              ", which is not numpy data; refusing to load");
    }
    Obj* o = make(Kind::kGlobal);
    o->callable = *callable;
    o->text = module + "." + name;
    return o;
  }

  void expect_args(const Obj* fn, const std::vector<Obj*>& args, std::size_t lo, std::size_t hi) {
    if (args.size() < lo || args.size() > hi) {
      fail("calls " + fn->text + " with " + std::to_string(args.size()) + " arguments");
    }
  }

  // Bytes given as bytes, or as a str of code points < 256 (protocol 2 / Python 2 writers).
  std::string_view bytes_of(Obj* o, const char* what) {
    if (o->kind == Kind::kBytes) return o->view;
    if (o->kind == Kind::kStr) {
      auto latin1 = latin1_from_utf8(o->text);
      if (!latin1) fail(std::string(what) + " is a str with characters beyond latin-1");
      return make_bytes_owned(std::move(*latin1))->view;
    }
    fail(std::string(what) + " expects bytes, found " + kind_name(o->kind));
  }

  std::vector<std::int64_t> shape_of(Obj* o) {
    if (o->kind == Kind::kInt) return {o->integer};  // numpy accepts a bare int as a 1-d shape
    if (o->kind != Kind::kTuple && o->kind != Kind::kList) {
      fail("gives an array shape that is a " + std::string(kind_name(o->kind)));
    }
    std::vector<std::int64_t> shape;
    for (Obj* d : o->items) {
      if (d->kind != Kind::kInt || d->integer < 0) {
        fail("gives an array shape with a bad dimension");
      }
      shape.push_back(d->integer);
    }
    return shape;
  }

  Obj* call(Obj* fn, const std::vector<Obj*>& args) {
    if (fn->kind != Kind::kGlobal) fail(std::string("calls a ") + kind_name(fn->kind));
    switch (fn->callable) {
      case Callable::kReconstruct: {
        expect_args(fn, args, 3, 3);
        if (args[0]->kind != Kind::kGlobal || args[0]->callable != Callable::kNdarrayClass) {
          fail("reconstructs an array of a class other than numpy.ndarray");
        }
        return make(Kind::kArray);  // filled in by BUILD
      }
      case Callable::kNdarrayClass:
        fail("calls numpy.ndarray directly, which numpy never pickles");
      case Callable::kDType: {
        expect_args(fn, args, 1, 3);
        Obj* dtype = make(Kind::kDType);
        dtype->code = std::string(expect(args[0], Kind::kStr, "numpy.dtype")->text);
        return dtype;
      }
      case Callable::kScalar: {
        expect_args(fn, args, 1, 2);
        Obj* dtype = expect(args[0], Kind::kDType, "numpy scalar");
        if (!dtype->code.empty() && dtype->code[0] == 'O') {
          return args.size() == 2 ? args[1] : none_;
        }
        if (args.size() != 2) fail("builds a numpy scalar without data");
        return scalar(dtype, bytes_of(args[1], "numpy scalar"));
      }
      case Callable::kFromBuffer: {
        expect_args(fn, args, 4, 4);
        Obj* array = make(Kind::kArray);
        array->raw = args[0];
        bytes_of(args[0], "_frombuffer");  // checks the buffer is bytes-like
        array->dtype = expect(args[1], Kind::kDType, "_frombuffer");
        array->shape = shape_of(args[2]);
        const std::string& order = expect(args[3], Kind::kStr, "_frombuffer")->text;
        array->fortran = order == "F";
        array->built = true;
        check_array(array);
        return array;
      }
      case Callable::kCodecsEncode: {
        expect_args(fn, args, 1, 3);
        const std::string encoding =
            args.size() >= 2 ? expect(args[1], Kind::kStr, "_codecs.encode")->text : "utf-8";
        const std::string& text = expect(args[0], Kind::kStr, "_codecs.encode")->text;
        if (encoding == "utf-8" || encoding == "utf8") return make_bytes_owned(text);
        if (encoding != "latin1" && encoding != "latin-1" && encoding != "iso-8859-1") {
          fail("encodes bytes with '" + encoding + "'; only latin1 and utf-8 are understood");
        }
        auto latin1 = latin1_from_utf8(text);
        if (!latin1) fail("encodes characters beyond latin-1 as latin1");
        return make_bytes_owned(std::move(*latin1));
      }
      case Callable::kBytes:
      case Callable::kBytearray: {
        expect_args(fn, args, 0, 2);
        if (args.empty()) return make_bytes_view({});
        if (args.size() == 2) {
          const std::string& encoding = expect(args[1], Kind::kStr, fn->text.c_str())->text;
          if (encoding != "latin1" && encoding != "latin-1" && encoding != "iso-8859-1") {
            fail("builds bytes with encoding '" + encoding + "'; only latin-1 is understood");
          }
        }
        return make_bytes_view(bytes_of(args[0], fn->text.c_str()));
      }
      case Callable::kSet: {
        expect_args(fn, args, 0, 1);
        Obj* list = make(Kind::kList);
        if (!args.empty()) {
          if (args[0]->kind != Kind::kList && args[0]->kind != Kind::kTuple) {
            fail("builds a set from a " + std::string(kind_name(args[0]->kind)));
          }
          list->items = args[0]->items;
        }
        return list;
      }
    }
    fail("calls an unknown global");
  }

  void build(Obj* target, Obj* state) {
    if (target->kind == Kind::kDType) {
      expect(state, Kind::kTuple, "numpy.dtype state");
      const auto& s = state->items;
      if (s.size() < 2 || s[1]->kind != Kind::kStr || s[1]->text.size() != 1) {
        fail("gives a numpy.dtype state without a byte order");
      }
      target->byte_order = s[1]->text[0];
      if (s.size() > 3 && s[3]->kind != Kind::kNone) target->structured = true;
      return;
    }
    if (target->kind == Kind::kArray && !target->built) {
      expect(state, Kind::kTuple, "numpy.ndarray state");
      auto s = state->items;
      if (s.size() == 5) s.erase(s.begin());  // drop the version number
      if (s.size() != 4) fail("gives a numpy.ndarray state of " + std::to_string(s.size()) +
                              " items; expected (version, shape, dtype, is_fortran, data)");
      target->shape = shape_of(s[0]);
      target->dtype = expect(s[1], Kind::kDType, "numpy.ndarray state");
      if (s[2]->kind == Kind::kBool) {
        target->fortran = s[2]->boolean;
      } else if (s[2]->kind == Kind::kInt) {
        target->fortran = s[2]->integer != 0;
      } else {
        fail("gives a numpy.ndarray is_fortran flag that is a " +
             std::string(kind_name(s[2]->kind)));
      }
      target->raw = s[3];
      target->built = true;
      check_array(target);
      return;
    }
    fail(std::string("sets the state of a ") + kind_name(target->kind) +
         ", which numpy data never does");
  }

  // ---- numpy dtypes, arrays, scalars -----------------------------------------------------
  enum class Flavor { kNumeric, kObject, kUnicode, kBytes };
  struct Resolved {
    Flavor flavor;
    DType numeric = DType::kFloat64;
    std::size_t item_size = 0;
    char order = '=';
  };

  Resolved resolve(const Obj* dtype) {
    if (dtype->structured) fail("holds a structured (record) dtype, which is not supported");
    const std::string& code = dtype->code;
    Resolved r;
    r.order = dtype->byte_order;
    if (auto numeric = dtype_from_code(code)) {
      r.flavor = Flavor::kNumeric;
      r.numeric = *numeric;
      r.item_size = dtype_size(*numeric);
      return r;
    }
    if (!code.empty() && code[0] == 'O') {
      r.flavor = Flavor::kObject;
      return r;
    }
    if (!code.empty() && (code[0] == 'U' || code[0] == 'S')) {
      std::uint64_t n = 0;
      auto [end, ec] = std::from_chars(code.data() + 1, code.data() + code.size(), n);
      if (ec != std::errc() || end != code.data() + code.size() || n > (1u << 30)) {
        fail("holds a string dtype '" + code + "' with a bad length");
      }
      r.flavor = code[0] == 'U' ? Flavor::kUnicode : Flavor::kBytes;
      r.item_size = static_cast<std::size_t>(code[0] == 'U' ? 4 * n : n);
      return r;
    }
    fail("holds dtype '" + code + "', which is not supported (numeric, str, bytes and object "
         "dtypes are)");
  }

  std::uint64_t element_count(const std::vector<std::int64_t>& shape) {
    std::uint64_t n = 1;
    for (std::int64_t d : shape) {
      if (d != 0 && n > (std::uint64_t{1} << 62) / static_cast<std::uint64_t>(d)) {
        fail("gives an array shape whose size overflows");
      }
      n *= static_cast<std::uint64_t>(d);
    }
    return n;
  }

  void check_array(Obj* array) {
    const Resolved r = resolve(array->dtype);
    const std::uint64_t count = element_count(array->shape);
    if (r.flavor == Flavor::kObject) {
      if (array->raw->kind != Kind::kList) fail("gives an object array whose data is not a list");
      if (array->raw->items.size() != count) {
        fail("gives an object array of " + std::to_string(count) + " elements but " +
             std::to_string(array->raw->items.size()) + " values");
      }
      return;
    }
    std::string_view data = bytes_of(array->raw, "numpy.ndarray data");
    const std::uint64_t max_count =
        std::numeric_limits<std::uint64_t>::max() / std::max<std::size_t>(r.item_size, 1);
    if (count > max_count || data.size() != count * r.item_size) {
      fail("gives an array of " + std::to_string(count) + " elements of " +
           std::to_string(r.item_size) + " bytes but " + std::to_string(data.size()) +
           " data bytes");
    }
  }

  Obj* scalar(Obj* dtype, std::string_view data) {
    const Resolved r = resolve(dtype);
    if (data.size() != r.item_size) {
      fail("gives a numpy scalar of dtype '" + dtype->code + "' with " +
           std::to_string(data.size()) + " bytes");
    }
    if (r.flavor == Flavor::kUnicode) return make_str(decode_utf32(data, r.order));
    if (r.flavor == Flavor::kBytes) return make_bytes_owned(std::string(strip_nuls(data)));
    NdArray a;
    a.dtype = r.numeric;
    a.bytes.assign(data.begin(), data.end());
    if (needs_swap(r.order)) byteswap_elements(a);
    switch (r.numeric) {
      case DType::kBool: return a.bytes[0] ? true_ : false_;
      case DType::kUInt64: {
        const std::uint64_t v = *a.data<std::uint64_t>();
        if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          fail("holds the uint64 " + std::to_string(v) + ", which does not fit in int64");
        }
        return make_int(static_cast<std::int64_t>(v));
      }
      case DType::kFloat16:
      case DType::kFloat32:
      case DType::kFloat64: {
        Obj* o = make(Kind::kFloat);
        o->real = a.to_double().front();
        return o;
      }
      case DType::kComplex64:
      case DType::kComplex128: {
        // No complex PyValue: keep it as a 0-d array.
        Obj* o = make(Kind::kArray);
        o->dtype = dtype;
        o->raw = make_bytes_view(data);
        o->built = true;
        return o;
      }
      default:
        return make_int(static_cast<std::int64_t>(a.to_double().front()));
    }
  }

  static std::string_view strip_nuls(std::string_view s) {
    while (!s.empty() && s.back() == '\0') s.remove_suffix(1);
    return s;
  }

  std::string decode_utf32(std::string_view data, char order) {
    std::string out;
    const bool swap = needs_swap(order);
    for (std::size_t i = 0; i + 4 <= data.size(); i += 4) {
      std::uint32_t c;
      std::memcpy(&c, data.data() + i, 4);
      if (swap) c = __builtin_bswap32(c);
      if (c > 0x10ffff) fail("holds a str element that is not valid UTF-32");
      append_utf8(out, c);
    }
    while (!out.empty() && out.back() == '\0') out.pop_back();  // numpy pads with NULs
    return out;
  }

  // ---- conversion to PyValue -------------------------------------------------------------
  // Counts the values the result will hold (a shared object once per use) before any is built,
  // so a cycle or a memo "billion laughs" fails here, in time linear in the pickle.
  std::uint64_t expanded_size(Obj* o, int depth) {
    static constexpr std::uint64_t kInProgress = ~std::uint64_t{0};
    if (depth > kMaxDepth) fail("nests deeper than " + std::to_string(kMaxDepth) + " levels");
    auto found = sizes_.find(o);
    if (found != sizes_.end()) {
      if (found->second == kInProgress) fail("holds a structure that contains itself");
      return found->second;
    }
    sizes_[o] = kInProgress;
    std::uint64_t n = 1;
    auto add = [&n](std::uint64_t k) { n = std::min<std::uint64_t>(n + k, kMaxNodes + 1); };
    switch (o->kind) {
      case Kind::kList:
      case Kind::kTuple:
        for (Obj* item : o->items) add(expanded_size(item, depth + 1));
        break;
      case Kind::kDict:
        for (auto [k, v] : o->entries) {
          add(expanded_size(k, depth + 1));
          add(expanded_size(v, depth + 1));
        }
        break;
      case Kind::kArray:
        if (o->built) {
          const Resolved r = resolve(o->dtype);
          if (r.flavor == Flavor::kObject) {
            for (Obj* item : o->raw->items) add(expanded_size(item, depth + 1));
          } else if (r.flavor != Flavor::kNumeric) {
            add(element_count(o->shape));
          }
        }
        break;
      default:
        break;
    }
    if (n > kMaxNodes) fail("expands to more than " + std::to_string(kMaxNodes) + " values");
    sizes_[o] = n;
    return n;
  }

  PyValue convert(Obj* o, int depth) {
    if (depth > kMaxDepth) fail("nests deeper than " + std::to_string(kMaxDepth) + " levels");
    switch (o->kind) {
      case Kind::kNone: return PyNone{};
      case Kind::kBool: return o->boolean;
      case Kind::kInt: return o->integer;
      case Kind::kFloat: return o->real;
      case Kind::kStr: return o->text;
      case Kind::kBytes: return PyBytes{std::string(o->view)};
      case Kind::kList:
      case Kind::kTuple: {
        PyList items;
        items.reserve(o->items.size());
        for (Obj* item : o->items) items.push_back(convert(item, depth + 1));
        if (o->kind == Kind::kTuple) return PyTuple{std::move(items)};
        return items;
      }
      case Kind::kDict: {
        PyDict dict;
        dict.reserve(o->entries.size());
        for (auto [k, v] : o->entries) {
          PyValue key = convert(k, depth + 1);
          dict.emplace_back(std::move(key), convert(v, depth + 1));
        }
        return dict;
      }
      case Kind::kGlobal: fail("returns the global " + o->text + " itself, which is not data");
      case Kind::kDType: fail("returns a bare numpy.dtype, which is not data");
      case Kind::kArray: return convert_array(o, depth);
    }
    fail("holds an object of unknown kind");
  }

  PyValue convert_array(Obj* o, int depth) {
    if (!o->built) fail("reconstructs a numpy.ndarray that never receives its state (BUILD)");
    const Resolved r = resolve(o->dtype);
    if (r.flavor == Flavor::kNumeric) {
      NdArray a;
      a.dtype = r.numeric;
      a.shape = o->shape;
      std::string_view data = bytes_of(o->raw, "numpy.ndarray data");
      a.bytes.assign(data.begin(), data.end());
      if (needs_swap(r.order)) byteswap_elements(a);
      if (o->fortran) fortran_to_c_order(a);
      return a;
    }
    std::vector<PyValue> flat;
    if (r.flavor == Flavor::kObject) {
      // numpy pickles object arrays as a C-order list whatever their memory order.
      flat.reserve(o->raw->items.size());
      for (Obj* item : o->raw->items) flat.push_back(convert(item, depth + 1));
    } else {
      std::string_view data = bytes_of(o->raw, "numpy.ndarray data");
      const std::uint64_t count = element_count(o->shape);
      std::vector<std::uint64_t> order = storage_index(o->shape, o->fortran);
      for (std::uint64_t i = 0; i < count; ++i) {
        std::string_view item = data.substr(order[i] * r.item_size, r.item_size);
        if (r.flavor == Flavor::kUnicode) {
          flat.emplace_back(decode_utf32(item, r.order));
        } else {
          flat.emplace_back(PyBytes{std::string(strip_nuls(item))});
        }
      }
    }
    std::size_t next = 0;
    return nest(flat, o->shape, 0, next);
  }

  // For each element in C order, its position in storage (C or Fortran order).
  static std::vector<std::uint64_t> storage_index(const std::vector<std::int64_t>& shape,
                                                  bool fortran) {
    std::uint64_t count = 1;
    for (std::int64_t d : shape) count *= static_cast<std::uint64_t>(d);
    std::vector<std::uint64_t> out(count);
    if (!fortran || shape.size() < 2) {
      for (std::uint64_t i = 0; i < count; ++i) out[i] = i;
      return out;
    }
    std::vector<std::uint64_t> fstride(shape.size());
    std::uint64_t stride = 1;
    for (std::size_t k = 0; k < shape.size(); ++k) {
      fstride[k] = stride;
      stride *= static_cast<std::uint64_t>(shape[k]);
    }
    std::vector<std::int64_t> index(shape.size(), 0);
    std::uint64_t source = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      out[i] = source;
      for (std::size_t k = shape.size(); k-- > 0;) {
        if (++index[k] < shape[k]) {
          source += fstride[k];
          break;
        }
        source -= fstride[k] * static_cast<std::uint64_t>(shape[k] - 1);
        index[k] = 0;
      }
    }
    return out;
  }

  // Object and string arrays become lists nested by shape; a 0-d array is its one element.
  static PyValue nest(std::vector<PyValue>& flat, const std::vector<std::int64_t>& shape,
                      std::size_t axis, std::size_t& next) {
    if (axis == shape.size()) return std::move(flat[next++]);
    PyList list;
    list.reserve(static_cast<std::size_t>(shape[axis]));
    for (std::int64_t i = 0; i < shape[axis]; ++i) {
      list.push_back(nest(flat, shape, axis + 1, next));
    }
    return list;
  }

  std::string_view in_;
  const std::string& source_;
  std::size_t pos_ = 0;
  std::size_t op_start_ = 0;
  std::deque<Obj> arena_;
  std::vector<Obj*> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, Obj*> memo_;
  std::unordered_map<const Obj*, std::uint64_t> sizes_;
  Obj* none_ = nullptr;
  Obj* true_ = nullptr;
  Obj* false_ = nullptr;
};

}  // namespace

PyValue unpickle(std::string_view bytes, const std::string& source) {
  Unpickler unpickler(bytes, source);
  return unpickler.run();
}

}  // namespace ethovid::core
