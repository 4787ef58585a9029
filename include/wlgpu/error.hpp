// Errors are values with context: wlgpu::Result<T> is std::expected<T, wlgpu::Error>.
#pragma once

#include <expected>
#include <format>
#include <string>
#include <utility>

namespace wlgpu {

enum class Errc {
    invalid_argument,  // bad input from a client or caller (size, format, box, stride...)
    unsupported,       // valid, but this adapter/driver/build cannot do it
    no_adapter,        // no usable GPU adapter (or only the Null backend)
    device_lost,       // the device was lost; re-create the renderer
    gpu_error,         // Dawn reported a validation/internal/out-of-memory error
    system,            // a system call failed (errno in the message)
};

const char* errc_name(Errc c);

struct Error {
    Errc code;
    std::string message;

    // Prepends context: "importing buffer 0x1234: " + message.
    Error context(std::string_view what) const& { return {code, std::string(what) + ": " + message}; }
    Error context(std::string_view what) && {
        message.insert(0, std::string(what) + ": ");
        return std::move(*this);
    }
};

template <typename T>
using Result = std::expected<T, Error>;

template <typename... Args>
std::unexpected<Error> fail(Errc code, std::format_string<Args...> fmt, Args&&... args) {
    return std::unexpected(Error{code, std::format(fmt, std::forward<Args>(args)...)});
}

}  // namespace wlgpu
