#include "ethovid/core/job_queue.hpp"

#include <cstdio>
#include <random>

#include "ethovid/core/error.hpp"
#include "ethovid/core/provenance.hpp"

namespace ethovid::core {

struct JobQueue::Job {
  std::string id;
  std::string kind;
  Json request;
  JobWork work;
  JobState state = JobState::kQueued;
  std::vector<Json> events;
  Json progress;  // the last progress event, null before the first
  Json result;
  Json error;
  std::string created_at, started_at, finished_at;
  std::atomic<bool> cancel{false};
};

namespace {

std::string now_utc() { return iso8601_utc(std::chrono::system_clock::now()); }

// 16 hex digits: ids are not guessable from each other and do not repeat across restarts.
std::string new_job_id() {
  static std::mutex mutex;
  static std::mt19937_64 random{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mutex);
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(random()));
  return id;
}

bool is_over(JobState state) {
  return state == JobState::kDone || state == JobState::kFailed || state == JobState::kCancelled;
}

}  // namespace

const char* job_state_name(JobState state) {
  switch (state) {
    case JobState::kQueued: return "queued";
    case JobState::kRunning: return "running";
    case JobState::kDone: return "done";
    case JobState::kFailed: return "failed";
    case JobState::kCancelled: return "cancelled";
  }
  return "?";
}

JobQueue::JobQueue(int workers, std::size_t capacity) : capacity_(capacity) {
  if (workers < 1) throw ConfigError("a job queue needs at least one worker, not " + std::to_string(workers));
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { work_loop(); });
}

JobQueue::~JobQueue() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    for (auto& [id, job] : jobs_) job->cancel = true;
    for (Job* job : waiting_) end(*job, JobState::kCancelled, {{"event", "cancelled"}});
    waiting_.clear();
  }
  changed_.notify_all();
  for (auto& thread : workers_) thread.join();
}

std::string JobQueue::submit(const std::string& kind, Json request, JobWork work) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (waiting_.size() >= capacity_) {
    throw BusyError(std::to_string(waiting_.size()) + " jobs are already waiting (the queue holds " +
                    std::to_string(capacity_) + "); try again when one has started");
  }
  auto job = std::make_shared<Job>();
  job->id = new_job_id();
  job->kind = kind;
  job->request = std::move(request);
  job->work = std::move(work);
  job->created_at = now_utc();
  Job& added = *job;
  jobs_[job->id] = std::move(job);
  order_.push_back(added.id);
  waiting_.push_back(&added);
  add_event(added, {{"event", "queued"}});
  lock.unlock();
  changed_.notify_all();
  return added.id;
}

void JobQueue::work_loop() {
  for (;;) {
    Job* job = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
      if (waiting_.empty()) return;  // stopping
      job = waiting_.front();
      waiting_.pop_front();
      job->state = JobState::kRunning;
      job->started_at = now_utc();
      add_event(*job, {{"event", "running"}});
    }
    changed_.notify_all();
    run(*job);
  }
}

void JobQueue::run(Job& job) {
  JobContext context;
  context.job_id = job.id;
  context.progress.cancel = &job.cancel;
  context.progress.on_progress = [this, &job](const std::string& phase, std::int64_t done,
                                              std::int64_t total) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job.progress = {{"event", "progress"}, {"phase", phase}, {"done", done}, {"total", total}};
      add_event(job, job.progress);
    }
    changed_.notify_all();
  };
  JobState state = JobState::kDone;
  Json last;
  try {
    // Work that returns has written its outputs: it is done even if a cancel came too late.
    last = {{"event", "done"}, {"result", job.work(context)}};
  } catch (const CancelledError&) {
    state = JobState::kCancelled;
    last = {{"event", "cancelled"}};
  } catch (const Error& e) {
    state = JobState::kFailed;
    last = {{"event", "failed"}, {"kind", e.kind()}, {"error", e.what()}};
  } catch (const std::exception& e) {
    state = JobState::kFailed;
    last = {{"event", "failed"}, {"kind", "ComputationError"}, {"error", e.what()}};
  } catch (...) {  // a worker thread must never end the server
    state = JobState::kFailed;
    last = {{"event", "failed"}, {"kind", "ComputationError"}, {"error", "unknown exception"}};
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    end(job, state, std::move(last));
  }
  changed_.notify_all();
}

void JobQueue::add_event(Job& job, Json event) {
  event["job_id"] = job.id;
  event["seq"] = job.events.size();
  job.events.push_back(std::move(event));
}

void JobQueue::end(Job& job, JobState state, Json event) {
  job.state = state;
  job.finished_at = now_utc();
  if (event.contains("result")) job.result = event["result"];
  if (event.contains("error")) job.error = {{"kind", event["kind"]}, {"message", event["error"]}};
  job.work = nullptr;  // frees what the work captured
  add_event(job, std::move(event));
  forget_old_jobs();
}

void JobQueue::forget_old_jobs() {
  std::size_t over = 0;
  for (const auto& id : order_) over += is_over(jobs_.at(id)->state) ? 1 : 0;
  for (auto id = order_.begin(); over > kFinishedJobsKept && id != order_.end();) {
    if (is_over(jobs_.at(*id)->state)) {
      jobs_.erase(*id);
      id = order_.erase(id);
      --over;
    } else {
      ++id;
    }
  }
}

Json JobQueue::status_of(const Job& job) const {
  Json status = {{"job_id", job.id},
                 {"kind", job.kind},
                 {"state", job_state_name(job.state)},
                 {"request", job.request},
                 {"created_at", job.created_at},
                 {"started_at", job.started_at.empty() ? Json(nullptr) : Json(job.started_at)},
                 {"finished_at", job.finished_at.empty() ? Json(nullptr) : Json(job.finished_at)},
                 {"events", job.events.size()}};
  if (!job.progress.is_null()) {
    status["progress"] = {{"phase", job.progress["phase"]}, {"done", job.progress["done"]},
                          {"total", job.progress["total"]}};
  }
  if (!job.result.is_null()) status["result"] = job.result;
  if (!job.error.is_null()) status["error"] = job.error;
  return status;
}

std::optional<Json> JobQueue::status(const std::string& job_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto found = jobs_.find(job_id);
  if (found == jobs_.end()) return std::nullopt;
  return status_of(*found->second);
}

std::vector<Json> JobQueue::list() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Json> all;
  for (const auto& id : order_) all.push_back(status_of(*jobs_.at(id)));
  return all;
}

std::optional<JobEvents> JobQueue::events_since(const std::string& job_id, std::size_t from,
                                                std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto found = jobs_.find(job_id);
  if (found == jobs_.end()) return std::nullopt;
  const std::shared_ptr<const Job> held = found->second;  // stays valid while the lock is released
  const Job& job = *held;
  changed_.wait_for(lock, timeout, [&] { return is_over(job.state) || job.events.size() > from; });
  JobEvents out;
  for (std::size_t i = from; i < job.events.size(); ++i) out.events.push_back(job.events[i]);
  out.ended = is_over(job.state);
  return out;
}

CancelOutcome JobQueue::cancel(const std::string& job_id) {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto found = jobs_.find(job_id);
  if (found == jobs_.end()) return CancelOutcome::kUnknownJob;
  Job& job = *found->second;
  if (is_over(job.state)) return CancelOutcome::kAlreadyOver;
  job.cancel = true;
  if (job.state == JobState::kRunning) return CancelOutcome::kCancelling;
  std::erase(waiting_, &job);
  end(job, JobState::kCancelled, {{"event", "cancelled"}});
  lock.unlock();
  changed_.notify_all();
  return CancelOutcome::kCancelled;
}

}  // namespace ethovid::core
