// The job queue behind `ethovid serve`: event order, the bounded queue, cancellation of queued and
// running jobs, failures as events, and shutdown with a job still running.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "ethovid/core/error.hpp"
#include "ethovid/core/job_queue.hpp"
#include "test_support.hpp"

namespace ethovid {
namespace {

using namespace std::chrono_literals;

// `steps` steps of `step` each, reporting through a ProgressBar as a stage does (so a cancel
// lands at the next step).
core::JobWork counting_job(int steps, std::chrono::milliseconds step) {
  return [=](const core::JobContext& context) {
    core::ProgressBar bar("counting", steps, "steps", &context.progress);
    for (int i = 0; i < steps; ++i) {
      std::this_thread::sleep_for(step);
      bar.update(i + 1);
    }
    return core::Json{{"steps", steps}};
  };
}

std::vector<core::Json> events_until_over(const core::JobQueue& queue, const std::string& id) {
  std::vector<core::Json> all;
  for (int waited = 0; waited < 120; ++waited) {
    const auto batch = queue.events_since(id, all.size(), 1000ms);
    if (!batch) return all;
    all.insert(all.end(), batch->events.begin(), batch->events.end());
    if (batch->ended) return all;
  }
  ADD_FAILURE() << "job " << id << " did not end within two minutes";
  return all;
}

void wait_until_running(const core::JobQueue& queue, const std::string& id) {
  for (int i = 0; i < 2000 && queue.status(id)->at("state") != "running"; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(queue.status(id)->at("state"), "running");
}

TEST(JobQueue, EventsComeInOrderAndEndWithTheResult) {
  core::JobQueue queue(1, 4);
  const std::string id = queue.submit("count", {{"steps", 30}}, counting_job(30, 10ms));
  ASSERT_EQ(id.size(), 16u);
  const auto events = events_until_over(queue, id);
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.front()["event"], "queued");
  EXPECT_EQ(events[1]["event"], "running");
  EXPECT_EQ(events.back()["event"], "done");
  EXPECT_EQ(events.back()["result"]["steps"], 30);
  std::int64_t last_done = -1;
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i]["seq"], i);
    EXPECT_EQ(events[i]["job_id"], id);
    if (events[i]["event"] == "progress") {
      EXPECT_GE(events[i]["done"].get<std::int64_t>(), last_done);
      last_done = events[i]["done"];
      EXPECT_EQ(events[i]["total"], 30);
      EXPECT_EQ(events[i]["phase"], "counting");
    } else if (i >= 2) {
      EXPECT_EQ(i, events.size() - 1) << "only the last event is not progress";
    }
  }
  EXPECT_EQ(last_done, 30) << "the last progress event reports the whole";
  const auto status = *queue.status(id);
  EXPECT_EQ(status["state"], "done");
  EXPECT_EQ(status["result"]["steps"], 30);
  EXPECT_EQ(status["request"]["steps"], 30);
  EXPECT_EQ(status["progress"]["done"], 30);
  EXPECT_FALSE(status["finished_at"].is_null());
}

TEST(JobQueue, FullQueueIsBusyAndAQueuedJobCancelsAtOnce) {
  core::JobQueue queue(1, 2);
  const std::string running = queue.submit("count", {}, counting_job(100000, 1ms));
  wait_until_running(queue, running);
  const std::string waiting1 = queue.submit("count", {}, counting_job(1, 1ms));
  const std::string waiting2 = queue.submit("count", {}, counting_job(1, 1ms));
  try {
    queue.submit("count", {}, counting_job(1, 1ms));
    ADD_FAILURE() << "a third waiting job was accepted";
  } catch (const BusyError& e) {
    EXPECT_NE(std::string(e.what()).find("2 jobs are already waiting"), std::string::npos) << e.what();
  }
  EXPECT_EQ(queue.cancel(waiting1), core::CancelOutcome::kCancelled);
  EXPECT_EQ(queue.status(waiting1)->at("state"), "cancelled");
  const auto events = events_until_over(queue, waiting1);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["event"], "cancelled");
  // Its place is free again.
  const std::string waiting3 = queue.submit("count", {}, counting_job(1, 1ms));
  EXPECT_EQ(queue.cancel(running), core::CancelOutcome::kCancelling);
  EXPECT_EQ(events_until_over(queue, running).back()["event"], "cancelled");
  EXPECT_EQ(events_until_over(queue, waiting2).back()["event"], "done");
  EXPECT_EQ(events_until_over(queue, waiting3).back()["event"], "done");
  EXPECT_EQ(queue.cancel(waiting3), core::CancelOutcome::kAlreadyOver);
  EXPECT_EQ(queue.list().size(), 4u);
}

