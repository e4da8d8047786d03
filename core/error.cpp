#include "error.h"

namespace cm {

const char* errorKindName(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::InvalidArgument:
        return "invalid argument";
    case ErrorKind::Io:
        return "I/O error";
    case ErrorKind::Format:
        return "format error";
    case ErrorKind::Shape:
        return "shape error";
    case ErrorKind::Data:
        return "data error";
    case ErrorKind::Numeric:
        return "numeric error";
    case ErrorKind::Cancelled:
        return "cancelled";
    }
    return "error";
}

Error::Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), m_kind(kind) {}

} // namespace cm
