#include "wlgpu/error.hpp"

namespace wlgpu {

const char* errc_name(Errc c) {
    switch (c) {
        case Errc::invalid_argument: return "invalid argument";
        case Errc::unsupported: return "unsupported";
        case Errc::no_adapter: return "no adapter";
        case Errc::device_lost: return "device lost";
        case Errc::gpu_error: return "GPU error";
        case Errc::system: return "system error";
    }
    return "error";
}

}  // namespace wlgpu