TEST(JobQueue, FailuresBecomeEventsWithTheirKind) {
  core::JobQueue queue(2, 4);
  const std::string typed = queue.submit("x", {}, [](const core::JobContext&) -> core::Json {
    throw FormatError("poses.csv has 3 columns, expected 6");
  });
  const std::string untyped = queue.submit("x", {}, [](const core::JobContext&) -> core::Json {
    throw std::runtime_error("bad_alloc somewhere");
  });
  auto last = events_until_over(queue, typed).back();
  EXPECT_EQ(last["event"], "failed");
  EXPECT_EQ(last["kind"], "FormatError");
  EXPECT_EQ(last["error"], "poses.csv has 3 columns, expected 6");
  EXPECT_EQ(queue.status(typed)->at("error")["kind"], "FormatError");
  last = events_until_over(queue, untyped).back();
  EXPECT_EQ(last["kind"], "ComputationError");
  EXPECT_EQ(queue.status(untyped)->at("state"), "failed");
}

TEST(JobQueue, UnknownJobsAndNoWorkers) {
  core::JobQueue queue(1, 1);
  EXPECT_FALSE(queue.status("0123456789abcdef"));
  EXPECT_FALSE(queue.events_since("0123456789abcdef", 0, 1ms));
  EXPECT_EQ(queue.cancel("0123456789abcdef"), core::CancelOutcome::kUnknownJob);
  test::expect_error<ConfigError>([] { core::JobQueue none(0, 1); }, {"at least one worker"});
}

// Each job would take minutes: the destructor must cancel the one running and drop the one
// waiting instead of waiting for them (ctest's timeout catches a hang).
TEST(JobQueue, ShuttingDownCancelsTheRunningJobAndDropsTheWaitingOne) {
  std::atomic<bool> saw_cancel{false}, waiting_ran{false};
  {
    core::JobQueue queue(1, 2);
    const std::string id = queue.submit("count", {}, [&](const core::JobContext& context) {
      try {
        return counting_job(100000, 2ms)(context);
      } catch (const CancelledError&) {
        saw_cancel = true;
        throw;
      }
    });
    wait_until_running(queue, id);
    queue.submit("count", {}, [&](const core::JobContext&) {
      waiting_ran = true;
      return core::Json();
    });
  }
  EXPECT_TRUE(saw_cancel);
  EXPECT_FALSE(waiting_ran);
}

// Work that returns has written its outputs, so it is done even when a cancel arrived after its
// last progress step.
TEST(JobQueue, CancelAfterTheLastStepLeavesTheJobDone) {
  core::JobQueue queue(1, 2);
  std::atomic<bool> cancel_sent{false};
  const std::string id = queue.submit("late", {}, [&](const core::JobContext&) {
    while (!cancel_sent) std::this_thread::sleep_for(1ms);
    return core::Json{{"written", true}};
  });
  wait_until_running(queue, id);
  EXPECT_EQ(queue.cancel(id), core::CancelOutcome::kCancelling);
  cancel_sent = true;
  const auto last = events_until_over(queue, id).back();
  EXPECT_EQ(last["event"], "done");
  EXPECT_EQ(last["result"]["written"], true);
}

TEST(JobQueue, OnlyTheNewestFinishedJobsAreKept) {
  core::JobQueue queue(2, core::JobQueue::kFinishedJobsKept + 10);
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < core::JobQueue::kFinishedJobsKept + 5; ++i) {
    ids.push_back(queue.submit("quick", {}, [](const core::JobContext&) { return core::Json(); }));
  }
  for (const auto& id : ids) events_until_over(queue, id);
  EXPECT_EQ(queue.list().size(), core::JobQueue::kFinishedJobsKept);
  EXPECT_FALSE(queue.status(ids.front()));
  EXPECT_TRUE(queue.status(ids.back()));
}

}  // namespace
}  // namespace ethovid
