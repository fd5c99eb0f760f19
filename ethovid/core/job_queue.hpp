#pragma once
// Background jobs for the HTTP server: a bounded queue, a fixed number of worker threads, and per
// job an ordered list of events that any number of readers can follow while the job runs.
//
// A job goes queued -> running -> done | failed | cancelled (a queued job may be cancelled
// straight away). Its events, numbered from 0 in the order they happened:
//   {"event": "queued"}, {"event": "running"},
//   {"event": "progress", "phase": ..., "done": n, "total": n}   (zero or more),
//   and one last event: {"event": "done", "result": {...}}, {"event": "failed", "error": ...,
//   "kind": ...} or {"event": "cancelled"}.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ethovid/core/json_file.hpp"
#include "ethovid/core/progress.hpp"

namespace ethovid::core {

enum class JobState { kQueued, kRunning, kDone, kFailed, kCancelled };
const char* job_state_name(JobState state);

struct JobContext {
  std::string job_id;
  ProgressHook progress;  // reports become "progress" events; cancellation arrives through it
};

// The work of one job: returns the result that the "done" event and the status carry. An
// exception fails the job with its message (CancelledError after a cancel: the job is cancelled).
using JobWork = std::function<Json(const JobContext&)>;

struct JobEvents {
  std::vector<Json> events;  // events [from, from + events.size())
  bool ended = false;        // the job is over and these include its last event
};

enum class CancelOutcome { kUnknownJob, kCancelled, kCancelling, kAlreadyOver };

class JobQueue {
 public:
  // Finished jobs (and their events) kept for GET; older ones are forgotten, oldest first.
  static constexpr std::size_t kFinishedJobsKept = 1000;

  // `capacity` bounds the jobs waiting to run (running ones not counted).
  JobQueue(int workers, std::size_t capacity);
  ~JobQueue();  // cancels what runs, drops what waits, joins the workers
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // Queues a job and returns its id. BusyError when `capacity` jobs already wait.
  std::string submit(const std::string& kind, Json request, JobWork work);

  // The job's status: id, kind, state, request, times, last progress, result or error.
  std::optional<Json> status(const std::string& job_id) const;
  std::vector<Json> list() const;  // every job's status, oldest first

  // Events from number `from` on; waits up to `timeout` for one when there is none yet.
  // nullopt for an unknown job.
  std::optional<JobEvents> events_since(const std::string& job_id, std::size_t from,
                                        std::chrono::milliseconds timeout) const;

  CancelOutcome cancel(const std::string& job_id);

 private:
  struct Job;
  void work_loop();
  void run(Job& job);
  void add_event(Job& job, Json event);        // needs mutex_
  void end(Job& job, JobState state, Json event);  // needs mutex_
  void forget_old_jobs();                          // needs mutex_
  Json status_of(const Job& job) const;        // needs mutex_

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;  // a new job or a new event
  std::map<std::string, std::shared_ptr<Job>> jobs_;  // shared: a reader may outlive forgetting
  std::vector<std::string> order_;  // ids, oldest first
  std::deque<Job*> waiting_;
  std::size_t capacity_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace ethovid::core
