// Named events shared between processes (CreateEvent, OpenEvent with a
// name): the other processes are conduit_test_helper, which opens, sets and
// waits on events through the Win32 API as another program would. Every
// wait is bounded.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <windows.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/helper_process.hpp"
#include "support/sandbox.hpp"
#include "win32/win32_test_support.hpp"

namespace conduit::test {
namespace {

constexpr DWORD bound_ms = 10'000;

// Threads of process `pid` blocked in poll or ppoll now: a helper's wait
// has begun when this count grows by one.
int threads_in_poll(pid_t pid) {
  std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(tasks.c_str());
  if (!dir) return -1;
  int count = 0;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream in(tasks + "/" + entry->d_name + "/syscall");
    long number = -1;
    in >> number;
    count += number == SYS_poll || number == SYS_ppoll;
  }
  ::closedir(dir);
  return count;
}

// Starts "event-wait ID MS ..." in the helper's background and returns once
// the helper blocks in it (bounded).
void start_wait(helper_process& helper, const std::string& args) {
  int before = threads_in_poll(helper.pid());
  helper.send("& event-wait " + args);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(bound_ms);
  while (threads_in_poll(helper.pid()) <= before) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the helper never waited";
    std::this_thread::yield();
  }
}

class NamedEvent : public sandbox {
 protected:
  // A name unique to this test.
  [[nodiscard]] std::string event_name(const std::string& suffix = "e") const {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return std::string(info->name()) + "." + suffix;
  }
  // OpenEvent until the name is gone (a peer's exit reaches the broker on
  // its own time); handles it still gets are closed at once.
  bool name_goes_within_bound(const std::string& name) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(bound_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      HANDLE h = OpenEventA(EVENT_ALL_ACCESS, FALSE, name.c_str());
      if (!h) return GetLastError() == ERROR_FILE_NOT_FOUND;
      CloseHandle(h);
    }
    return false;
  }
};

TEST_F(NamedEvent, SetInOneProcessWakesAWaiterInAnother) {
  handle_guard event(CreateEventA(nullptr, FALSE, FALSE, event_name().c_str()));
  ASSERT_NE(event.get(), nullptr) << GetLastError();
  helper_process helper;
  ASSERT_EQ(helper.call("event-open e " + event_name()), "ok");
  start_wait(helper, "e " + std::to_string(bound_ms));
  ASSERT_TRUE(SetEvent(event));
  EXPECT_EQ(helper.background_answer(), "ok signalled");
  EXPECT_FALSE(signalled(event));  // auto reset: the helper took it
  // And the other way round.
  EXPECT_EQ(helper.call("event-set e"), "ok");
  EXPECT_TRUE(wait_for(event, bound_ms));
  EXPECT_FALSE(signalled(event));
}

TEST_F(NamedEvent, ManualResetWakesEveryWaitingProcess) {
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, event_name().c_str()));
  ASSERT_NE(event.get(), nullptr) << GetLastError();
  helper_process first, second;
  for (auto* helper : {&first, &second}) {
    ASSERT_EQ(helper->call("event-open e " + event_name()), "ok");
    start_wait(*helper, "e " + std::to_string(bound_ms));
  }
  ASSERT_TRUE(SetEvent(event));
  EXPECT_EQ(first.background_answer(), "ok signalled");
  EXPECT_EQ(second.background_answer(), "ok signalled");
  EXPECT_TRUE(signalled(event));  // stays set
  EXPECT_EQ(first.call("event-reset e"), "ok");
  EXPECT_FALSE(signalled(event));
}

