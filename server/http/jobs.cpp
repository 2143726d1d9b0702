#include "http/jobs.hpp"

#include <algorithm>
#include <random>

#include "geo/error.hpp"
#include "http/problem.hpp"

namespace gridmap::http {

Job::Job(std::string id, geo::analysis::AnalysisRequest request) : m_id(std::move(id)), m_request(std::move(request)) {
    m_state.created = std::chrono::system_clock::now();
}

Job::State Job::snapshot() const {
    std::lock_guard lock(m_mutex);
    return m_state;
}

std::shared_ptr<const geo::analysis::AnalysisResult> Job::result() const {
    std::lock_guard lock(m_mutex);
    return m_result;
}

std::string_view to_string(Job::Status status) noexcept {
    switch (status) {
        case Job::Status::queued: return "queued";
        case Job::Status::running: return "running";
        case Job::Status::succeeded: return "succeeded";
        case Job::Status::failed: return "failed";
        case Job::Status::cancelled: return "cancelled";
    }
    return "queued";
}

JobRunner::JobRunner(std::string db, std::size_t max_waiting, std::size_t keep_finished)
    : m_db(std::move(db)), m_max_waiting(max_waiting), m_keep_finished(keep_finished), m_thread([this] { work(); }) {}

JobRunner::~JobRunner() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_stopping_now = true;
    m_wake.notify_all();
    m_thread.join();
}

std::shared_ptr<Job> JobRunner::submit(geo::analysis::AnalysisRequest request) {
    std::lock_guard lock(m_mutex);
    if (m_waiting.size() >= m_max_waiting) {
        throw geo::Error(geo::Errc::unavailable, std::to_string(m_waiting.size()) +
                                                     " analyses are waiting already: try again when one has finished");
    }
    // Ids are not guessable, so one planner cannot read another's results by counting.
    static thread_local std::mt19937_64 random{std::random_device{}()};
    char id[40];
    std::snprintf(id, sizeof id, "%llu-%016llx", static_cast<unsigned long long>(m_next++),
                  static_cast<unsigned long long>(random()));
    auto job = std::make_shared<Job>(id, std::move(request));
    m_waiting.push_back(job);
    m_jobs.emplace(job->id(), job);
    m_wake.notify_one();
    return job;
}

std::shared_ptr<Job> JobRunner::find(const std::string& id) const {
    std::lock_guard lock(m_mutex);
    auto it = m_jobs.find(id);
    return it == m_jobs.end() ? nullptr : it->second;
}

std::shared_ptr<Job> JobRunner::cancel(const std::string& id) {
    std::lock_guard lock(m_mutex);
    const auto it = m_jobs.find(id);
    if (it == m_jobs.end()) return nullptr;
    const auto job = it->second;
    job->m_cancel = true;
    const auto waiting = std::find(m_waiting.begin(), m_waiting.end(), job);
    std::lock_guard job_lock(job->m_mutex);
    if (waiting != m_waiting.end()) {
        m_waiting.erase(waiting);
        job->m_state.status = Job::Status::cancelled;
        job->m_state.finished = std::chrono::system_clock::now();
        retire(job->id());
    } else if (job->m_state.status == Job::Status::running) {
        job->m_state.cancel_requested = true;
    }
    return job;
}

bool JobRunner::dismiss(const std::string& id) {
    std::lock_guard lock(m_mutex);
    const auto it = m_jobs.find(id);
    if (it == m_jobs.end()) return false;
    const auto status = it->second->snapshot().status;
    if (status == Job::Status::queued || status == Job::Status::running) return false;
    m_jobs.erase(it);
    m_finished.erase(std::remove(m_finished.begin(), m_finished.end(), id), m_finished.end());
    return true;
}

void JobRunner::work() {
    std::unique_ptr<geo::store::Store> store;
    for (;;) {
        std::shared_ptr<Job> job;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stopping || !m_waiting.empty(); });
            if (m_stopping) return;
            job = m_waiting.front();
            m_waiting.pop_front();
            // Under m_mutex, so that cancel() sees it either waiting or running.
            std::lock_guard job_lock(job->m_mutex);
            job->m_state.status = Job::Status::running;
            job->m_state.started = std::chrono::system_clock::now();
        }
        try {
            if (!store) store = geo::store::open_store(m_db, false);
            auto result = std::make_shared<const geo::analysis::AnalysisResult>(geo::analysis::run_analysis(
                *store, job->request(), [&](double fraction, std::string_view stage) {
                    // A stopping server does not wait for the rest of a long analysis, nor does
                    // a planner who cancelled it.
                    if (m_stopping_now) throw geo::Error(geo::Errc::unavailable, "the server stopped");
                    if (job->m_cancel) throw geo::Error(geo::Errc::conflict, "the analysis was cancelled");
                    std::lock_guard lock(job->m_mutex);
                    job->m_state.progress = fraction;
                    job->m_state.stage = stage;
                }));
            std::lock_guard lock(job->m_mutex);
            job->m_result = std::move(result);
            job->m_state.status = Job::Status::succeeded;
            job->m_state.progress = 1;
            job->m_state.stage = "done";
        } catch (const std::exception& e) {
            const auto* error = dynamic_cast<const geo::Error*>(&e);
            std::lock_guard lock(job->m_mutex);
            if (job->m_cancel) {
                job->m_state.status = Job::Status::cancelled;
            } else {
                job->m_state.status = Job::Status::failed;
                job->m_state.error_status = error ? status_for(error->code()) : 500;
                // Only the library's own messages are written for users; anything else stays in the log.
                job->m_state.error = error && error->code() != geo::Errc::internal ? e.what() : "internal error";
                if (!error || error->code() == geo::Errc::internal) {
                    std::fprintf(stderr, "analysis job %s failed: %s\n", job->id().c_str(), e.what());
                }
            }
            store.reset();  // a fresh connection for the next job
        }
        {
            std::lock_guard lock(job->m_mutex);
            job->m_state.cancel_requested = false;
            job->m_state.finished = std::chrono::system_clock::now();
        }
        std::lock_guard lock(m_mutex);
        retire(job->id());
    }
}

void JobRunner::retire(const std::string& id) {
    m_finished.push_back(id);
    while (m_finished.size() > m_keep_finished) {
        m_jobs.erase(m_finished.front());
        m_finished.pop_front();
    }
}

}  // namespace gridmap::http
