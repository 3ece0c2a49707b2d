// conduit_test_helper's named mutex and semaphore commands ("mutex-...",
// "sem-..."), through the Win32 API as another Windows program would use
// them (helper_sync.cpp).
#pragma once

#include <string>
#include <vector>

/// Runs one "mutex-..." or "sem-..." command (see helper_main.cpp) and
/// returns its answer.
std::string run_sync(const std::vector<std::string>& words);