TEST_F(NamedEvent, AutoResetWakesExactlyOneOfTwoWaitingProcesses) {
  handle_guard event(CreateEventA(nullptr, FALSE, FALSE, event_name().c_str()));
  ASSERT_NE(event.get(), nullptr) << GetLastError();
  // Each helper sets its own "woke" event when its wait ends.
  handle_guard woke[2];
  helper_process helpers[2];
  for (int i = 0; i < 2; ++i) {
    std::string woke_name = event_name("woke" + std::to_string(i));
    woke[i] = handle_guard(CreateEventA(nullptr, TRUE, FALSE, woke_name.c_str()));
    ASSERT_EQ(helpers[i].call("event-open e " + event_name()), "ok");
    ASSERT_EQ(helpers[i].call("event-open w " + woke_name), "ok");
    start_wait(helpers[i], "e " + std::to_string(bound_ms) + " w");
  }
  ASSERT_TRUE(SetEvent(event));
  HANDLE both[] = {woke[0], woke[1]};
  DWORD first = WaitForMultipleObjects(2, both, FALSE, bound_ms) - WAIT_OBJECT_0;
  ASSERT_LT(first, 2u);
  EXPECT_EQ(helpers[first].background_answer(), "ok signalled");
  EXPECT_FALSE(signalled(woke[1 - first]));
  EXPECT_FALSE(signalled(event));  // claimed once
  // A second set wakes the other one; none is left over.
  ASSERT_TRUE(SetEvent(event));
  EXPECT_EQ(helpers[1 - first].background_answer(), "ok signalled");
  EXPECT_TRUE(signalled(woke[1 - first]));
  EXPECT_FALSE(signalled(event));
}

TEST_F(NamedEvent, CreatingAnExistingNameOpensItAcrossProcesses) {
  helper_process helper;
  ASSERT_EQ(helper.call("event-create e " + event_name() + " manual set"), "ok created");
  SetLastError(77);
  // Auto reset and not set, asked for here, are ignored: the event is the helper's.
  handle_guard event(CreateEventA(nullptr, FALSE, FALSE, event_name().c_str()));
  ASSERT_NE(event.get(), nullptr) << GetLastError();
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ALREADY_EXISTS));
  EXPECT_TRUE(signalled(event));
  EXPECT_TRUE(signalled(event));  // manual reset
  // A second handle in this process says so too, without asking anyone.
  handle_guard again(CreateEventA(nullptr, FALSE, FALSE, event_name().c_str()));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_ALREADY_EXISTS));
  std::string name = event_name();
  std::u16string wide_name(name.begin(), name.end());
  handle_guard opened_wide(OpenEventW(EVENT_ALL_ACCESS, FALSE, wide_name.c_str()));
  EXPECT_TRUE(signalled(opened_wide));
  // Global\ and Local\ name the same event.
  EXPECT_EQ(helper.call("event-create g Global\\" + event_name()), "ok existed");
  EXPECT_EQ(helper.call("event-open l Local\\" + event_name()), "ok");
  EXPECT_EQ(helper.call("event-reset l"), "ok");
  EXPECT_FALSE(signalled(event));
  // Names are case-sensitive.
  EXPECT_EQ(helper.call("event-create u " + event_name("E")), "ok created");
  SetLastError(77);
  handle_guard wide(CreateEventW(nullptr, TRUE, FALSE, u"SomeOtherName"));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_SUCCESS));
}

TEST_F(NamedEvent, WideNamesMeetNarrowOnes) {
  SetLastError(77);
  handle_guard event(CreateEventW(nullptr, TRUE, FALSE, u"\u00e9v\u00e9nement-\u540d-\U0001F600"));
  ASSERT_NE(event.get(), nullptr) << GetLastError();
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_SUCCESS));
  helper_process helper;
  // The same name in UTF-8, as the A functions take it here.
  ASSERT_EQ(helper.call("event-create e \xC3\xA9v\xC3\xA9nement-\xE5\x90\x8D-\xF0\x9F\x98\x80"),
            "ok existed");
  EXPECT_EQ(helper.call("event-set e"), "ok");
  EXPECT_TRUE(signalled(event));
}

