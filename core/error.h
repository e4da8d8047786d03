// The engine's one error type. Thrown by value; safe to copy between threads.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cm {

enum class ErrorKind {
    InvalidArgument, // a parameter out of range or inconsistent with another
    Io,              // a file could not be opened, read, written or renamed
    Format,          // a file is not what it claims to be (header, JSON, dtype, spans)
    Shape,           // a tensor or image has the wrong size for the model
    Data,            // a data set is missing, empty or malformed
    Numeric,         // NaN or infinity where a finite value is required
    Cancelled,       // the caller's cancel flag was raised
    Communication,   // another process of a data-parallel run died, hung or disagrees
};

const char* errorKindName(ErrorKind kind);

// Text that came from a file (a name, a field, a value), made safe to put into a message or a printout:
// control bytes, DEL, C1 controls and bytes that are not UTF-8 become escapes (\n, \t, \x1b, ...), and
// text longer than `maxBytes` is cut at a character boundary and ends with "... (N bytes)". A terminal
// shows it as one line; a 10 MB field gives a short message.
std::string describeUntrusted(std::string_view text, std::size_t maxBytes = 80);

class Error : public std::runtime_error {
  public:
    Error(ErrorKind kind, const std::string& message);
    ErrorKind kind() const { return m_kind; }

  private:
    ErrorKind m_kind;
};

} // namespace cm
