#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <vector>

#include "geo/store/store.hpp"

namespace geo::import::detail {

/// Rows handed from the producer thread to the writer.
struct Batch {
    std::vector<store::FeatureRow> rows;
    std::int64_t features_read = 0;  ///< source features read when this batch was full
};

/// A bounded queue of batches between one producer and one consumer. The producer ends it with
/// close() or fail(); the consumer can abandon() it, after which push() returns false.
class BatchChannel {
public:
    explicit BatchChannel(std::size_t capacity) : m_capacity(capacity) {}

    /// Blocks while the queue is full. False when the consumer has abandoned the channel.
    bool push(Batch batch) {
        std::unique_lock lock(m_mutex);
        m_not_full.wait(lock, [&] { return m_queue.size() < m_capacity || m_abandoned; });
        if (m_abandoned) return false;
        m_queue.push_back(std::move(batch));
        m_not_empty.notify_one();
        return true;
    }

    /// The next batch; nullopt once the producer closed or failed and the queue is drained.
    std::optional<Batch> pop() {
        std::unique_lock lock(m_mutex);
        m_not_empty.wait(lock, [&] { return !m_queue.empty() || m_closed; });
        if (m_queue.empty()) return std::nullopt;
        Batch batch = std::move(m_queue.front());
        m_queue.pop_front();
        m_not_full.notify_one();
        return batch;
    }

    void close() {
        std::lock_guard lock(m_mutex);
        m_closed = true;
        m_not_empty.notify_all();
    }

    void fail(std::exception_ptr error) {
        std::lock_guard lock(m_mutex);
        m_error = std::move(error);
        m_closed = true;
        m_queue.clear();
        m_not_empty.notify_all();
    }

    void abandon() {
        std::lock_guard lock(m_mutex);
        m_abandoned = true;
        m_queue.clear();
        m_not_full.notify_all();
    }

    /// Rethrows the producer's exception, if it failed. Call after joining the producer.
    void rethrow_failure() {
        if (m_error) std::rethrow_exception(m_error);
    }

private:
    std::size_t m_capacity;
    std::mutex m_mutex;
    std::condition_variable m_not_full;
    std::condition_variable m_not_empty;
    std::deque<Batch> m_queue;
    bool m_closed = false;
    bool m_abandoned = false;
    std::exception_ptr m_error;
};

}  // namespace geo::import::detail