TEST_F(NamedEvent, TheNameGoesWithTheLastHandleInAnyProcess) {
  handle_guard event(CreateEventA(nullptr, TRUE, FALSE, event_name().c_str()));
  handle_guard second(OpenEventA(EVENT_ALL_ACCESS, FALSE, event_name().c_str()));
  ASSERT_NE(second.get(), nullptr) << GetLastError();
  helper_process helper;
  ASSERT_EQ(helper.call("event-open e " + event_name()), "ok");
  event.reset();
  second.reset();
  // The helper holds it still, and its state with it.
  EXPECT_EQ(helper.call("event-set e"), "ok");
  handle_guard reopened(OpenEventA(EVENT_ALL_ACCESS, FALSE, event_name().c_str()));
  ASSERT_NE(reopened.get(), nullptr) << GetLastError();
  EXPECT_TRUE(signalled(reopened));
  reopened.reset();
  EXPECT_EQ(helper.call("event-close e"), "ok");
  EXPECT_EQ(OpenEventA(EVENT_ALL_ACCESS, FALSE, event_name().c_str()), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
  EXPECT_EQ(helper.call("event-open e " + event_name()), "err 2");
  // The name is free for a new event, in its own state.
  SetLastError(77);
  handle_guard fresh(CreateEventA(nullptr, TRUE, FALSE, event_name().c_str()));
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_SUCCESS));
  EXPECT_FALSE(signalled(fresh));
}

TEST_F(NamedEvent, AKilledProcessLetsGo) {
  helper_process holder;
  ASSERT_EQ(holder.call("event-create e " + event_name() + " manual"), "ok created");
  ASSERT_EQ(holder.call("event-create k " + event_name("kept") + " manual"), "ok created");
  handle_guard kept(OpenEventA(EVENT_ALL_ACCESS, FALSE, event_name("kept").c_str()));
  ASSERT_NE(kept.get(), nullptr) << GetLastError();
  holder.kill_hard();  // and reaps it
  EXPECT_TRUE(name_goes_within_bound(event_name()));
  // What another process still holds stays, and still works.
  handle_guard opened(OpenEventA(EVENT_ALL_ACCESS, FALSE, event_name("kept").c_str()));
  ASSERT_NE(opened.get(), nullptr) << GetLastError();
  EXPECT_TRUE(SetEvent(opened));
  EXPECT_TRUE(signalled(kept));
}

// Threads that open and close the name at once, while the last handle
// comes and goes: the process holds the name exactly while it has a handle.
TEST_F(NamedEvent, ThreadsOpeningAndClosingAtOnceKeepTheNameRight) {
  const std::string name = event_name();
  helper_process helper;
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        HANDLE h = CreateEventA(nullptr, TRUE, FALSE, name.c_str());
        if (!h || !CloseHandle(h)) failed = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(failed);
  // Every handle is closed: no hold may be left behind at the broker.
  EXPECT_EQ(helper.call("event-open e " + name), "err 2");
  // While one handle stays, the name does, whatever the others do.
  handle_guard kept(CreateEventA(nullptr, TRUE, FALSE, name.c_str()));
  threads.clear();
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        HANDLE h = OpenEventA(EVENT_ALL_ACCESS, FALSE, name.c_str());
        if (!h || !CloseHandle(h)) failed = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(failed);
  ASSERT_EQ(helper.call("event-open e " + name), "ok");
  EXPECT_EQ(helper.call("event-set e"), "ok");
  EXPECT_TRUE(signalled(kept));
}

