// The text API check built as C++ (text_api_check.c is the source), with
// C++ library headers before and after windows.h: in UNICODE builds the
// 16-bit wide functions must survive both orders (wchar16.h).
#include <string>

#include "text_api_check.c"

#include <cwchar>
#include <iostream>
