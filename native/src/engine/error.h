// Errors raised by native code. Native code never exits, aborts or prints: it throws vj::Error,
// and the Node-API layer turns it into a JavaScript exception (TypeError/RangeError/Error).
#pragma once
#include <stdexcept>
#include <string>

namespace vj {

enum class ErrorKind { Generic, Type, Range };

struct Error : std::runtime_error {
  ErrorKind kind;
  explicit Error(const std::string& msg, ErrorKind k = ErrorKind::Generic)
      : std::runtime_error(msg), kind(k) {}
};

[[noreturn]] inline void throw_range(const std::string& msg) { throw Error(msg, ErrorKind::Range); }
[[noreturn]] inline void throw_type(const std::string& msg) { throw Error(msg, ErrorKind::Type); }

}  // namespace vj
