// The impersonation guard and the calling thread's token (see
// conduit/impersonation.hpp); the work is in security/impersonation.cpp.
#include "conduit/impersonation.hpp"

#include <utility>

#include "conduit/error.hpp"
#include "core/throw_error.hpp"
#include "security/impersonation.hpp"

namespace conduit {

impersonation::impersonation(impersonation&& other) noexcept
    : active_(std::exchange(other.active_, false)) {}

impersonation& impersonation::operator=(impersonation&& other) noexcept {
  if (this != &other) {
    std::error_code ignored;
    revert(ignored);
    active_ = std::exchange(other.active_, false);
  }
  return *this;
}

impersonation::~impersonation() {
  std::error_code ignored;
  revert(ignored);
}

void impersonation::revert() {
  std::error_code ec;
  revert(ec);
  detail::throw_if_error(ec, "conduit::impersonation::revert");
}

void impersonation::revert(std::error_code& ec) noexcept {
  ec.clear();
  if (!active_) return;
  revert_to_self(ec);
  if (!ec) active_ = false;
}

std::optional<thread_token> this_thread_token() {
  const auto* state = detail::this_thread_impersonation();
  if (!state) return std::nullopt;
  return thread_token{state->client, state->level, state->acting};
}

void revert_to_self() {
  std::error_code ec;
  revert_to_self(ec);
  detail::throw_if_error(ec, "conduit::revert_to_self");
}

void revert_to_self(std::error_code& ec) noexcept {
  ec = detail::revert_this_thread();
  if (ec) ec = error_from_errno(ec.value());
}

}  // namespace conduit
