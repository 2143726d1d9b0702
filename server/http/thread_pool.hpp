#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace gridmap::http {

/// Worker threads for requests that have arrived whole. The queue is bounded: a full queue
/// refuses new work (the caller answers 503) rather than growing. Urgent work (health checks)
/// goes to the front, so a monitor sees a busy server as busy, not as dead.
class WorkerPool {
public:
    WorkerPool(std::size_t threads, std::size_t max_queued) : m_max_queued(max_queued) {
        for (std::size_t i = 0; i < threads; ++i) m_threads.emplace_back([this] { work(); });
    }
    ~WorkerPool() { shutdown(); }
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    /// Queues `fn`; false when max_queued tasks already wait or the pool is shutting down.
    bool try_submit(std::function<void()> fn, bool urgent = false) {
        {
            std::lock_guard lock(m_mutex);
            if (m_shutdown || m_jobs.size() >= m_max_queued) return false;
            if (urgent) {
                m_jobs.push_front(std::move(fn));
            } else {
                m_jobs.push_back(std::move(fn));
            }
        }
        m_wake.notify_one();
        return true;
    }

    /// Runs what is queued, then joins the threads.
    void shutdown() {
        {
            std::lock_guard lock(m_mutex);
            if (m_shutdown) return;
            m_shutdown = true;
        }
        m_wake.notify_all();
        for (auto& t : m_threads) t.join();
    }

private:
    void work() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, [&] { return !m_jobs.empty() || m_shutdown; });
                if (m_jobs.empty()) return;
                job = std::move(m_jobs.front());
                m_jobs.pop_front();
            }
            job();
        }
    }

    const std::size_t m_max_queued;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::function<void()>> m_jobs;
    bool m_shutdown = false;
    std::vector<std::thread> m_threads;  // last: the threads start once the rest exists
};

}  // namespace gridmap::http
