// SIDs, ACLs, security descriptors and SDDL: the conversions and the
// memory layouts Win32 programs build and walk.
#include <aclapi.h>
#include <sddl.h>

#include "observe.h"

// The bytes of a self-relative descriptor, in hex.
static void show_bytes(const char* label, const void* data, DWORD n) {
  char text[1024];
  size_t o = 0;
  const unsigned char* p = (const unsigned char*)data;
  for (DWORD i = 0; i < n && o + 3 < sizeof text; i++)
    o += (size_t)snprintf(text + o, sizeof text - o, "%02x", p[i]);
  text[o] = 0;
  say(label, "%lu bytes %s", (unsigned long)n, text);
}

// SDDL to a descriptor and back: the result, its bytes and its SDDL.
static void round_trip(const char* label, const char* sddl) {
  PSECURITY_DESCRIPTOR sd = NULL;
  ULONG size = 0;
  char l[128];
  SetLastError(0xdead);
  if (!show_bool(label, ConvertStringSecurityDescriptorToSecurityDescriptorA(sddl, SDDL_REVISION_1,
                                                                             &sd, &size)))
    return;
  snprintf(l, sizeof l, "%s bytes", label);
  show_bytes(l, sd, size);
  LPSTR text = NULL;
  ULONG length = 0;
  snprintf(l, sizeof l, "%s back", label);
  if (ConvertSecurityDescriptorToStringSecurityDescriptorA(
          sd, SDDL_REVISION_1,
          OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
          &text, &length))
    say(l, "\"%s\" length %lu", text, (unsigned long)length);
  else
    show_bool(l, FALSE);
  LocalFree(text);
  LocalFree(sd);
}

static void convert_sid(const char* label, const char* text) {
  PSID sid = NULL;
  SetLastError(0xdead);
  if (!show_bool(label, ConvertStringSidToSidA(text, &sid))) return;
  LPSTR back = NULL;
  char l[128];
  snprintf(l, sizeof l, "%s back", label);
  if (ConvertSidToStringSidA(sid, &back)) say(l, "%s", back);
  LocalFree(back);
  LocalFree(sid);
}

