// conduit_test_helper's Win32 pipe security commands ("w32-..."), through
// the Win32 API as a Windows program would call it (helper_security.cpp).
#pragma once

#include <string>
#include <vector>

/// Runs one "w32-..." command (see helper_main.cpp) and returns its answer.
std::string run_w32_security(const std::vector<std::string>& words);
