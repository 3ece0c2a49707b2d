/* windef.h for Wine's conformance tests: conduit's windows.h holds it all. */
#include <windows.h>
#include "winetest_compat.h"
