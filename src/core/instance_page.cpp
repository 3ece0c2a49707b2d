#include "core/instance_page.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <utility>

namespace conduit::detail {

instance_page::instance_page(instance_page&& other) noexcept
    : fd_(std::move(other.fd_)), layout_(std::exchange(other.layout_, nullptr)) {}

instance_page& instance_page::operator=(instance_page&& other) noexcept {
  if (this != &other) {
    if (layout_) ::munmap(layout_, instance_page_size);
    fd_ = std::move(other.fd_);
    layout_ = std::exchange(other.layout_, nullptr);
  }
  return *this;
}

instance_page::~instance_page() {
  if (layout_) ::munmap(layout_, instance_page_size);
}

instance_page instance_page::create(std::error_code& ec) {
  instance_page page;
  page.fd_.reset(::memfd_create("conduit-instance", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!page.fd_ || ::ftruncate(page.fd_.get(), instance_page_size) != 0) {
    ec = {errno, std::generic_category()};
    return {};
  }
  void* map =
      ::mmap(nullptr, instance_page_size, PROT_READ | PROT_WRITE, MAP_SHARED, page.fd_.get(), 0);
  if (map == MAP_FAILED) {
    ec = {errno, std::generic_category()};
    return {};
  }
  page.layout_ = new (map) instance_page_layout{};
  if (::fcntl(page.fd_.get(), F_ADD_SEALS, instance_page_seals | F_SEAL_SEAL) != 0) {
    ec = {errno, std::generic_category()};
    return {};
  }
  ec.clear();
  return page;
}

instance_page instance_page::map_readonly(int fd, std::error_code& ec) {
  instance_page page;
  if (!instance_page_is_safe(fd)) {
    ec = std::make_error_code(std::errc::invalid_argument);
    return {};
  }
  void* map = ::mmap(nullptr, instance_page_size, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    ec = {errno, std::generic_category()};
    return {};
  }
  page.layout_ = static_cast<instance_page_layout*>(map);
  ec.clear();
  return page;
}

bool instance_page_is_safe(int fd) {
  int seals = ::fcntl(fd, F_GET_SEALS);
  if (seals < 0 || (seals & instance_page_seals) != instance_page_seals) return false;
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == instance_page_size;
}

}  // namespace conduit::detail
