// What a hostile mailslot writer tries with the socket it was given
// ("slot-attack ..." commands of conduit_test_helper; see the .cpp).
#pragma once

#include <string>
#include <vector>

/// Runs one "slot-attack KIND ..." command on every mailslot writer socket
/// this process holds; answers "ok ..." or "err ...".
std::string run_slot_attack(const std::vector<std::string>& words);
