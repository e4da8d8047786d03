// The engine's one error type. Thrown by value; safe to copy between threads.
#pragma once

#include <stdexcept>
#include <string>

namespace cm {

enum class ErrorKind {
    InvalidArgument, // a parameter out of range or inconsistent with another
    Io,              // a file could not be opened, read, written or renamed
    Format,          // a file is not what it claims to be (header, JSON, dtype, spans)
    Shape,           // a tensor or image has the wrong size for the model
    Data,            // a data set is missing, empty or malformed
    Numeric,         // NaN or infinity where a finite value is required
    Cancelled,       // the caller's cancel flag was raised
};

const char* errorKindName(ErrorKind kind);

class Error : public std::runtime_error {
  public:
    Error(ErrorKind kind, const std::string& message);
    ErrorKind kind() const { return m_kind; }

  private:
    ErrorKind m_kind;
};

} // namespace cm
