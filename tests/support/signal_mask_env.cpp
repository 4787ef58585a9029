// Linked into every test binary: after all tests ran, every thread the workload caused must
// block the host's signals (support/signal_mask.hpp).
#include "support/signal_mask.hpp"

namespace {

class SignalMaskEnvironment : public ::testing::Environment {
public:
    void TearDown() override {
        int n = wlgpu::test::expect_library_threads_block_host_signals("after all tests");
        std::fprintf(stderr, "[wlgpu test] signal masks: %d thread(s) started by the library or its drivers "
                             "checked after all tests\n", n);
    }
};

[[maybe_unused]] ::testing::Environment* const g_env =
    ::testing::AddGlobalTestEnvironment(new SignalMaskEnvironment);

}  // namespace
