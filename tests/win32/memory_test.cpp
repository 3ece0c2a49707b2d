// Heaps and Global/Local memory: sizes, zeroing, moving, locks and the
// errors Windows gives.
#include <gtest/gtest.h>

#include <windows.h>

#include <cstdint>
#include <cstring>

namespace conduit::test {
namespace {

bool all_zero(const void* p, std::size_t n) {
  const auto* b = static_cast<const unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i)
    if (b[i]) return false;
  return true;
}

TEST(Heap, ProcessHeapAllocSizeReAllocFree) {
  HANDLE heap = GetProcessHeap();
  ASSERT_NE(heap, nullptr);
  EXPECT_EQ(heap, GetProcessHeap());
  auto* p = static_cast<char*>(HeapAlloc(heap, HEAP_ZERO_MEMORY, 100));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u);
  EXPECT_TRUE(all_zero(p, 100));
  EXPECT_EQ(HeapSize(heap, 0, p), 100u);
  std::memset(p, 'x', 100);
  p = static_cast<char*>(HeapReAlloc(heap, HEAP_ZERO_MEMORY, p, 100000));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(HeapSize(heap, 0, p), 100000u);
  EXPECT_EQ(p[99], 'x');
  EXPECT_TRUE(all_zero(p + 100, 100000 - 100));
  p = static_cast<char*>(HeapReAlloc(heap, 0, p, 10));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(HeapSize(heap, 0, p), 10u);
  EXPECT_TRUE(HeapValidate(heap, 0, p));
  EXPECT_TRUE(HeapFree(heap, 0, p));
  EXPECT_TRUE(HeapFree(heap, 0, nullptr));
  // Zero bytes is a real block.
  void* empty = HeapAlloc(heap, 0, 0);
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(HeapSize(heap, 0, empty), 0u);
  EXPECT_TRUE(HeapFree(heap, 0, empty));
  SetLastError(0);
  EXPECT_EQ(HeapReAlloc(heap, 0, nullptr, 10), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  // The process heap is not destroyed.
  EXPECT_FALSE(HeapDestroy(heap));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
}

TEST(Heap, PrivateHeapsLimitsAndDestroy) {
  EXPECT_EQ(HeapCreate(0x80000000u, 0, 0), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  HANDLE growable = HeapCreate(0, 0, 0);
  ASSERT_NE(growable, nullptr);
  for (int i = 0; i < 100; ++i) ASSERT_NE(HeapAlloc(growable, 0, 1000), nullptr);
  void* mine = HeapAlloc(growable, 0, 8);
  // A block of another heap is refused.
  EXPECT_FALSE(HeapFree(GetProcessHeap(), 0, mine));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  EXPECT_EQ(HeapSize(GetProcessHeap(), 0, mine), static_cast<SIZE_T>(-1));
  EXPECT_TRUE(HeapDestroy(growable));  // frees all 101 blocks (ASan/valgrind see no leak)

  HANDLE fixed = HeapCreate(HEAP_NO_SERIALIZE, 0, 4096);
  ASSERT_NE(fixed, nullptr);
  void* a = HeapAlloc(fixed, 0, 3000);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(HeapAlloc(fixed, 0, 2000), nullptr);  // over the maximum
  EXPECT_EQ(HeapAlloc(fixed, HEAP_GENERATE_EXCEPTIONS, 2000), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_NOT_ENOUGH_MEMORY));
  EXPECT_EQ(HeapReAlloc(fixed, 0, a, 5000), nullptr);
  EXPECT_TRUE(HeapFree(fixed, 0, a));
  EXPECT_NE(HeapAlloc(fixed, 0, 2000), nullptr);  // room again
  EXPECT_TRUE(HeapDestroy(fixed));
}

TEST(Heap, ReAllocInPlaceOnly) {
  HANDLE heap = GetProcessHeap();
  void* p = HeapAlloc(heap, 0, 64);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(HeapReAlloc(heap, HEAP_REALLOC_IN_PLACE_ONLY, p, 16), p);  // shrinking stays
  EXPECT_EQ(HeapReAlloc(heap, HEAP_REALLOC_IN_PLACE_ONLY, p, 1 << 20), nullptr);
  EXPECT_EQ(HeapSize(heap, 0, p), 16u);  // untouched by the failure
  EXPECT_TRUE(HeapFree(heap, 0, p));
}

TEST(GlobalMemory, FixedIsItsOwnAddress) {
  HGLOBAL g = GlobalAlloc(GPTR, 40);
  ASSERT_NE(g, nullptr);
  EXPECT_TRUE(all_zero(g, 40));
  EXPECT_EQ(GlobalLock(g), g);
  EXPECT_EQ(GlobalSize(g), 40u);
  EXPECT_EQ(GlobalHandle(g), g);
  EXPECT_EQ(HeapSize(GetProcessHeap(), 0, g), 40u);  // from the process heap
  EXPECT_EQ(GlobalFlags(g), 0u);
  HGLOBAL bigger = GlobalReAlloc(g, 1 << 20, GMEM_MOVEABLE);
  ASSERT_NE(bigger, nullptr);
  EXPECT_EQ(GlobalSize(bigger), static_cast<SIZE_T>(1 << 20));
  EXPECT_EQ(GlobalFree(bigger), nullptr);
}

TEST(GlobalMemory, MoveableLocksAndHandles) {
  HGLOBAL g = GlobalAlloc(GHND, 32);
  ASSERT_NE(g, nullptr);
  auto* p = static_cast<char*>(GlobalLock(g));
  ASSERT_NE(p, nullptr);
  EXPECT_NE(static_cast<void*>(p), g);
  EXPECT_TRUE(all_zero(p, 32));
  EXPECT_EQ(GlobalHandle(p), g);
  EXPECT_EQ(GlobalLock(g), p);
  EXPECT_EQ(GlobalFlags(g) & GMEM_LOCKCOUNT, 2u);
  EXPECT_TRUE(GlobalUnlock(g));  // one lock left
  SetLastError(1234);
  EXPECT_FALSE(GlobalUnlock(g));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_SUCCESS));
  EXPECT_FALSE(GlobalUnlock(g));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_NOT_LOCKED));
  std::strcpy(p, "kept");
  ASSERT_EQ(GlobalReAlloc(g, 4096, GMEM_ZEROINIT), g);  // the handle stays
  auto* moved = static_cast<char*>(GlobalLock(g));
  EXPECT_STREQ(moved, "kept");
  EXPECT_TRUE(all_zero(moved + 32, 4096 - 32));
  EXPECT_EQ(GlobalSize(g), 4096u);
  GlobalUnlock(g);
  // Emptied, it has no memory but keeps its handle.
  EXPECT_EQ(GlobalReAlloc(g, 0, 0), g);
  EXPECT_EQ(GlobalSize(g), 0u);
  EXPECT_EQ(GlobalLock(g), nullptr);
  EXPECT_EQ(GlobalFree(g), nullptr);
  HGLOBAL empty = GlobalAlloc(GMEM_MOVEABLE, 0);
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(GlobalLock(empty), nullptr);
  EXPECT_EQ(GlobalFree(empty), nullptr);
}

