// The text API check built as C++ (text_api_check.c is the source).
#include "text_api_check.c"
