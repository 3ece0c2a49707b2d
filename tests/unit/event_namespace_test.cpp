// The broker's table of named events (src/broker/event_namespace.cpp), in
// process: names, holders, validation and the per-peer quota.
#include "broker/event_namespace.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace conduit::broker {
namespace {

using detail::unique_fd;

unique_fd new_eventfd(int flags = EFD_NONBLOCK | EFD_CLOEXEC) {
  return unique_fd(::eventfd(0, flags));
}

class EventNamespace : public ::testing::Test {
 protected:
  EventNamespace() {
    a.id = 10;
    a.creds.pid = 100;
    b.id = 11;
    b.creds.pid = 101;
  }
  event_result create(const peer& p, const std::string& name, std::uint32_t flags = 0) {
    return events.create(p, wire::create_event_request{name, flags}, new_eventfd());
  }
  std::uint32_t open_error(const peer& p, const std::string& name) {
    return events.open(p, wire::open_event_request{name}).reply.error;
  }

  event_namespace events;
  peer a, b;
};

TEST_F(EventNamespace, CreateThenCreateAgainFindsTheFirst) {
  auto first = create(a, "ev", wire::event_manual_reset);
  ASSERT_EQ(first.reply.error, 0u);
  EXPECT_EQ(first.reply.open_mode, wire::event_manual_reset);
  EXPECT_EQ(first.eventfd, -1);             // the creator keeps its own
  auto second = create(b, R"(Global\ev)");  // flags of a later create are ignored
  ASSERT_EQ(second.reply.error, 0u);
  EXPECT_EQ(second.reply.instance_id, first.reply.instance_id);
  EXPECT_EQ(second.reply.open_mode, wire::event_manual_reset | wire::event_existed);
  EXPECT_GE(second.eventfd, 0);
  EXPECT_EQ(events.event_count(), 1u);
}

TEST_F(EventNamespace, OpenFindsOnlyExistingNames) {
  EXPECT_EQ(open_error(a, "ev"), 2u);
  auto created = create(a, R"(Local\ev)");
  auto opened = events.open(b, wire::open_event_request{"ev"});
  ASSERT_EQ(opened.reply.error, 0u);
  EXPECT_EQ(opened.reply.instance_id, created.reply.instance_id);
  EXPECT_EQ(opened.reply.open_mode, 0u);
  EXPECT_GE(opened.eventfd, 0);
  EXPECT_EQ(open_error(b, "EV"), 2u);  // names are case-sensitive
}

TEST_F(EventNamespace, TheNameLivesWhileSomePeerHoldsIt) {
  std::uint64_t id = create(a, "ev").reply.instance_id;
  ASSERT_EQ(events.open(b, wire::open_event_request{"ev"}).reply.error, 0u);
  EXPECT_EQ(events.close(a, wire::close_event_request{id}).error, 0u);
  EXPECT_EQ(open_error(a, "ev"), 0u);  // b still holds it; a holds it again
  EXPECT_EQ(events.close(a, wire::close_event_request{id}).error, 0u);
  EXPECT_EQ(events.close(a, wire::close_event_request{id}).error, 6u);  // a holds it no more
  EXPECT_EQ(events.close(b, wire::close_event_request{id}).error, 0u);
  EXPECT_EQ(open_error(a, "ev"), 2u);
  EXPECT_EQ(events.event_count(), 0u);
  // A new event of that name is another event.
  EXPECT_NE(create(a, "ev").reply.instance_id, id);
}

TEST_F(EventNamespace, APeerHoldsAnEventOnce) {
  std::uint64_t id = create(a, "ev").reply.instance_id;
  create(a, "ev");
  events.open(a, wire::open_event_request{"ev"});
  EXPECT_EQ(events.events_of(a.id), 1u);
  EXPECT_EQ(events.close(a, wire::close_event_request{id}).error, 0u);
  EXPECT_EQ(open_error(b, "ev"), 2u);
}

TEST_F(EventNamespace, OnlyHoldersClose) {
  std::uint64_t id = create(a, "ev").reply.instance_id;
  EXPECT_EQ(events.close(b, wire::close_event_request{id}).error, 6u);
  EXPECT_EQ(events.close(b, wire::close_event_request{id + 100}).error, 6u);
  EXPECT_EQ(open_error(b, "ev"), 0u);
}

TEST_F(EventNamespace, APeerThatGoesLetsGo) {
  create(a, "one");
  create(a, "two");
  ASSERT_EQ(events.open(b, wire::open_event_request{"two"}).reply.error, 0u);
  events.drop_peer(a.id);
  EXPECT_EQ(events.events_of(a.id), 0u);
  EXPECT_EQ(open_error(b, "one"), 2u);
  EXPECT_EQ(open_error(b, "two"), 0u);
  events.drop_peer(b.id);
  EXPECT_EQ(events.event_count(), 0u);
}

TEST_F(EventNamespace, RefusesBadNamesAndFlags) {
  EXPECT_EQ(create(a, "").reply.error, 123u);
  EXPECT_EQ(create(a, R"(a\b)").reply.error, 3u);
  EXPECT_EQ(create(a, R"(\a)").reply.error, 161u);
  EXPECT_EQ(create(a, std::string(260, 'x')).reply.error, 206u);
  EXPECT_EQ(create(a, "bad\xFF").reply.error, 123u);
  EXPECT_EQ(create(a, "ev", 2).reply.error, 87u);  // event_existed is no request flag
  EXPECT_EQ(create(a, "ev", 0x80000000).reply.error, 87u);
  EXPECT_EQ(open_error(a, R"(Global\)"), 123u);
  EXPECT_EQ(events.event_count(), 0u);
}

TEST_F(EventNamespace, RefusesDescriptorsThatAreNoEvent) {
  auto refused = [&](unique_fd fd) {
    return events.create(a, wire::create_event_request{"ev", 0}, std::move(fd)).reply.error;
  };
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  ::close(p[1]);
  EXPECT_EQ(refused(unique_fd(p[0])), 87u);
  EXPECT_EQ(refused(unique_fd()), 87u);
  EXPECT_EQ(refused(new_eventfd(EFD_CLOEXEC)), 87u);  // blocking
  unique_fd semaphore = new_eventfd(EFD_NONBLOCK | EFD_CLOEXEC | EFD_SEMAPHORE);
  std::ifstream info("/proc/self/fdinfo/" + std::to_string(semaphore.get()));
  std::string text((std::istreambuf_iterator<char>(info)), std::istreambuf_iterator<char>());
  if (text.find("eventfd-semaphore:") != std::string::npos) {
    EXPECT_EQ(refused(std::move(semaphore)), 87u);
  }
  EXPECT_EQ(events.event_count(), 0u);
}

TEST_F(EventNamespace, QuotaPerPeer) {
  for (std::size_t i = 0; i < max_events_per_peer; ++i)
    ASSERT_EQ(create(a, "e" + std::to_string(i)).reply.error, 0u) << i;
  EXPECT_EQ(create(a, "one-more").reply.error, 8u);
  ASSERT_EQ(create(b, "bs").reply.error, 0u);
  EXPECT_EQ(open_error(a, "bs"), 8u);
  EXPECT_EQ(create(a, "e0").reply.error, 0u);  // holding again costs nothing
  // Another peer is not held back by a's quota.
  EXPECT_EQ(open_error(b, "e1"), 0u);
}

}  // namespace
}  // namespace conduit::broker

