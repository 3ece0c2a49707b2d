#include "win32/mutex_object.hpp"

#include <sys/eventfd.h>

#include <cstdlib>
#include <mutex>
#include <set>
#include <vector>

#include "runtime/broker_link.hpp"
#include "win32/eventfd_counter.hpp"
#include "win32/named_sync_object.hpp"
#include "win32/thread_object.hpp"

namespace conduit::win32 {
namespace {

constexpr std::uint64_t free_counter = 1;
constexpr std::uint64_t abandoned_counter = 2;

// Every mutex a thread of this process owns, so that a thread's exit and
// the process's can abandon them. Never destroyed: threads exit late.
struct owned_registry {
  std::mutex mutex;
  std::set<std::shared_ptr<mutex_object>> owned;
};

void abandon_at_exit() {
  abandon_owned_mutexes();
}

owned_registry& registry() {
  static owned_registry* r = [] {
    std::atexit(abandon_at_exit);
    return new owned_registry();
  }();
  return *r;
}

// Collects under the lock, abandons after: abandon() takes the lock too.
void abandon_matching(DWORD thread_id) {
  std::vector<std::shared_ptr<mutex_object>> doomed;
  {
    owned_registry& r = registry();
    std::lock_guard lock(r.mutex);
    doomed.assign(r.owned.begin(), r.owned.end());
  }
  for (const auto& m : doomed) {
    if (thread_id == 0 || m->owner() == thread_id) m->abandon();
  }
}

// Abandons what a thread still owns when it exits (its thread_local
// destructors run in it, whether it returns or calls ExitThread).
struct thread_exit_watch {
  DWORD id = current_thread_id();
  ~thread_exit_watch() { abandon_matching(id); }
};

}  // namespace

// An owned mutex starts taken: the counter is 0 and this thread owns it
// (claimed when the first handle exists: became_owner needs the object
// shared).
mutex_object::mutex_object(bool owned)
    : fd_(::eventfd(owned ? 0 : free_counter, EFD_CLOEXEC | EFD_NONBLOCK)) {}

mutex_object::mutex_object(detail::unique_fd fd, std::string name_key)
    : fd_(std::move(fd)), name_key_(std::move(name_key)) {}

mutex_object::~mutex_object() = default;

bool mutex_object::signalled_for_caller() const {
  return owner_.load(std::memory_order_relaxed) == current_thread_id();
}

bool mutex_object::try_acquire() {
  if (signalled_for_caller()) {
    ++recursion_;
    abandoned_claim_ = false;
    return true;
  }
  std::uint64_t counter = take_counter(fd_.get());
  if (counter == 0) return false;
  became_owner(counter);
  return true;
}

void mutex_object::own_from_start() {
  became_owner(free_counter);
}

void mutex_object::last_handle_closed() {
  if (!name_key_.empty()) release_named_sync_object(name_key_, this);
}

void mutex_object::became_owner(std::uint64_t counter) {
  thread_local thread_exit_watch watch;
  (void)watch;
  owner_.store(current_thread_id(), std::memory_order_relaxed);
  recursion_ = 1;
  // Anything but 1 is abandoned: 2 from an owner that went, more only from
  // a holder writing to the counter itself.
  abandoned_claim_ = counter != free_counter;
  note_owner(true);
  auto self = std::static_pointer_cast<mutex_object>(shared_from_this());
  owned_registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.owned.insert(std::move(self));
}

void mutex_object::note_owner(bool owned) const {
  if (registration_) detail::broker_link::get().note_mutex_owner(*registration_, owned);
}

bool mutex_object::acquired_abandoned() {
  return std::exchange(abandoned_claim_, false);
}

DWORD mutex_object::owner() const {
  return owner_.load(std::memory_order_relaxed);
}

DWORD mutex_object::release() {
  if (!signalled_for_caller()) return ERROR_NOT_OWNER;
  if (--recursion_ > 0) return ERROR_SUCCESS;
  let_go(free_counter);
  return ERROR_SUCCESS;
}

void mutex_object::undo_acquire() {
  // A wait for all that could not take the rest: as if never taken, and
  // an abandoned mutex stays abandoned for the next taker.
  if (!signalled_for_caller()) return;
  if (--recursion_ > 0) return;
  let_go(abandoned_claim_ ? abandoned_counter : free_counter);
}

void mutex_object::abandon() {
  if (owner_.load(std::memory_order_relaxed) == 0) return;
  let_go(abandoned_counter);
}

void mutex_object::let_go(std::uint64_t counter) {
  recursion_ = 0;
  abandoned_claim_ = false;
  owner_.store(0, std::memory_order_relaxed);
  // The broker hears first: were this process killed between the two, the
  // mutex would stay taken, never have two owners.
  note_owner(false);
  (void)add_counter(fd_.get(), counter);
  std::shared_ptr<mutex_object> self;  // released outside the lock
  owned_registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.owned.find(std::static_pointer_cast<mutex_object>(shared_from_this()));
  if (it != r.owned.end()) {
    self = *it;
    r.owned.erase(it);
  }
}

void abandon_owned_mutexes() {
  abandon_matching(0);
}

}  // namespace conduit::win32
