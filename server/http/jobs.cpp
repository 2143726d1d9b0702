#include "http/jobs.hpp"

#include <algorithm>
#include <filesystem>
#include <random>

#include "geo/access/access.hpp"
#include "geo/error.hpp"
#include "http/problem.hpp"

namespace gridmap::http {

namespace {

// Removes an import's upload: the file, and the folder of its own it sits in.
void remove_upload(const std::string& path) {
    std::error_code ec;
    const std::filesystem::path p(path);
    if (p.parent_path().filename().string().starts_with("import-")) {
        std::filesystem::remove_all(p.parent_path(), ec);
    } else {
        std::filesystem::remove(p, ec);
    }
}

}  // namespace

Job::Job(std::string id, geo::analysis::AnalysisRequest request) : m_id(std::move(id)), m_analysis(std::move(request)) {
    m_state.created = std::chrono::system_clock::now();
}

Job::Job(std::string id, ImportRequest request) : m_id(std::move(id)), m_import(std::move(request)) {
    m_state.created = std::chrono::system_clock::now();
}

std::string Job::kind() const { return m_import ? "import" : std::string(geo::analysis::to_string(m_analysis->kind)); }

std::shared_ptr<const geo::import::ImportReport> Job::report() const {
    std::lock_guard lock(m_mutex);
    return m_report;
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
    // Uploads of imports that never ran.
    for (const auto& job : m_waiting) {
        if (const auto* im = job->import()) remove_upload(im->options.path);
    }
}

namespace {

// Ids are not guessable, so one planner cannot read another's results by counting.
std::string new_job_id(std::uint64_t n) {
    static thread_local std::mt19937_64 random{std::random_device{}()};
    char id[40];
    std::snprintf(id, sizeof id, "%llu-%016llx", static_cast<unsigned long long>(n), static_cast<unsigned long long>(random()));
    return id;
}

}  // namespace

std::shared_ptr<Job> JobRunner::enqueue(std::shared_ptr<Job> job) {
    m_waiting.push_back(job);
    m_jobs.emplace(job->id(), job);
    m_wake.notify_one();
    return job;
}

std::shared_ptr<Job> JobRunner::submit(geo::analysis::AnalysisRequest request) {
    std::lock_guard lock(m_mutex);
    if (m_waiting.size() >= m_max_waiting) {
        throw geo::Error(geo::Errc::unavailable, std::to_string(m_waiting.size()) +
                                                     " jobs are waiting already: try again when one has finished");
    }
    return enqueue(std::make_shared<Job>(new_job_id(m_next++), std::move(request)));
}

std::shared_ptr<Job> JobRunner::submit(ImportRequest request, geo::store::Store& store) {
    // The upload is the job's now: removed on every way out, refusals here included.
    struct Remove {
        std::string path;
        ~Remove() {
            if (!path.empty()) remove_upload(path);
        }
    } remove{request.options.path};
    std::lock_guard lock(m_mutex);
    for (const auto& [id, job] : m_jobs) {
        const auto status = job->snapshot().status;
        if (job->import() && job->import()->options.layer == request.options.layer &&
            (status == Job::Status::queued || status == Job::Status::running)) {
            throw geo::Error(geo::Errc::conflict, "an import into layer " + request.options.layer + " is under way already (job " +
                                                      id + "); wait for it to end");
        }
    }
    if (m_waiting.size() >= m_max_waiting) {
        throw geo::Error(geo::Errc::unavailable, std::to_string(m_waiting.size()) +
                                                     " jobs are waiting already: try again when one has finished");
    }
    remove.path.clear();
    auto job = std::make_shared<Job>(new_job_id(m_next++), std::move(request));
    save_record(*job, store);
    return enqueue(std::move(job));
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
        if (job->import()) remove_upload(job->import()->options.path);
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
            if (job->import()) {
                save_record(*job, *store);
                run_import(*job, *store);
            } else {
                auto result = std::make_shared<const geo::analysis::AnalysisResult>(geo::analysis::run_analysis(
                    *store, *job->analysis(), [&](double fraction, std::string_view stage) {
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
            }
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
                if (const auto* im = job->import()) {
                    // The user knows the file by its own name, not by where the server keeps it.
                    const std::string folder = std::filesystem::path(im->options.path).parent_path().string() + "/";
                    for (auto at = job->m_state.error.find(folder); at != std::string::npos; at = job->m_state.error.find(folder)) {
                        job->m_state.error.erase(at, folder.size());
                    }
                }
                if (!error || error->code() == geo::Errc::internal) {
                    std::fprintf(stderr, "%s job %s failed: %s\n", job->kind().c_str(), job->id().c_str(), e.what());
                }
            }
            if (const auto* im = job->import(); im && m_audit) {
                m_audit(im->token_id, im->who, "import", im->options.layer, job->m_cancel ? "cancelled" : "failed",
                        job->m_state.error.empty() ? e.what() : job->m_state.error);
            }
            store.reset();  // a fresh connection for the next job
        }
        {
            std::lock_guard lock(job->m_mutex);
            job->m_state.cancel_requested = false;
            job->m_state.finished = std::chrono::system_clock::now();
        }
        if (job->import()) {
            try {
                if (!store) store = geo::store::open_store(m_db, false);
                save_record(*job, *store);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "import job %s: could not record its end: %s\n", job->id().c_str(), e.what());
            }
        }
        std::lock_guard lock(m_mutex);
        retire(job->id());
    }
}

