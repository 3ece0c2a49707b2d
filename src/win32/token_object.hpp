// An access token handle (OpenThreadToken, OpenProcessToken, DuplicateToken):
// a snapshot of an identity, which later impersonation does not change.
#pragma once

#include "conduit/client_identity.hpp"
#include "conduit/win32/windows.h"
#include "win32/kernel_object.hpp"

namespace conduit::win32 {

class token_object final : public kernel_object {
 public:
  token_object(client_identity who, TOKEN_TYPE type, SECURITY_IMPERSONATION_LEVEL level)
      : who_(std::move(who)), type_(type), level_(level) {}

  [[nodiscard]] const client_identity& who() const { return who_; }
  [[nodiscard]] TOKEN_TYPE type() const { return type_; }
  /// Meaningful for an impersonation token only.
  [[nodiscard]] SECURITY_IMPERSONATION_LEVEL level() const { return level_; }

 private:
  client_identity who_;
  TOKEN_TYPE type_;
  SECURITY_IMPERSONATION_LEVEL level_;
};

}  // namespace conduit::win32
