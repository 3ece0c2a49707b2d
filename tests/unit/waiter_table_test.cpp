// waiter_table: which waits a name, a deadline or a peer's end answers.
#include "broker/waiter_table.hpp"

#include <gtest/gtest.h>

namespace conduit::broker {
namespace {

using clock = waiter_table::clock;
using namespace std::chrono_literals;

std::vector<std::uint32_t> ids(const std::vector<queued_wait>& waits) {
  std::vector<std::uint32_t> out;
  for (const auto& w : waits) out.push_back(w.request_id);
  return out;
}

TEST(WaiterTable, ANameWakesItsWaitsOldestFirst) {
  waiter_table t;
  auto later = clock::now() + 1h;
  t.add(2, 1000, 1, "a", later);
  t.add(3, 1000, 2, "b", later);
  t.add(4, 1001, 3, "a", clock::time_point::max());
  t.add(2, 1000, 4, "a", later);
  EXPECT_EQ(ids(t.take_name("a")), (std::vector<std::uint32_t>{1, 3, 4}));
  EXPECT_TRUE(t.take_name("a").empty());
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.waits_of_peer(2), 0u);
  EXPECT_EQ(t.waits_of_uid(1000), 1u);
  EXPECT_EQ(t.waits_of_uid(1001), 0u);
}

TEST(WaiterTable, DeadlinesExpireInOrderAndForeverNever) {
  waiter_table t;
  auto now = clock::now();
  t.add(2, 0, 1, "a", now + 30ms);
  t.add(2, 0, 2, "a", now + 10ms);
  t.add(2, 0, 3, "a", clock::time_point::max());
  t.add(2, 0, 4, "b", now + 20ms);
  EXPECT_EQ(t.next_deadline(), now + 10ms);
  EXPECT_EQ(ids(t.take_expired(now + 20ms)), (std::vector<std::uint32_t>{2, 4}));
  EXPECT_EQ(t.next_deadline(), now + 30ms);
  EXPECT_EQ(ids(t.take_expired(now + 24h)), (std::vector<std::uint32_t>{1}));
  EXPECT_FALSE(t.next_deadline().has_value());
  EXPECT_EQ(t.size(), 1u);  // the wait for ever stays
  EXPECT_EQ(ids(t.take_name("a")), (std::vector<std::uint32_t>{3}));
}

TEST(WaiterTable, APeerTakesOnlyItsOwnWaits) {
  waiter_table t;
  auto later = clock::now() + 1h;
  for (std::uint32_t i = 0; i < 100; ++i) t.add(2 + i % 2, 1000 + i % 2, i, "a", later);
  t.drop_peer(2);
  t.drop_peer(99);  // none: nothing happens
  EXPECT_EQ(t.size(), 50u);
  EXPECT_EQ(t.waits_of_peer(2), 0u);
  EXPECT_EQ(t.waits_of_peer(3), 50u);
  EXPECT_EQ(t.waits_of_uid(1000), 0u);
  EXPECT_EQ(t.waits_of_uid(1001), 50u);
  for (std::uint32_t id : ids(t.take_name("a"))) EXPECT_EQ(id % 2, 1u);
  EXPECT_FALSE(t.next_deadline().has_value());
}

}  // namespace
}  // namespace conduit::broker
