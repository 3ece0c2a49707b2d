/* conduit/win32/libloaderapi.h: GetModuleHandle and GetProcAddress, for
 * programs that look up a function at run time:
 *
 *   HMODULE kernel32 = GetModuleHandle(TEXT("kernel32.dll"));
 *   FARPROC f = GetProcAddress(kernel32, "CancelIoEx");
 *
 * The modules that exist here are the program itself (GetModuleHandle(NULL))
 * and conduit's Win32 library, which answers to the names of the Windows
 * DLLs whose functions it has: kernel32, kernelbase, advapi32 and user32
 * (with or without ".dll", in any case). Other names fail with
 * ERROR_MOD_NOT_FOUND. GetProcAddress finds only that module's own exports
 * (for the program: what it exports dynamically, e.g. with -rdynamic);
 * anything else, and ordinals, fail with ERROR_PROC_NOT_FOUND. */
#ifndef CONDUIT_WIN32_LIBLOADERAPI_H
#define CONDUIT_WIN32_LIBLOADERAPI_H

#ifdef __cplusplus
extern "C" {
#endif

#define ERROR_MOD_NOT_FOUND 126L
#define ERROR_PROC_NOT_FOUND 127L

typedef INT_PTR(WINAPI* FARPROC)(void);

HMODULE WINAPI GetModuleHandleA(LPCSTR lpModuleName);
HMODULE WINAPI GetModuleHandleW(LPCWSTR lpModuleName);
FARPROC WINAPI GetProcAddress(HMODULE hModule, LPCSTR lpProcName);

#ifdef UNICODE
#define GetModuleHandle GetModuleHandleW
#else
#define GetModuleHandle GetModuleHandleA
#endif

#ifdef __cplusplus
}
#endif

#endif /* CONDUIT_WIN32_LIBLOADERAPI_H */
