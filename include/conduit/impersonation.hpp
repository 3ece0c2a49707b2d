// conduit/impersonation.hpp: a server thread acting as its pipe's client.
//
// pipe_server::impersonate_client() makes the calling thread, and only that
// thread, take the identity of the connected client (ImpersonateNamedPipeClient):
// its user id, group id and supplementary groups, so that the files it opens
// are opened with the client's rights. The guard it returns puts the
// thread's own identity back when it goes out of scope (RevertToSelf).
//
//   std::array<std::byte, 512> request;
//   std::size_t n = server.read(request);  // the client must have written first
//   {
//     auto as_client = server.impersonate_client();
//     int fd = ::open(path, O_RDONLY);      // with the client's rights
//   }                                       // the server again
//
// How far the thread can act is the client's choice and the server's means:
// see impersonate_client() and docs/named-pipes.md. A guard belongs to the
// thread that made it: end it on that thread.
#pragma once

#include <optional>
#include <system_error>

#include "conduit/client_identity.hpp"

namespace conduit {

/// The calling thread's impersonation (what OpenThreadToken would show).
struct thread_token {
  client_identity client;  // whom the thread impersonates
  /// The level the token carries: the client's, or identification when the
  /// server may not change its thread's user id.
  impersonation_level level = impersonation_level::impersonation;
  /// Whether the thread took the client's user and groups (impersonation
  /// and delegation level); below, what the thread does, it does not do as
  /// the client.
  bool acting = false;
};

/// An impersonation under way on the thread that started it; reverts it on
/// destruction. Move-only.
class [[nodiscard]] impersonation {
 public:
  /// Not impersonating.
  impersonation() noexcept = default;
  impersonation(impersonation&& other) noexcept;
  /// Reverts what this guard holds first.
  impersonation& operator=(impersonation&& other) noexcept;
  /// Reverts (RevertToSelf), unless revert() was called already.
  ~impersonation();
  impersonation(const impersonation&) = delete;
  impersonation& operator=(const impersonation&) = delete;

  /// Puts the thread's own identity back now. Errors: the errno of a
  /// credential change the kernel refused (ERROR_ACCESS_DENIED for EPERM),
  /// which the thread's own credentials never cause.
  /// @throws std::system_error
  void revert();
  void revert(std::error_code& ec) noexcept;

  /// Whether this guard still holds an impersonation.
  [[nodiscard]] bool active() const noexcept { return active_; }

 private:
  friend class pipe_server;
  explicit impersonation(bool active) noexcept : active_(active) {}
  bool active_ = false;
};

/// The calling thread's impersonation, or nullopt when it is itself.
[[nodiscard]] std::optional<thread_token> this_thread_token();

/// Ends the calling thread's impersonation, whoever started it
/// (RevertToSelf); does nothing on a thread that is itself.
/// @throws std::system_error
void revert_to_self();
void revert_to_self(std::error_code& ec) noexcept;

}  // namespace conduit
