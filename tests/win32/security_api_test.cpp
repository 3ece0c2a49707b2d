// The Win32 security API: SIDs, ACLs, descriptors, SDDL conversions,
// account lookups and LocalAlloc, each with the exact error Windows sets;
// and the conversion of a program's SECURITY_ATTRIBUTES into the SDDL sent
// to the broker.
#include <gtest/gtest.h>

#include <aclapi.h>
#include <sddl.h>
#include <windows.h>

#include <cstring>
#include <string>
#include <vector>

#include "conduit/error.hpp"
#include "win32/security_conversion.hpp"

namespace {

// A LocalAlloc'd result, freed on every path.
struct local_ptr {
  void* p = nullptr;
  ~local_ptr() { LocalFree(p); }
};

PSECURITY_DESCRIPTOR from_sddl(const char* text, local_ptr& holder, ULONG* size = nullptr) {
  EXPECT_TRUE(
      ConvertStringSecurityDescriptorToSecurityDescriptorA(text, SDDL_REVISION_1, &holder.p, size))
      << text << " " << GetLastError();
  return holder.p;
}

std::string to_sddl(PSECURITY_DESCRIPTOR sd,
                    SECURITY_INFORMATION info = OWNER_SECURITY_INFORMATION |
                                                GROUP_SECURITY_INFORMATION |
                                                DACL_SECURITY_INFORMATION) {
  local_ptr text;
  ULONG length = 0;
  if (!ConvertSecurityDescriptorToStringSecurityDescriptorA(
          sd, SDDL_REVISION_1, info, reinterpret_cast<LPSTR*>(&text.p), &length))
    return "error " + std::to_string(GetLastError());
  std::string result(static_cast<char*>(text.p));
  EXPECT_EQ(length, result.size() + 1);
  return result;
}

DWORD failure(BOOL ok) {
  EXPECT_FALSE(ok);
  return GetLastError();
}

TEST(Win32Sddl, StringToDescriptorAndBack) {
  local_ptr holder;
  ULONG size = 0;
  auto* sd = from_sddl("O:BAG:SYD:(A;;GA;;;WD)", holder, &size);
  EXPECT_EQ(size, 76u);
  EXPECT_TRUE(IsValidSecurityDescriptor(sd));
  EXPECT_EQ(GetSecurityDescriptorLength(sd), 76u);
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  ASSERT_TRUE(GetSecurityDescriptorControl(sd, &control, &revision));
  EXPECT_EQ(control, SE_SELF_RELATIVE | SE_DACL_PRESENT);
  EXPECT_EQ(revision, 1u);
  EXPECT_EQ(to_sddl(sd), "O:BAG:SYD:(A;;GA;;;WD)");
  EXPECT_EQ(to_sddl(sd, GROUP_SECURITY_INFORMATION), "G:SY");
}

TEST(Win32Sddl, ErrorsAreWindowsErrors) {
  PSECURITY_DESCRIPTOR sd = nullptr;
  SetLastError(0xdeadbeef);
  EXPECT_EQ(failure(ConvertStringSecurityDescriptorToSecurityDescriptorA("D:(A;;GA;;;WD)",
                                                                         0xdeadbeef, &sd, nullptr)),
            ERROR_UNKNOWN_REVISION);
  EXPECT_EQ(failure(ConvertStringSecurityDescriptorToSecurityDescriptorA(
                "ERROR:(D;;GA;;;WD)", SDDL_REVISION_1, &sd, nullptr)),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(failure(ConvertStringSecurityDescriptorToSecurityDescriptorA(
                "D:(A;;ROB;;;WD)", SDDL_REVISION_1, &sd, nullptr)),
            ERROR_INVALID_ACL);
  EXPECT_EQ(failure(ConvertStringSecurityDescriptorToSecurityDescriptorA(
                "D:(D;;GA;;;Nonexistent account)", SDDL_REVISION_1, &sd, nullptr)),
            ERROR_INVALID_ACL);
  EXPECT_EQ(failure(ConvertStringSecurityDescriptorToSecurityDescriptorA("O:XX", SDDL_REVISION_1,
                                                                         &sd, nullptr)),
            ERROR_INVALID_SID);
  EXPECT_EQ(failure(ConvertStringSecurityDescriptorToSecurityDescriptorA(nullptr, SDDL_REVISION_1,
                                                                         &sd, nullptr)),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(failure(ConvertStringSecurityDescriptorToSecurityDescriptorA("D:", SDDL_REVISION_1,
                                                                         nullptr, nullptr)),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(sd, nullptr);
  LPSTR text = nullptr;
  SECURITY_DESCRIPTOR absolute;
  ASSERT_TRUE(InitializeSecurityDescriptor(&absolute, SECURITY_DESCRIPTOR_REVISION));
  EXPECT_EQ(failure(ConvertSecurityDescriptorToStringSecurityDescriptorA(
                &absolute, 2, DACL_SECURITY_INFORMATION, &text, nullptr)),
            ERROR_UNKNOWN_REVISION);
  EXPECT_EQ(failure(ConvertSecurityDescriptorToStringSecurityDescriptorA(
                nullptr, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text, nullptr)),
            ERROR_INVALID_PARAMETER);
}

TEST(Win32Sddl, WideForms) {
  local_ptr holder;
  ASSERT_TRUE(ConvertStringSecurityDescriptorToSecurityDescriptorW(
      u"D:P(A;;FR;;;AU)", SDDL_REVISION_1, &holder.p, nullptr));
  local_ptr text;
  ULONG length = 0;
  ASSERT_TRUE(ConvertSecurityDescriptorToStringSecurityDescriptorW(
      holder.p, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, reinterpret_cast<LPWSTR*>(&text.p),
      &length));
  EXPECT_EQ(std::u16string(static_cast<char16_t*>(text.p)), u"D:P(A;;FR;;;AU)");
  EXPECT_EQ(length, 16u);
  local_ptr sid;
  ASSERT_TRUE(ConvertStringSidToSidW(u"S-1-22-1-1000", &sid.p));
  local_ptr sid_text;
  ASSERT_TRUE(ConvertSidToStringSidW(sid.p, reinterpret_cast<LPWSTR*>(&sid_text.p)));
  EXPECT_EQ(std::u16string(static_cast<char16_t*>(sid_text.p)), u"S-1-22-1-1000");
}

TEST(Win32Sddl, NullDaclFromAbsoluteDescriptor) {
  // The idiom servers use to let everyone in.
  SECURITY_DESCRIPTOR sd;
  ASSERT_TRUE(InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION));
  EXPECT_EQ(to_sddl(&sd), "");
  ASSERT_TRUE(SetSecurityDescriptorDacl(&sd, TRUE, nullptr, FALSE));
  EXPECT_EQ(to_sddl(&sd), "D:NO_ACCESS_CONTROL");
  std::string sddl;
  EXPECT_FALSE(conduit::win32::descriptor_to_sddl(&sd, sddl));
  EXPECT_EQ(sddl, "D:NO_ACCESS_CONTROL");
  SECURITY_ATTRIBUTES sa{sizeof sa, &sd, FALSE};
  EXPECT_FALSE(conduit::win32::attributes_to_sddl(&sa, sddl));
  EXPECT_EQ(sddl, "D:NO_ACCESS_CONTROL");
  // No attributes, or no descriptor in them: the default ("").
  EXPECT_FALSE(conduit::win32::attributes_to_sddl(nullptr, sddl));
  EXPECT_EQ(sddl, "");
  SECURITY_ATTRIBUTES inherit_only{sizeof sa, nullptr, TRUE};
  EXPECT_FALSE(conduit::win32::attributes_to_sddl(&inherit_only, sddl));
  EXPECT_EQ(sddl, "");
}

TEST(Win32Sddl, AbsoluteDescriptorWithAcl) {
  SID_IDENTIFIER_AUTHORITY world = SECURITY_WORLD_SID_AUTHORITY;
  PSID everyone = nullptr;
  ASSERT_TRUE(
      AllocateAndInitializeSid(&world, 1, SECURITY_WORLD_RID, 0, 0, 0, 0, 0, 0, 0, &everyone));
  local_ptr user;
  ASSERT_TRUE(ConvertStringSidToSidA("S-1-22-1-1000", &user.p));
  alignas(4) BYTE buffer[256];
  auto* acl = reinterpret_cast<PACL>(buffer);
  ASSERT_TRUE(InitializeAcl(acl, sizeof buffer, ACL_REVISION));
  ASSERT_TRUE(AddAccessDeniedAce(acl, ACL_REVISION, FILE_WRITE_DATA, user.p));
  ASSERT_TRUE(AddAccessAllowedAce(acl, ACL_REVISION, GENERIC_READ | GENERIC_WRITE, everyone));
  SECURITY_DESCRIPTOR sd;
  ASSERT_TRUE(InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION));
  ASSERT_TRUE(SetSecurityDescriptorDacl(&sd, TRUE, acl, FALSE));
  ASSERT_TRUE(SetSecurityDescriptorOwner(&sd, user.p, FALSE));
  EXPECT_TRUE(IsValidSecurityDescriptor(&sd));
  std::string sddl;
  ASSERT_FALSE(conduit::win32::descriptor_to_sddl(&sd, sddl));
  EXPECT_EQ(sddl, "O:S-1-22-1-1000D:(D;;DC;;;S-1-22-1-1000)(A;;GWGR;;;WD)");
  // MakeSelfRelativeSD: size first, then the copy that converts the same.
  DWORD size = 0;
  EXPECT_EQ(failure(MakeSelfRelativeSD(&sd, nullptr, &size)), ERROR_INSUFFICIENT_BUFFER);
  // The header, the owner and the whole ACL buffer (AclSize), as Windows copies it.
  EXPECT_EQ(size, 20u + 16u + sizeof buffer);
  EXPECT_EQ(GetSecurityDescriptorLength(&sd), sizeof(SECURITY_DESCRIPTOR) + 16u + sizeof buffer);
  std::vector<BYTE> relative(size);
  ASSERT_TRUE(MakeSelfRelativeSD(&sd, relative.data(), &size));
  EXPECT_EQ(GetSecurityDescriptorLength(relative.data()), size);
  EXPECT_EQ(to_sddl(relative.data()), sddl);
  auto* header = reinterpret_cast<SECURITY_DESCRIPTOR_RELATIVE*>(relative.data());
  EXPECT_EQ(header->Control, SE_SELF_RELATIVE | SE_DACL_PRESENT);
  EXPECT_EQ(header->Owner, 20u);
  EXPECT_EQ(header->Group, 0u);
  EXPECT_EQ(header->Dacl, 36u);
  EXPECT_EQ(failure(MakeSelfRelativeSD(relative.data(), relative.data(), &size)),
            ERROR_BAD_DESCRIPTOR_FORMAT);
  EXPECT_EQ(FreeSid(everyone), nullptr);
}

TEST(Win32Descriptor, GetAndSetParts) {
  local_ptr holder;
  auto* sd = from_sddl("O:SYG:BAD:(A;;GA;;;WD)", holder);
  PSID owner = nullptr, group = nullptr;
  BOOL defaulted = TRUE, present = FALSE;
  PACL dacl = nullptr;
  ASSERT_TRUE(GetSecurityDescriptorOwner(sd, &owner, &defaulted));
  EXPECT_FALSE(defaulted);
  local_ptr owner_text;
  ASSERT_TRUE(ConvertSidToStringSidA(owner, reinterpret_cast<LPSTR*>(&owner_text.p)));
  EXPECT_STREQ(static_cast<char*>(owner_text.p), "S-1-5-18");
  ASSERT_TRUE(GetSecurityDescriptorGroup(sd, &group, &defaulted));
  EXPECT_EQ(GetLengthSid(group), 16u);
  ASSERT_TRUE(GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted));
  EXPECT_TRUE(present);
  ASSERT_NE(dacl, nullptr);
  EXPECT_EQ(dacl->AceCount, 1);
  EXPECT_TRUE(IsValidAcl(dacl));
  ACCESS_ALLOWED_ACE* entry = nullptr;
  ASSERT_TRUE(GetAce(dacl, 0, reinterpret_cast<LPVOID*>(&entry)));
  EXPECT_EQ(entry->Header.AceType, ACCESS_ALLOWED_ACE_TYPE);
  EXPECT_EQ(entry->Mask, static_cast<DWORD>(GENERIC_ALL));
  EXPECT_EQ(entry->Header.AceSize, 20);
  EXPECT_EQ(failure(GetAce(dacl, 1, reinterpret_cast<LPVOID*>(&entry))), ERROR_INVALID_PARAMETER);
  // Self-relative descriptors cannot be changed in place.
  EXPECT_EQ(failure(SetSecurityDescriptorDacl(sd, TRUE, nullptr, FALSE)),
            ERROR_INVALID_SECURITY_DESCR);
  EXPECT_EQ(failure(SetSecurityDescriptorOwner(sd, nullptr, FALSE)), ERROR_INVALID_SECURITY_DESCR);

  SECURITY_DESCRIPTOR absolute;
  EXPECT_EQ(failure(InitializeSecurityDescriptor(&absolute, 2)), ERROR_UNKNOWN_REVISION);
  ASSERT_TRUE(InitializeSecurityDescriptor(&absolute, SECURITY_DESCRIPTOR_REVISION));
  present = TRUE;
  ASSERT_TRUE(GetSecurityDescriptorDacl(&absolute, &present, &dacl, &defaulted));
  EXPECT_FALSE(present);
  ASSERT_TRUE(GetSecurityDescriptorOwner(&absolute, &owner, &defaulted));
  EXPECT_EQ(owner, nullptr);
  ASSERT_TRUE(SetSecurityDescriptorGroup(&absolute, group, TRUE));
  ASSERT_TRUE(GetSecurityDescriptorGroup(&absolute, &owner, &defaulted));
  EXPECT_EQ(owner, group);
  EXPECT_TRUE(defaulted);
  absolute.Revision = 7;
  EXPECT_EQ(failure(GetSecurityDescriptorDacl(&absolute, &present, &dacl, &defaulted)),
            ERROR_UNKNOWN_REVISION);
  EXPECT_EQ(failure(IsValidSecurityDescriptor(&absolute)), ERROR_INVALID_SECURITY_DESCR);
}

TEST(Win32Sid, StringsAndAliases) {
  local_ptr sid;
  ASSERT_TRUE(ConvertStringSidToSidA("BA", &sid.p));
  EXPECT_TRUE(IsValidSid(sid.p));
  EXPECT_EQ(GetLengthSid(sid.p), 16u);
  EXPECT_EQ(*GetSidSubAuthorityCount(sid.p), 2);
  EXPECT_EQ(*GetSidSubAuthority(sid.p, 1), 544u);
  EXPECT_EQ(GetSidIdentifierAuthority(sid.p)->Value[5], 5);
  local_ptr text;
  ASSERT_TRUE(ConvertSidToStringSidA(sid.p, reinterpret_cast<LPSTR*>(&text.p)));
  EXPECT_STREQ(static_cast<char*>(text.p), "S-1-5-32-544");

  PSID out = nullptr;
  EXPECT_EQ(failure(ConvertStringSidToSidA("S-1-5", &out)), ERROR_INVALID_SID);
  EXPECT_EQ(failure(ConvertStringSidToSidA("WDandmorecharacters", &out)), ERROR_INVALID_SID);
  EXPECT_EQ(failure(ConvertStringSidToSidA("WD)", &out)), ERROR_INVALID_SID);
  EXPECT_EQ(failure(ConvertStringSidToSidA(nullptr, &out)), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(failure(ConvertStringSidToSidA("S-1-1-0", nullptr)), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(out, nullptr);
  LPSTR string = nullptr;
  static_cast<SID*>(sid.p)->Revision = 2;
  EXPECT_FALSE(IsValidSid(sid.p));
  EXPECT_EQ(failure(ConvertSidToStringSidA(sid.p, &string)), ERROR_INVALID_SID);
  EXPECT_EQ(failure(ConvertSidToStringSidA(nullptr, &string)), ERROR_INVALID_PARAMETER);
}

TEST(Win32Sid, AllocateCompareCopy) {
  SID_IDENTIFIER_AUTHORITY nt = SECURITY_NT_AUTHORITY;
  PSID a = nullptr, b = nullptr;
  ASSERT_TRUE(AllocateAndInitializeSid(&nt, 2, SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS,
                                       0, 0, 0, 0, 0, 0, &a));
  ASSERT_TRUE(AllocateAndInitializeSid(&nt, 1, SECURITY_LOCAL_SYSTEM_RID, 0, 0, 0, 0, 0, 0, 0, &b));
  SetLastError(0xdeadbeef);
  EXPECT_FALSE(EqualSid(a, b));
  EXPECT_EQ(GetLastError(), ERROR_SUCCESS);
  local_ptr ba;
  ASSERT_TRUE(ConvertStringSidToSidA("BA", &ba.p));
  EXPECT_TRUE(EqualSid(a, ba.p));
  BYTE copy[SECURITY_MAX_SID_SIZE];
  EXPECT_EQ(failure(CopySid(15, copy, a)), ERROR_INSUFFICIENT_BUFFER);
  ASSERT_TRUE(CopySid(sizeof copy, copy, a));
  EXPECT_TRUE(EqualSid(copy, a));
  PSID nine = nullptr;
  EXPECT_EQ(failure(AllocateAndInitializeSid(&nt, 9, 0, 0, 0, 0, 0, 0, 0, 0, &nine)),
            ERROR_INVALID_SID);
  EXPECT_EQ(FreeSid(a), nullptr);
  EXPECT_EQ(FreeSid(b), nullptr);
}

TEST(Win32Acl, InitializeAndAddAces) {
  alignas(4) BYTE buffer[64];
  auto* acl = reinterpret_cast<PACL>(buffer);
  EXPECT_EQ(failure(InitializeAcl(acl, sizeof(ACL) - 1, ACL_REVISION)), ERROR_INSUFFICIENT_BUFFER);
  EXPECT_EQ(failure(InitializeAcl(acl, 0xffffffff, ACL_REVISION)), ERROR_INVALID_PARAMETER);
  EXPECT_EQ(failure(InitializeAcl(acl, sizeof buffer, 1)), ERROR_INVALID_PARAMETER);
  ASSERT_TRUE(InitializeAcl(acl, 36, ACL_REVISION));
  EXPECT_TRUE(IsValidAcl(acl));
  local_ptr sid;
  ASSERT_TRUE(ConvertStringSidToSidA("WD", &sid.p));
  ASSERT_TRUE(AddAccessAllowedAceEx(acl, ACL_REVISION, INHERIT_ONLY_ACE, FILE_READ_DATA, sid.p));
  // 8 + 20 bytes used of 36: a second 20-byte ACE does not fit.
  EXPECT_EQ(failure(AddAccessDeniedAce(acl, ACL_REVISION, FILE_READ_DATA, sid.p)),
            ERROR_ALLOTTED_SPACE_EXCEEDED);
  EXPECT_EQ(failure(AddAccessAllowedAceEx(acl, ACL_REVISION, 0x40, FILE_READ_DATA, sid.p)),
            ERROR_INVALID_PARAMETER);
  EXPECT_EQ(failure(AddAccessAllowedAce(acl, 7, FILE_READ_DATA, sid.p)), ERROR_REVISION_MISMATCH);
  static_cast<SID*>(sid.p)->Revision = 3;
  EXPECT_EQ(failure(AddAccessAllowedAce(acl, ACL_REVISION, FILE_READ_DATA, sid.p)),
            ERROR_INVALID_SID);
  EXPECT_EQ(acl->AceCount, 1);
  DWORD mask = GENERIC_READ | SYNCHRONIZE;
  GENERIC_MAPPING mapping{FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE,
                          FILE_ALL_ACCESS};
  MapGenericMask(&mask, &mapping);
  EXPECT_EQ(mask, static_cast<DWORD>(FILE_GENERIC_READ));
}

TEST(Win32Accounts, LookupAccountName) {
  BYTE sid[SECURITY_MAX_SID_SIZE];
  char domain[64];
  DWORD sid_size = 0, domain_size = 0;
  SID_NAME_USE use = SidTypeInvalid;
  EXPECT_EQ(
      failure(LookupAccountNameA(nullptr, "root", nullptr, &sid_size, nullptr, &domain_size, &use)),
      ERROR_INSUFFICIENT_BUFFER);
  EXPECT_EQ(sid_size, 16u);
  EXPECT_EQ(domain_size, sizeof "Unix User");
  sid_size = sizeof sid;
  domain_size = sizeof domain;
  ASSERT_TRUE(LookupAccountNameA(nullptr, "root", sid, &sid_size, domain, &domain_size, &use));
  EXPECT_EQ(use, SidTypeUser);
  EXPECT_STREQ(domain, "Unix User");
  EXPECT_EQ(domain_size, std::strlen("Unix User"));
  local_ptr text;
  ASSERT_TRUE(ConvertSidToStringSidA(sid, reinterpret_cast<LPSTR*>(&text.p)));
  EXPECT_STREQ(static_cast<char*>(text.p), "S-1-22-1-0");
  sid_size = sizeof sid;
  domain_size = sizeof domain;
  EXPECT_EQ(failure(LookupAccountNameA(nullptr, "conduit-no-such-account", sid, &sid_size, domain,
                                       &domain_size, &use)),
            ERROR_NONE_MAPPED);
  char16_t wide_domain[64];
  sid_size = sizeof sid;
  domain_size = 64;
  ASSERT_TRUE(
      LookupAccountNameW(nullptr, u"Everyone", sid, &sid_size, wide_domain, &domain_size, &use));
  EXPECT_EQ(use, SidTypeWellKnownGroup);
  EXPECT_EQ(domain_size, 0u);
}

TEST(Win32Accounts, LookupAccountSid) {
  local_ptr sid;
  ASSERT_TRUE(ConvertStringSidToSidA("BA", &sid.p));
  char name[64], domain[64];
  DWORD name_size = 1, domain_size = sizeof domain;
  SID_NAME_USE use = SidTypeInvalid;
  EXPECT_EQ(
      failure(LookupAccountSidA(nullptr, sid.p, name, &name_size, domain, &domain_size, &use)),
      ERROR_INSUFFICIENT_BUFFER);
  EXPECT_EQ(name_size, sizeof "Administrators");
  EXPECT_EQ(domain_size, sizeof "BUILTIN");
  name_size = sizeof name;
  domain_size = sizeof domain;
  ASSERT_TRUE(LookupAccountSidA(nullptr, sid.p, name, &name_size, domain, &domain_size, &use));
  EXPECT_STREQ(name, "Administrators");
  EXPECT_STREQ(domain, "BUILTIN");
  EXPECT_EQ(name_size, 14u);
  EXPECT_EQ(use, SidTypeAlias);

  local_ptr unknown;
  ASSERT_TRUE(ConvertStringSidToSidA("S-1-5-21-1-2-3-500", &unknown.p));
  name_size = sizeof name;
  domain_size = sizeof domain;
  EXPECT_EQ(
      failure(LookupAccountSidA(nullptr, unknown.p, name, &name_size, domain, &domain_size, &use)),
      ERROR_NONE_MAPPED);
  char16_t wide_name[64], wide_domain[64];
  local_ptr root;
  ASSERT_TRUE(ConvertStringSidToSidA("S-1-22-1-0", &root.p));
  name_size = 64;
  domain_size = 64;
  ASSERT_TRUE(
      LookupAccountSidW(nullptr, root.p, wide_name, &name_size, wide_domain, &domain_size, &use));
  EXPECT_EQ(std::u16string(wide_name), u"root");
  EXPECT_EQ(std::u16string(wide_domain), u"Unix User");
  EXPECT_EQ(use, SidTypeUser);
}

TEST(Win32LocalMemory, AllocAndFree) {
  auto* zeroed = static_cast<unsigned char*>(LocalAlloc(LPTR, 32));
  ASSERT_NE(zeroed, nullptr);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(zeroed[i], 0);
  EXPECT_EQ(LocalFree(zeroed), nullptr);
  EXPECT_EQ(LocalFree(nullptr), nullptr);
  void* empty = LocalAlloc(LMEM_FIXED, 0);
  EXPECT_NE(empty, nullptr);
  LocalFree(empty);
  // Moveable memory is a handle that LocalLock turns into the block (heapapi.h).
  HLOCAL moveable = LocalAlloc(LMEM_MOVEABLE, 8);
  ASSERT_NE(moveable, nullptr);
  EXPECT_NE(LocalLock(moveable), nullptr);
  EXPECT_EQ(LocalFree(moveable), nullptr);
  EXPECT_EQ(LocalAlloc(LMEM_DISCARDABLE, 8), nullptr);  // not supported
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
}

TEST(Win32Conversion, PartsForGetAndSetSecurityInfo) {
  namespace sec = conduit::detail::security;
  sec::security_descriptor value;
  ASSERT_FALSE(sec::parse_sddl("O:SYG:BAD:(A;;GA;;;WD)", value));
  DWORD size = 0;
  local_ptr sd{conduit::win32::to_local_self_relative(value, &size)};
  ASSERT_NE(sd.p, nullptr);
  EXPECT_EQ(size, GetSecurityDescriptorLength(sd.p));
  PSID owner = nullptr, group = nullptr;
  PACL dacl = nullptr;
  conduit::win32::self_relative_parts(sd.p, &owner, &group, &dacl);
  ASSERT_NE(dacl, nullptr);
  EXPECT_EQ(dacl->AceCount, 1);
  // Back: only the DACL is replaced, protected on request.
  sec::security_descriptor changed = value;
  ASSERT_FALSE(conduit::win32::descriptor_from_parts(
      DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, nullptr, nullptr, dacl,
      changed));
  EXPECT_EQ(sec::to_sddl(changed), "O:SYG:BAD:P(A;;GA;;;WD)");
  ASSERT_FALSE(conduit::win32::descriptor_from_parts(DACL_SECURITY_INFORMATION, nullptr, nullptr,
                                                     nullptr, changed));
  EXPECT_EQ(sec::to_sddl(changed), "O:SYG:BAD:PNO_ACCESS_CONTROL");
  EXPECT_EQ(conduit::win32::descriptor_from_parts(OWNER_SECURITY_INFORMATION, nullptr, nullptr,
                                                  nullptr, changed),
            conduit::errc::invalid_parameter);
  ASSERT_FALSE(conduit::win32::descriptor_from_parts(OWNER_SECURITY_INFORMATION, group, nullptr,
                                                     nullptr, changed));
  EXPECT_EQ(sec::to_sddl(changed, sec::info::owner), "O:BA");
}

}  // namespace