int main() {
  // SDDL that parses, and what Windows writes back.
  round_trip("owner group dacl", "O:BAG:SYD:(A;;GA;;;WD)");
  round_trip("pipe default shape",
             "O:S-1-22-1-1000G:S-1-22-2-1000D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;CO)(A;;FR;;;WD)(A;;"
             "FR;;;AN)");
  round_trip("flags and bit names", "D:PAI(D;OICI;0x1;;;BU)(A;IO;GRGW;;;AU)");
  round_trip("masks",
             "D:(A;;0x1f01ff;;;WD)(A;;0x120116;;;WD)(A;;0x12019f;;;WD)(A;;0xf0000000;;;WD)");
  round_trip("empty dacl", "D:");
  round_trip("null dacl", "D:NO_ACCESS_CONTROL");
  round_trip("empty string", "");
  round_trip("lower-case alias", "D:(A;;GA;;;wd)");
  round_trip("spaces", "D: (A; ;GA;;; WD)");
  round_trip("rights run together", "D:(A;;FAFR;;;WD)");
  round_trip("unix user", "D:(A;;GA;;;S-1-22-1-0)");

  // SDDL that does not.
  round_trip("bad right", "D:(A;;ROB;;;WD)");
  round_trip("unknown alias", "D:(A;;GA;;;XX)");
  round_trip("sid without sub-authority", "D:(A;;GA;;;S-1-5)");
  round_trip("missing parenthesis", "D:(A;;GA;;;WD");
  round_trip("bad ace flag", "D:(A;ZZ;GA;;;WD)");
  round_trip("unknown section", "Q:");
  round_trip("lower-case section", "d:(A;;GA;;;WD)");
  round_trip("bad owner", "O:XX");
  PSECURITY_DESCRIPTOR none = NULL;
  SetLastError(0xdead);
  show_bool("revision 2",
            ConvertStringSecurityDescriptorToSecurityDescriptorA("D:", 2, &none, NULL));
  SetLastError(0xdead);
  show_bool("null result pointer", ConvertStringSecurityDescriptorToSecurityDescriptorA(
                                       "D:", SDDL_REVISION_1, NULL, NULL));

  // SID strings.
  convert_sid("sid numeric", "S-1-5-32-544");
  convert_sid("sid alias", "BA");
  convert_sid("sid lower case", "s-1-12-1");
  convert_sid("sid hex", "S-0x1-0XC-0x1a");
  convert_sid("sid fifteen", "S-1-1-0-1-2-3-4-5-6-7-8-9-10-11-12-13-14");
  convert_sid("sid no sub-authority", "S-1-5");
  convert_sid("sid trailing text", "WDandmorecharacters");
  convert_sid("sid revision 2", "S-2-5-1");
  convert_sid("sid unknown alias", "XX");
  PSID sid = NULL;
  SetLastError(0xdead);
  show_bool("sid null string", ConvertStringSidToSidA(NULL, &sid));

  // SIDs in memory.
  SID_IDENTIFIER_AUTHORITY nt = SECURITY_NT_AUTHORITY;
  PSID admins = NULL, system = NULL;
  show_bool("AllocateAndInitializeSid",
            AllocateAndInitializeSid(&nt, 2, SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS,
                                     0, 0, 0, 0, 0, 0, &admins));
  show_bool(
      "AllocateAndInitializeSid 1",
      AllocateAndInitializeSid(&nt, 1, SECURITY_LOCAL_SYSTEM_RID, 0, 0, 0, 0, 0, 0, 0, &system));
  PSID nine = NULL;
  SetLastError(0xdead);
  show_bool("AllocateAndInitializeSid 9",
            AllocateAndInitializeSid(&nt, 9, 0, 0, 0, 0, 0, 0, 0, 0, &nine));
  show_num("GetLengthSid", GetLengthSid(admins));
  show_bool("IsValidSid", IsValidSid(admins));
  SetLastError(0xdead);
  show_bool("EqualSid different", EqualSid(admins, system));
  show_num("EqualSid last error", GetLastError());
  BYTE copy[SECURITY_MAX_SID_SIZE];
  show_bool("CopySid", CopySid(sizeof copy, copy, admins));
  show_bool("EqualSid copy", EqualSid(copy, admins));
  show_num("sub-authority count", *GetSidSubAuthorityCount(admins));
  show_num("sub-authority 1", *GetSidSubAuthority(admins, 1));

  // ACLs.
  union {
    ACL acl;
    BYTE bytes[64];
  } buffer;
  PACL acl = &buffer.acl;
  memset(&buffer, 0, sizeof buffer);
  SetLastError(0xdead);
  show_bool("InitializeAcl too small", InitializeAcl(acl, sizeof(ACL) - 1, ACL_REVISION));
  SetLastError(0xdead);
  show_bool("InitializeAcl too large", InitializeAcl(acl, 0xffffffff, ACL_REVISION));
  SetLastError(0xdead);
  show_bool("InitializeAcl revision 1", InitializeAcl(acl, sizeof buffer, 1));
  show_bool("InitializeAcl", InitializeAcl(acl, 44, ACL_REVISION));
  show_bool("IsValidAcl", IsValidAcl(acl));
  show_bool("AddAccessDeniedAce", AddAccessDeniedAce(acl, ACL_REVISION, FILE_WRITE_DATA, system));
  SetLastError(0xdead);
  show_bool("AddAccessAllowedAce full",
            AddAccessAllowedAce(acl, ACL_REVISION, GENERIC_ALL, admins));
  show_num("AceCount", acl->AceCount);
  ACCESS_DENIED_ACE* ace = NULL;
  if (show_bool("GetAce 0", GetAce(acl, 0, (LPVOID*)&ace))) {
    show_num("ace type", ace->Header.AceType);
    show_num("ace size", ace->Header.AceSize);
    show_num("ace mask", ace->Mask);
  }
  SetLastError(0xdead);
  show_bool("GetAce 1", GetAce(acl, 1, (LPVOID*)&ace));

  // Absolute descriptors and MakeSelfRelativeSD.
  SECURITY_DESCRIPTOR absolute;
  SetLastError(0xdead);
  show_bool("InitializeSecurityDescriptor revision 2", InitializeSecurityDescriptor(&absolute, 2));
  show_bool("InitializeSecurityDescriptor",
            InitializeSecurityDescriptor(&absolute, SECURITY_DESCRIPTOR_REVISION));
  show_bool("IsValidSecurityDescriptor", IsValidSecurityDescriptor(&absolute));
  LPSTR text = NULL;
  if (ConvertSecurityDescriptorToStringSecurityDescriptorA(&absolute, SDDL_REVISION_1,
                                                           DACL_SECURITY_INFORMATION, &text, NULL))
    say("fresh descriptor sddl", "\"%s\"", text);
  LocalFree(text);
  show_bool("SetSecurityDescriptorOwner", SetSecurityDescriptorOwner(&absolute, system, FALSE));
  show_bool("SetSecurityDescriptorDacl", SetSecurityDescriptorDacl(&absolute, TRUE, acl, FALSE));
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  show_bool("GetSecurityDescriptorControl",
            GetSecurityDescriptorControl(&absolute, &control, &revision));
  show_num("control", control);
  text = NULL;
  if (ConvertSecurityDescriptorToStringSecurityDescriptorA(
          &absolute, SDDL_REVISION_1,
          OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
          &text, NULL))
    say("absolute sddl", "\"%s\"", text);
  LocalFree(text);
  DWORD size = 0;
  SetLastError(0xdead);
  show_bool("MakeSelfRelativeSD size", MakeSelfRelativeSD(&absolute, NULL, &size));
  show_num("MakeSelfRelativeSD needs", size);
  BYTE relative[256];
  size = sizeof relative;
  if (show_bool("MakeSelfRelativeSD", MakeSelfRelativeSD(&absolute, relative, &size)))
    show_bytes("self-relative", relative, GetSecurityDescriptorLength(relative));
  SetLastError(0xdead);
  show_bool("SetSecurityDescriptorDacl self-relative",
            SetSecurityDescriptorDacl(relative, TRUE, NULL, FALSE));
  BOOL present = FALSE, defaulted = TRUE;
  PACL got = NULL;
  show_bool("GetSecurityDescriptorDacl",
            GetSecurityDescriptorDacl(relative, &present, &got, &defaulted));
  show_num("dacl present", present);
  show_num("dacl offset", (DWORD)((BYTE*)got - relative));
  show_bool("SetSecurityDescriptorDacl null",
            SetSecurityDescriptorDacl(&absolute, TRUE, NULL, FALSE));
  text = NULL;
  if (ConvertSecurityDescriptorToStringSecurityDescriptorA(&absolute, SDDL_REVISION_1,
                                                           DACL_SECURITY_INFORMATION, &text, NULL))
    say("absolute null dacl sddl", "\"%s\"", text);
  LocalFree(text);

  FreeSid(admins);
  FreeSid(system);
  return 0;
}
