// The session file's key/value tables (`session`, `heap_timeline`): each is one
// list of (key, field), written as
//
//   template <typename P, typename Visit> void fields(P& profile, Visit&& visit) {
//       visit("started_at", profile.started_at);
//       ...
//   }
//
// and read by both sides: fields(p, MetaWriter{stmt}) saves every field,
// fields(p, MetaReader{row}) loads the one the row names. A key cannot be saved
// and forgotten by the reader, nor read under another spelling.
#pragma once

#include <concepts>
#include <optional>
#include <string>

#include "store/sqlite_db.h"

namespace pmt::sqlite {

// Saves each field with "INSERT INTO t(key, value) VALUES (?, ?)"; an empty
// optional is not saved. The first failure is kept and ends the saving.
class MetaWriter {
public:
    explicit MetaWriter(Statement& insert) : insert_(insert) {}

    template <typename T>
    void operator()(const char* key, const T& field) {
        if (!status_) return;
        if constexpr (std::same_as<T, std::string> || std::same_as<T, double>) {
            status_ = insert_.bind(1, std::string(key)).bind(2, field).run();
        } else if constexpr (std::signed_integral<T>) {
            status_ = insert_.bind(1, std::string(key)).bind(2, int64_t{field}).run();
        } else if constexpr (std::unsigned_integral<T>) {
            status_ = insert_.bind(1, std::string(key)).bind(2, uint64_t{field}).run();
        } else {
            if (field) (*this)(key, *field);  // std::optional
        }
    }
    const Status& status() const { return status_; }

private:
    Statement& insert_;
    Status status_ = Status::success();
};

// Reads the row (key, value) of a "SELECT key, value" into the field of that
// key; other fields are left alone. Keys no field has (from newer builds) are
// ignored: that is the compatibility rule.
class MetaReader {
public:
    explicit MetaReader(const Statement& row) : row_(row), key_(row.text(0)) {}

    template <typename T>
    void operator()(const char* key, T& field) {
        if (key_ != key) return;
        matched_ = true;
        if constexpr (std::same_as<T, std::string>) field = row_.text(1);
        else if constexpr (std::same_as<T, double>) field = row_.real(1);
        else if constexpr (std::integral<T>) field = static_cast<T>(row_.i64(1));
        else (*this)(key, field.emplace());  // std::optional
    }
    const std::string& key() const { return key_; }
    bool matched() const { return matched_; }

private:
    const Statement& row_;
    std::string key_;
    bool matched_ = false;
};

}  // namespace pmt::sqlite
