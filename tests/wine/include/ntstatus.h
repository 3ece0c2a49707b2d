/* ntstatus.h for Wine's conformance tests: the status codes they name that
 * conduit's windows.h does not define. */
#include <windows.h>
#ifndef STATUS_NOT_IMPLEMENTED
#define STATUS_NOT_IMPLEMENTED ((NTSTATUS)0xC0000002)
#endif
