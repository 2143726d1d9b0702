#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <functional>
#include <string>
#include <thread>

#include "geo/analysis/run.hpp"
#include "geo/import/import.hpp"

namespace gridmap::http {

/// An import an admin started over HTTP.
struct ImportRequest {
    /// options.path is the uploaded file: the job owns it and removes it when it ends.
    geo::import::ImportOptions options;
    std::int64_t token_id = 0;  ///< who, for the audit log
    std::string who;
    std::string upload_name;    ///< the file name the client gave, for the report
};

/// Writes one audit line (JobRunner calls it when an import ends).
using AuditSink = std::function<void(std::int64_t token_id, const std::string& who, const std::string& action,
                                     const std::string& target, const std::string& outcome, const std::string& detail)>;

/// One analysis or import run for an HTTP client. Fields change while it runs: read them
/// through snapshot().
class Job {
public:
    enum class Status { queued, running, succeeded, failed, cancelled };

    struct State {
        Status status = Status::queued;
        double progress = 0;  ///< 0…1
        std::string stage;
        bool cancel_requested = false;  ///< running: it stops at its next step
        std::string error;     ///< failed: a message for the user
        int error_status = 0;  ///< failed: the HTTP status the error maps to
        std::chrono::system_clock::time_point created, started, finished;
    };

    Job(std::string id, geo::analysis::AnalysisRequest request);
    Job(std::string id, ImportRequest request);

    const std::string& id() const noexcept { return m_id; }
    /// "import", or the analysis kind.
    std::string kind() const;
    /// The analysis asked for; null for an import.
    const geo::analysis::AnalysisRequest* analysis() const noexcept { return m_analysis ? &*m_analysis : nullptr; }
    /// The import asked for; null for an analysis.
    const ImportRequest* import() const noexcept { return m_import ? &*m_import : nullptr; }
    State snapshot() const;
    /// The result once succeeded (null before); immutable from then on.
    std::shared_ptr<const geo::analysis::AnalysisResult> result() const;
    /// An import's report once it succeeded (null before).
    std::shared_ptr<const geo::import::ImportReport> report() const;

private:
    friend class JobRunner;
    const std::string m_id;
    const std::optional<geo::analysis::AnalysisRequest> m_analysis;
    const std::optional<ImportRequest> m_import;
    mutable std::mutex m_mutex;
    State m_state;
    std::atomic<bool> m_cancel{false};  ///< read by the running analysis' progress calls
    std::shared_ptr<const geo::analysis::AnalysisResult> m_result;
    std::shared_ptr<const geo::import::ImportReport> m_report;
};

std::string_view to_string(Job::Status status) noexcept;

/// Runs analyses one at a time on a thread of its own, with its own store connection, so that
/// a long analysis never holds a request thread. A bounded number of jobs wait; finished jobs
/// are kept (the newest `keep_finished`) for their results to be fetched.
class JobRunner {
public:
    JobRunner(std::string db, std::size_t max_waiting = 8, std::size_t keep_finished = 64);
    ~JobRunner();
    JobRunner(const JobRunner&) = delete;
    JobRunner& operator=(const JobRunner&) = delete;

    /// Queues a job. Throws geo::Error (unavailable) when max_waiting jobs already wait.
    std::shared_ptr<Job> submit(geo::analysis::AnalysisRequest request);
    /// Queues an import. Throws geo::Error: conflict when an import into the same layer is
    /// queued or running, unavailable when max_waiting jobs already wait. The uploaded file is
    /// the job's from now on, whatever happens.
    /// Its record is written to `store` (queued), and rewritten by the job as it runs and ends,
    /// so that a restarted server can say how it ended.
    std::shared_ptr<Job> submit(ImportRequest request, geo::store::Store& store);
    /// Where imports' ends are written to the audit log.
    void set_audit(AuditSink sink) { m_audit = std::move(sink); }
    /// Cancels a queued job at once and a running one at its next step (what it would have
    /// written is not written). Returns the job, or null when there is no such job.
    std::shared_ptr<Job> cancel(const std::string& id);
    /// Forgets a finished job and its result; false when it is unknown or not finished.
    bool dismiss(const std::string& id);
    /// The job with this id, or null (unknown, or dropped as one of the oldest finished).
    std::shared_ptr<Job> find(const std::string& id) const;

private:
    void work();
    std::shared_ptr<Job> enqueue(std::shared_ptr<Job> job);
    void run_import(Job& job, geo::store::Store& store);
    /// Writes an import's record; a failure is logged, never thrown (the job goes on).
    static void save_record(const Job& job, geo::store::Store& store);
    /// Keeps a finished job's id, dropping the oldest beyond keep_finished. m_mutex held.
    void retire(const std::string& id);

    const std::string m_db;
    const std::size_t m_max_waiting;
    const std::size_t m_keep_finished;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::shared_ptr<Job>> m_waiting;
    std::map<std::string, std::shared_ptr<Job>> m_jobs;
    std::deque<std::string> m_finished;  ///< oldest first
    std::uint64_t m_next = 1;
    AuditSink m_audit;
    bool m_stopping = false;
    std::atomic<bool> m_stopping_now{false};  ///< read by a running analysis' progress calls
    std::thread m_thread;  // last: starts after everything above exists
};

}  // namespace gridmap::http