TEST_F(NamedEvent, NamesWindowsRefuses) {
  auto create_error = [](const std::string& name) {
    SetLastError(0);
    HANDLE h = CreateEventA(nullptr, TRUE, FALSE, name.c_str());
    if (h) CloseHandle(h);
    return h ? 0 : GetLastError();
  };
  EXPECT_EQ(create_error("a\\b"), static_cast<DWORD>(ERROR_PATH_NOT_FOUND));
  EXPECT_EQ(create_error("Global\\a\\b"), static_cast<DWORD>(ERROR_PATH_NOT_FOUND));
  EXPECT_EQ(create_error("global\\a"), static_cast<DWORD>(ERROR_PATH_NOT_FOUND));
  EXPECT_EQ(create_error("\\a"), static_cast<DWORD>(ERROR_BAD_PATHNAME));
  EXPECT_EQ(create_error("Global\\"), static_cast<DWORD>(ERROR_INVALID_NAME));
  EXPECT_EQ(create_error(std::string(MAX_PATH, 'x')),
            static_cast<DWORD>(ERROR_FILENAME_EXCED_RANGE));
  EXPECT_EQ(create_error(std::string(MAX_PATH - 1, 'x')), 0u);
  EXPECT_EQ(OpenEventA(EVENT_ALL_ACCESS, FALSE, std::string(MAX_PATH, 'x').c_str()), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_FILENAME_EXCED_RANGE));
  EXPECT_EQ(OpenEventA(EVENT_ALL_ACCESS, FALSE, "a\\b"), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_PATH_NOT_FOUND));
  EXPECT_EQ(OpenEventA(EVENT_ALL_ACCESS, FALSE, ""), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_HANDLE));
  EXPECT_EQ(OpenEventA(EVENT_ALL_ACCESS, FALSE, nullptr), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_INVALID_PARAMETER));
  // An empty name makes an unnamed event.
  SetLastError(77);
  handle_guard unnamed(CreateEventA(nullptr, TRUE, FALSE, ""));
  EXPECT_NE(unnamed.get(), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_SUCCESS));
}

TEST_F(NamedEvent, CreateEventExTakesItsFlags) {
  handle_guard event(CreateEventExA(nullptr, event_name().c_str(),
                                    CREATE_EVENT_MANUAL_RESET | CREATE_EVENT_INITIAL_SET,
                                    EVENT_ALL_ACCESS));
  ASSERT_NE(event.get(), nullptr) << GetLastError();
  EXPECT_TRUE(signalled(event));
  EXPECT_TRUE(signalled(event));
  handle_guard automatic(CreateEventExW(nullptr, u"ExAuto", 0, EVENT_ALL_ACCESS));
  EXPECT_FALSE(signalled(automatic));
  EXPECT_TRUE(SetEvent(automatic));
  EXPECT_TRUE(signalled(automatic));
  EXPECT_FALSE(signalled(automatic));
  helper_process helper;
  EXPECT_EQ(helper.call("event-create x ExAuto"), "ok existed");
}

TEST_F(NamedEvent, NamesSurviveABrokerRestart) {
  handle_guard event(CreateEventA(nullptr, FALSE, FALSE, event_name().c_str()));
  ASSERT_NE(event.get(), nullptr) << GetLastError();
  helper_process holder;
  ASSERT_EQ(holder.call("event-open e " + event_name()), "ok");
  int old_broker = broker_pid();
  ASSERT_GT(old_broker, 0);
  kill_broker();
  // The event does not go through the broker: it still works.
  EXPECT_EQ(holder.call("event-set e"), "ok");
  EXPECT_TRUE(wait_for(event, bound_ms));
  // A new broker comes up and both holders name the event again by themselves.
  helper_process late;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(bound_ms);
  std::string opened;
  do {
    opened = late.call("event-open e " + event_name());
  } while (opened == "err 2" && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(opened, "ok");
  EXPECT_NE(broker_pid(), old_broker);
  EXPECT_EQ(late.call("event-set e"), "ok");
  EXPECT_TRUE(wait_for(event, bound_ms));  // one event still, the one we hold
  // And it still goes with its last handle.
  EXPECT_EQ(late.call("event-close e"), "ok");
  EXPECT_EQ(holder.call("event-close e"), "ok");
  event.reset();
  EXPECT_EQ(OpenEventA(EVENT_ALL_ACCESS, FALSE, event_name().c_str()), nullptr);
  EXPECT_EQ(GetLastError(), static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
}

}  // namespace
}  // namespace conduit::test