TEST(GlobalMemory, UnsupportedFlags) {
  EXPECT_EQ(GlobalAlloc(GMEM_DISCARDABLE | GMEM_MOVEABLE, 10), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
}

TEST(LocalMemory, LocalTwinsAgree) {
  HLOCAL l = LocalAlloc(LPTR, 24);
  ASSERT_NE(l, nullptr);
  EXPECT_TRUE(all_zero(l, 24));
  EXPECT_EQ(LocalSize(l), 24u);
  EXPECT_EQ(LocalLock(l), l);
  EXPECT_EQ(LocalFree(l), nullptr);
  HLOCAL m = LocalAlloc(LHND, 8);
  ASSERT_NE(m, nullptr);
  void* p = LocalLock(m);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(LocalHandle(p), m);
  EXPECT_FALSE(LocalUnlock(m));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_SUCCESS));
  EXPECT_EQ(LocalReAlloc(m, 100, LMEM_MOVEABLE), m);
  EXPECT_EQ(LocalSize(m), 100u);
  EXPECT_EQ(LocalFree(m), nullptr);
  EXPECT_EQ(LocalFree(nullptr), nullptr);
}

TEST(MemoryMacros, MoveCopyFillZero) {
  char text[16] = "abcdef";
  MoveMemory(text + 1, text, 6);
  EXPECT_STREQ(text, "aabcdef");
  FillMemory(text, 3, 'z');
  EXPECT_EQ(text[2], 'z');
  SecureZeroMemory(text, sizeof(text));
  EXPECT_TRUE(all_zero(text, sizeof(text)));
}

}  // namespace
}  // namespace conduit::test
