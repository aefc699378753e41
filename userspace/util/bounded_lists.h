// Lists that a session of any length keeps in bounded memory, and that say how
// much they left out.
//
// ThinnedSeries: a time series. When it is full, every other element is dropped
// and from then on only every 2nd (then 4th, 8th, ...) element offered is kept,
// so the series always spans the whole session at an even spacing.
//
// HighestN: the N greatest elements by a key (ties: the earlier one stays),
// the others counted.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace pmt {

template <typename T>
class ThinnedSeries {
public:
    // `capacity` is rounded up to an even number of at least 2, so that thinning
    // keeps the even positions and the next element falls on the new spacing.
    explicit ThinnedSeries(size_t capacity) : capacity_(std::max<size_t>(2, capacity + (capacity & 1))) {}

    // True when the element is kept (for now: a later thinning may drop it).
    bool push(T value) {
        ++offered_;
        if (++phase_ < stride_) return false;
        phase_ = 0;
        if (items_.size() >= capacity_) {
            // Keep positions 0, 2, 4, ...: the element offered now is the next one
            // on the doubled spacing (position capacity_ of the old one).
            size_t kept = 0;
            for (size_t i = 0; i < items_.size(); i += 2) items_[kept++] = std::move(items_[i]);
            items_.resize(kept);
            stride_ *= 2;
        }
        // Grown by doubling as usual, but never past the capacity: a full series
        // holds no spare room.
        if (items_.size() == items_.capacity())
            items_.reserve(std::min(capacity_, std::max<size_t>(16, 2 * items_.size())));
        items_.push_back(std::move(value));
        return true;
    }

    const std::vector<T>& items() const { return items_; }
    size_t size() const { return items_.size(); }
    size_t capacity() const { return capacity_; }
    uint64_t stride() const { return stride_; }   // one element kept per `stride` offered
    uint64_t offered() const { return offered_; }
    uint64_t dropped() const { return offered_ - items_.size(); }

private:
    std::vector<T> items_;
    size_t capacity_;
    uint64_t stride_ = 1;
    uint64_t phase_ = 0;  // elements offered since the last one kept, minus one
    uint64_t offered_ = 0;
};

// `Key(const T&)` returns something ordered (a peak, a duration).
template <typename T, typename Key>
class HighestN {
public:
    HighestN(size_t capacity, Key key) : capacity_(capacity), key_(std::move(key)) {}

    // True when the element is kept (for now: a greater one may replace it).
    bool push(T value) {
        ++offered_;
        if (!capacity_) return false;
        Entry e{key_(value), offered_, std::move(value)};
        if (heap_.size() < capacity_) {
            heap_.push_back(std::move(e));
            std::push_heap(heap_.begin(), heap_.end(), drop_later);
            return true;
        }
        // heap_.front() is the one to drop next: the smallest key, the latest of equals.
        if (!(heap_.front().key < e.key)) return false;
        std::pop_heap(heap_.begin(), heap_.end(), drop_later);
        heap_.back() = std::move(e);
        std::push_heap(heap_.begin(), heap_.end(), drop_later);
        return true;
    }

    // The elements kept, in the order they were offered.
    std::vector<T> items() const {
        std::vector<const Entry*> order;
        order.reserve(heap_.size());
        for (const Entry& e : heap_) order.push_back(&e);
        std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) { return a->seq < b->seq; });
        std::vector<T> out;
        out.reserve(order.size());
        for (const Entry* e : order) out.push_back(e->value);
        return out;
    }

    size_t size() const { return heap_.size(); }
    size_t capacity() const { return capacity_; }
    uint64_t offered() const { return offered_; }
    uint64_t not_kept() const { return offered_ - heap_.size(); }

private:
    using KeyType = decltype(std::declval<Key>()(std::declval<const T&>()));
    struct Entry {
        KeyType key;
        uint64_t seq;  // order offered
        T value;
    };
    // The heap's order: its front is the entry to drop first (smallest key,
    // the latest of equal keys); drop_later(a, b): a is dropped after b.
    static bool drop_later(const Entry& a, const Entry& b) {
        if (a.key < b.key) return false;
        if (b.key < a.key) return true;
        return a.seq < b.seq;  // equal keys: the later one goes first
    }

    std::vector<Entry> heap_;
    size_t capacity_;
    Key key_;
    uint64_t offered_ = 0;
};

}  // namespace pmt
