// core::outage_log: a failure repeated through an outage is logged when it starts, at most once a
// minute while it lasts, and when it ends.
#include "core/outage_log.hpp"

#include <gtest/gtest.h>

#include "tests/captured_log.hpp"

namespace mail2sms::testing {
namespace {

using namespace std::chrono_literals;
using core::outage_log;

const auto t0 = outage_log::clock::time_point{} + 1000h;

TEST(outage_log, an_outage_is_logged_when_it_starts_once_a_minute_and_when_it_ends) {
  captured_log log;
  outage_log outage("dispatcher", "cannot claim messages", "claiming messages again");
  // An attempt a second for 150 s.
  for (int s = 0; s < 150; ++s) {
    EXPECT_EQ(outage.failed("connection refused", {}, t0 + std::chrono::seconds(s)),
              static_cast<std::uint64_t>(s + 1));
  }
  EXPECT_EQ(log.count("dispatcher: cannot claim messages: connection refused (trying again; "
                      "repeats logged once a minute)"),
            1)
      << log.text();
  EXPECT_EQ(log.count("dispatcher: still cannot claim messages after 60 s (61 failures): "
                      "connection refused"),
            1)
      << log.text();
  EXPECT_EQ(log.count("dispatcher: still cannot claim messages after 120 s (121 failures)"), 1)
      << log.text();
  EXPECT_EQ(log.count("dispatcher:"), 3) << log.text();
  EXPECT_NE(log.text().find("[warning]"), std::string::npos) << log.text();

  outage.succeeded(t0 + 150500ms);
  EXPECT_EQ(log.count("dispatcher: claiming messages again after 150.5 s (150 failure(s))"), 1)
      << log.text();
  EXPECT_EQ(outage.failures(), 0u);
  outage.succeeded(t0 + 151s);  // no outage: nothing to say
  EXPECT_EQ(log.count("dispatcher:"), 4) << log.text();
}

TEST(outage_log, a_new_outage_starts_afresh_and_the_first_line_may_name_what_failed) {
  captured_log log;
  outage_log outage("queue listener", "no connection", "connected again",
                    outage_log::severity::error);
  outage.failed("server closed the connection", "connection lost", t0);
  outage.succeeded(t0 + 2s);
  EXPECT_EQ(outage.failed("connection refused", "cannot connect", t0 + 10s), 1u);
  outage.failed("connection refused", {}, t0 + 69s);  // 59 s into this outage: not yet
  outage.failed("connection refused", {}, t0 + 70s);
  EXPECT_EQ(log.count("queue listener: connection lost: server closed the connection"), 1)
      << log.text();
  EXPECT_EQ(log.count("queue listener: connected again after 2.0 s (1 failure(s))"), 1)
      << log.text();
  EXPECT_EQ(log.count("queue listener: cannot connect: connection refused"), 1) << log.text();
  EXPECT_EQ(log.count("queue listener: still no connection after 60 s (3 failures)"), 1)
      << log.text();
  EXPECT_EQ(log.count("[error]"), 3) << log.text();
  EXPECT_EQ(log.count("[info]"), 1) << log.text();
}

}  // namespace
}  // namespace mail2sms::testing
