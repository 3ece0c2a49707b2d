// The Win32 error category and the errno mapping.
#include "conduit/error.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace conduit {
namespace {

TEST(Win32Category, ValuesAreTheSdkNumbers) {
  EXPECT_EQ(static_cast<int>(errc::pipe_busy), 231);
  EXPECT_EQ(static_cast<int>(errc::broken_pipe), 109);
  EXPECT_EQ(static_cast<int>(errc::pipe_connected), 535);
  std::error_code ec = errc::pipe_busy;
  EXPECT_EQ(ec.category().name(), std::string("win32"));
  EXPECT_EQ(ec.value(), 231);
  EXPECT_EQ(ec.message(), "All pipe instances are busy.");
  EXPECT_EQ(std::error_code(999999, win32_category()).message(), "Win32 error 999999");
}

TEST(Win32Category, ErrnoMapsToWhatWindowsReports) {
  EXPECT_EQ(error_from_errno(EPIPE), errc::no_data);
  EXPECT_EQ(error_from_errno(ECONNRESET), errc::broken_pipe);
  EXPECT_EQ(error_from_errno(ENOENT), errc::file_not_found);
  EXPECT_EQ(error_from_errno(EACCES), errc::access_denied);
  EXPECT_EQ(error_from_errno(EMFILE), errc::too_many_open_files);
  EXPECT_EQ(error_from_errno(ENOSPC), errc::disk_full);
  EXPECT_EQ(error_from_errno(EDQUOT), errc::disk_full);
  EXPECT_EQ(static_cast<int>(errc::disk_full), 112);
  EXPECT_EQ(error_from_errno(0), std::error_code());
}

TEST(Win32Category, ThrowingOverloadsCarryTheCode) {
  try {
    throw std::system_error(make_error_code(errc::sem_timeout), "wait");
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), errc::sem_timeout);
  }
}

}  // namespace
}  // namespace conduit
