#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace gridmap::http {

/// cpp-httplib's task queue with a bound: when `max_queued` connections already wait for a
/// worker, the accept loop waits too, so further clients queue in the kernel's listen backlog
/// instead of in memory. (cpp-httplib 0.11's own pool queues without limit.)
class BoundedThreadPool final : public httplib::TaskQueue {
public:
    BoundedThreadPool(std::size_t threads, std::size_t max_queued) : m_max_queued(max_queued) {
        for (std::size_t i = 0; i < threads; ++i) m_threads.emplace_back([this] { work(); });
    }
    ~BoundedThreadPool() override = default;

    void enqueue(std::function<void()> fn) override {
        std::unique_lock lock(m_mutex);
        m_not_full.wait(lock, [&] { return m_jobs.size() < m_max_queued || m_shutdown; });
        m_jobs.push_back(std::move(fn));
        m_not_empty.notify_one();
    }

    void shutdown() override {
        {
            std::lock_guard lock(m_mutex);
            m_shutdown = true;
        }
        m_not_empty.notify_all();
        m_not_full.notify_all();
        for (auto& t : m_threads) t.join();
    }

private:
    void work() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(m_mutex);
                m_not_empty.wait(lock, [&] { return !m_jobs.empty() || m_shutdown; });
                if (m_jobs.empty()) return;
                job = std::move(m_jobs.front());
                m_jobs.pop_front();
                m_not_full.notify_one();
            }
            job();
        }
    }

    std::size_t m_max_queued;
    std::mutex m_mutex;
    std::condition_variable m_not_empty;
    std::condition_variable m_not_full;
    std::deque<std::function<void()>> m_jobs;
    std::vector<std::thread> m_threads;
    bool m_shutdown = false;
};

}  // namespace gridmap::http
