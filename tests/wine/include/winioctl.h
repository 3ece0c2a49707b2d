/* winioctl.h for Wine's conformance tests: the control code pipe.c uses. */
#include <windows.h>
#ifndef FSCTL_PIPE_PEEK
#define FSCTL_PIPE_PEEK 0x0011400c
#endif
