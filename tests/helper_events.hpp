// conduit_test_helper's named event commands ("event-..."), through the
// Win32 API as another Windows program would use them (helper_events.cpp).
#pragma once

#include <string>
#include <vector>

/// Runs one "event-..." command (see helper_main.cpp) and returns its answer.
std::string run_event(const std::vector<std::string>& words);