namespace conduit::broker {
namespace {

// Named mutexes and semaphores: one namespace with events, their kinds,
// maximums and descriptors checked.
class SyncNamespace : public ::testing::Test {
 protected:
  SyncNamespace() {
    a.id = 20;
    a.creds.pid = 200;
    b.id = 21;
    b.creds.pid = 201;
  }
  event_result create_mutex(const peer& p, const std::string& name) {
    return events.create_sync(
        p, wire::create_sync_object_request{name, wire::sync_kind_mutex, 0, 0x001F0001},
        unique_fd(::eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC)));
  }
  event_result create_semaphore(const peer& p, const std::string& name, std::uint32_t maximum,
                                int flags = EFD_NONBLOCK | EFD_CLOEXEC | EFD_SEMAPHORE) {
    return events.create_sync(
        p, wire::create_sync_object_request{name, wire::sync_kind_semaphore, maximum, 0x001F0003},
        unique_fd(::eventfd(0, flags)));
  }
  event_namespace events;
  peer a, b;
};

TEST_F(SyncNamespace, KindsShareTheNamespace) {
  ASSERT_EQ(events
                .create(a, wire::create_event_request{"ev", 0},
                        unique_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)))
                .reply.error,
            0u);
  EXPECT_EQ(create_mutex(b, "ev").reply.error, 6u);  // ERROR_INVALID_HANDLE
  EXPECT_EQ(create_semaphore(b, "ev", 3).reply.error, 6u);
  EXPECT_EQ(
      events.open_sync(b, wire::open_sync_object_request{"ev", wire::sync_kind_mutex, 0x00100000})
          .reply.error,
      6u);
  auto m = create_mutex(a, "mx");
  ASSERT_EQ(m.reply.error, 0u);
  EXPECT_EQ(events.open(b, wire::open_event_request{"mx"}).reply.error, 6u);
  EXPECT_EQ(events
                .create(b, wire::create_event_request{"mx", 0},
                        unique_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)))
                .reply.error,
            6u);
  auto again = create_mutex(b, "mx");
  ASSERT_EQ(again.reply.error, 0u);
  EXPECT_EQ(again.reply.instance_id, m.reply.instance_id);
  EXPECT_EQ(again.reply.open_mode & wire::event_existed, wire::event_existed);
  EXPECT_GE(again.eventfd, 0);
  EXPECT_EQ(events.close(a, wire::close_event_request{m.reply.instance_id}).error, 0u);
  EXPECT_EQ(events.close(b, wire::close_event_request{m.reply.instance_id}).error, 0u);
  EXPECT_EQ(
      events.open_sync(a, wire::open_sync_object_request{"mx", wire::sync_kind_mutex, 0x00100000})
          .reply.error,
      2u);
}

