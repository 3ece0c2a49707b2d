// What the broker decides with security descriptors: who a peer is in
// Windows terms, the descriptor a new object gets, and the access checks
// every namespace runs (docs/security.md, "What the broker enforces").
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string_view>

#include "broker/peer.hpp"
#include "conduit/error.hpp"
#include "security/access_check.hpp"
#include "security/security_descriptor.hpp"

namespace conduit::broker {

namespace security = detail::security;

/// The identity the access check sees: the credentials the kernel gave at
/// accept, never anything the peer sent.
[[nodiscard]] security::identity identity_of(const credentials& who);

/// The descriptor an object is made with: `sddl` parsed, or `fallback` when
/// it is empty; text without a DACL takes `fallback`'s (a null DACL stays
/// null); the creator becomes the owner (and group) where the text names
/// none, and stands in for CREATOR OWNER and CREATOR GROUP.
/// @returns errc::invalid_security_descr for text that does not parse.
[[nodiscard]] errc object_descriptor(std::string_view sddl, const credentials& creator,
                                     security::security_descriptor fallback,
                                     security::security_descriptor& out);

/// The creator's default for objects Windows secures with the token's
/// default DACL (named events, mailslots): full access to the creator and
/// LocalSystem, nothing to anyone else.
[[nodiscard]] security::security_descriptor creator_default_descriptor(uid_t uid, gid_t gid);

/// Whether `who` is granted every right in `desired` (generic rights mapped
/// through `mapping`). `granted` gets what was given.
[[nodiscard]] bool access_granted(const security::security_descriptor& sd, const credentials& who,
                                  std::uint32_t desired, const security::generic_mapping& mapping,
                                  std::uint32_t& granted);
[[nodiscard]] bool access_granted(const security::security_descriptor& sd, const credentials& who,
                                  std::uint32_t desired, const security::generic_mapping& mapping);

/// What opening a pipe or mailslot with `desired` asks of its DACL: CreateFile
/// adds SYNCHRONIZE to what its caller names. (It adds FILE_READ_ATTRIBUTES
/// too, which Windows grants through the folder the object lies in, here the
/// namespace itself: every handle has it.)
[[nodiscard]] constexpr std::uint32_t file_open_desired(std::uint32_t desired) {
  return desired | security::rights::synchronize;
}

/// Every bit an access mask may hold: the specific rights in
/// `specific_bits`, the standard rights, ACCESS_SYSTEM_SECURITY,
/// MAXIMUM_ALLOWED and the generic rights. Anything else is
/// ERROR_INVALID_PARAMETER.
[[nodiscard]] bool valid_access_mask(std::uint32_t mask, std::uint32_t specific_bits);

}  // namespace conduit::broker
