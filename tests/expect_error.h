// Runs a callable that should throw cm::Error and returns the error (kind Cancelled, message
// "no error was thrown", if it did not), so a test can check the kind and the message.
#pragma once

#include "core/error.h"

namespace cmtest {

template <typename F> cm::Error expectError(F&& f) {
    try {
        f();
    } catch (const cm::Error& e) {
        return e;
    }
    return cm::Error(cm::ErrorKind::Cancelled, "no error was thrown");
}

} // namespace cmtest