// One import, in one transaction (geo::import): the layer stays readable, as it was, until the
// commit, and is untouched when the import fails or is cancelled.
void JobRunner::run_import(Job& job, geo::store::Store& store) {
    const ImportRequest& request = *job.import();
    struct Remove {
        const std::string& path;
        ~Remove() { remove_upload(path); }
    } remove{request.options.path};
    {
        std::lock_guard lock(job.m_mutex);
        job.m_state.stage = "reading";
    }
    auto report = std::make_shared<geo::import::ImportReport>(
        geo::import::import_file(store, request.options, [&](std::int64_t done, std::int64_t total) {
            if (m_stopping_now) throw geo::Error(geo::Errc::unavailable, "the server stopped");
            if (job.m_cancel) throw geo::Error(geo::Errc::conflict, "the import was cancelled");
            std::lock_guard lock(job.m_mutex);
            job.m_state.progress = total > 0 ? std::min(0.99, static_cast<double>(done) / static_cast<double>(total)) : 0;
            job.m_state.stage = "importing feature " + std::to_string(done) + (total > 0 ? " of " + std::to_string(total) : "");
        }));
    report->source = request.upload_name;
    if (m_audit) {
        m_audit(request.token_id, request.who, "import", request.options.layer, "ok",
                std::to_string(report->imported) + " of " + std::to_string(report->features_read) + " features from " +
                    request.upload_name + " (" + report->mode + ")");
    }
    std::lock_guard lock(job.m_mutex);
    job.m_report = std::move(report);
    job.m_state.status = Job::Status::succeeded;
    job.m_state.progress = 1;
    job.m_state.stage = "done";
}

void JobRunner::save_record(const Job& job, geo::store::Store& store) {
    const ImportRequest* im = job.import();
    if (!im) return;
    const auto s = job.snapshot();
    const auto iso = [](std::chrono::system_clock::time_point t) {
        return t == std::chrono::system_clock::time_point{}
                   ? std::string()
                   : geo::access::iso_utc(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
    };
    geo::store::JobRecord r;
    r.id = job.id();
    r.kind = "import";
    r.layer = im->options.layer;
    r.status = std::string(to_string(s.status));
    r.detail = s.error;
    r.created_at = iso(s.created);
    r.finished_at = iso(s.finished);
    r.token_id = im->token_id;
    r.who = im->who;
    r.file = im->upload_name;
    if (const auto report = job.report()) r.report = geo::import::to_json(*report).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    try {
        store.save_job(r);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "import job %s: could not record it in the database: %s\n", job.id().c_str(), e.what());
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
