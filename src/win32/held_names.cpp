#include "win32/held_names.hpp"

namespace conduit::win32 {

std::mutex& held_names_mutex() {
  static auto* mutex = new std::mutex();  // handles may close at exit
  return *mutex;
}

std::map<std::string, held_name>& held_names() {
  static auto* held = new std::map<std::string, held_name>();  // handles may close at exit
  return *held;
}

void drop_held_name(std::map<std::string, held_name>::iterator name) {
  auto registration = std::move(name->second.registration);
  held_names().erase(name);
  detail::broker_link::get().release_event(registration);
}

HANDLE fail_with_null(DWORD error) {
  SetLastError(error);
  return nullptr;
}

}  // namespace conduit::win32