TEST_F(SyncNamespace, SemaphoreMaximumTravelsAndIsChecked) {
  EXPECT_EQ(create_semaphore(a, "s", 0).reply.error, 87u);
  EXPECT_EQ(create_semaphore(a, "s", 0x80000000u).reply.error, 87u);
  // A descriptor not in semaphore mode (where the kernel says) is refused.
  unique_fd plain(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  EXPECT_EQ(create_semaphore(a, "s", 3, EFD_NONBLOCK | EFD_CLOEXEC).reply.error,
            is_semaphore_descriptor(plain.get()) ? 0u : 87u);
  events = event_namespace();
  auto s = create_semaphore(a, "s", 5);
  ASSERT_EQ(s.reply.error, 0u);
  EXPECT_EQ(s.reply.max_instances, 5u);
  auto opened = events.open_sync(
      b, wire::open_sync_object_request{"s", wire::sync_kind_semaphore, 0x00100000});
  ASSERT_EQ(opened.reply.error, 0u);
  EXPECT_EQ(opened.reply.max_instances, 5u);
  EXPECT_GE(opened.eventfd, 0);
  EXPECT_EQ(events.open_sync(b, wire::open_sync_object_request{"s", 7, 0}).reply.error, 87u);
  EXPECT_EQ(events.open_sync(b, wire::open_sync_object_request{"s", wire::sync_kind_semaphore, 0x4})
                .reply.error,
            87u);  // not a semaphore right
  // A mutex with a maximum, or a blocking eventfd: refused.
  EXPECT_EQ(events
                .create_sync(
                    a, wire::create_sync_object_request{"m", wire::sync_kind_mutex, 1, 0x001F0001},
                    unique_fd(::eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC)))
                .reply.error,
            87u);
  EXPECT_EQ(events
                .create_sync(
                    a, wire::create_sync_object_request{"m", wire::sync_kind_mutex, 0, 0x001F0001},
                    unique_fd(::eventfd(1, EFD_CLOEXEC)))
                .reply.error,
            87u);
}

// What an event counter holds, taken (0 if nothing).
std::uint64_t take(int fd) {
  std::uint64_t count = 0;
  return ::read(fd, &count, sizeof(count)) == sizeof(count) ? count : 0;
}

// Owner notes: a peer that goes away still counting a mutex it holds has
// it abandoned (2 added to its counter); notes on what the peer does not
// hold, on what is not a mutex, with an unknown value or letting go of what
// it does not own change nothing, and nothing else is ever written.
TEST_F(SyncNamespace, OwnerNotesAbandonAMutexAKilledOwnerHeldAndNothingElse) {
  auto m = create_mutex(a, "mx");
  ASSERT_EQ(m.reply.error, 0u);
  std::uint64_t id = m.reply.instance_id;
  auto opened =
      events.open_sync(b, wire::open_sync_object_request{"mx", wire::sync_kind_mutex, 0x00100000});
  ASSERT_EQ(opened.reply.error, 0u);
  unique_fd counter(::fcntl(opened.eventfd, F_DUPFD_CLOEXEC, 0));
  auto s = create_semaphore(a, "s", 5);
  ASSERT_EQ(s.reply.error, 0u);
  ASSERT_EQ(take(counter.get()), 1u);  // a's thread takes it
  events.note_owner(a, wire::mutex_owner_request{id, 1});
  // b lies: none of these counts.
  events.note_owner(b, wire::mutex_owner_request{id, 7});
  events.note_owner(b, wire::mutex_owner_request{id, 0});
  events.note_owner(b, wire::mutex_owner_request{id + 100, 1});
  events.note_owner(b, wire::mutex_owner_request{s.reply.instance_id, 1});
  peer c;
  c.id = 22;
  c.creds.pid = 202;
  events.note_owner(c, wire::mutex_owner_request{id, 1});  // c does not hold it
  events.drop_peer(c.id);
  events.drop_peer(b.id);
  EXPECT_EQ(take(counter.get()), 0u);  // still a's
  // b holds it again and takes it and lets go: b's going abandons nothing.
  ASSERT_EQ(
      events.open_sync(b, wire::open_sync_object_request{"mx", wire::sync_kind_mutex, 0x00100000})
          .reply.error,
      0u);
  events.note_owner(b, wire::mutex_owner_request{id, 1});
  events.note_owner(b, wire::mutex_owner_request{id, 0});
  events.drop_peer(b.id);
  EXPECT_EQ(take(counter.get()), 0u);
  // a goes owning it: abandoned, even as the name goes with its last holder.
  events.drop_peer(a.id);
  EXPECT_EQ(take(counter.get()), 2u);
  EXPECT_EQ(events.event_count(), 0u);
}

}  // namespace
}  // namespace conduit::broker
