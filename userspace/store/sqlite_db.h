// A thin RAII layer over the SQLite C API: one Database owns the connection, one
// Statement owns a prepared statement. Errors come back as pmt::Error values with
// SQLite's own message, so the session store reads as a list of SQL steps.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "util/result.h"

// Returns the error of a failed Status from the enclosing function (which
// returns Status or Result<T>); keeps long lists of SQL steps readable.
#define PMT_TRY(expr)                                                    \
    do {                                                                 \
        if (::pmt::Status status_ = (expr); !status_) return status_.error(); \
    } while (0)

namespace pmt::sqlite {

class Statement;

class Database {
public:
    // Opens (read_only) or creates (read-write, never through a symlink) the
    // database file at `path`.
    static Result<Database> open(const std::string& path, bool read_only);

    Database(Database&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
    Database& operator=(Database&& other) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    // Runs one or more statements that return no rows.
    Status exec(const std::string& sql);
    Result<Statement> prepare(const std::string& sql);
    bool table_exists(const std::string& name);
    // For columns added after a table was first released: older files lack them.
    bool column_exists(const std::string& table, const std::string& column);
    std::string last_error() const { return sqlite3_errmsg(db_); }

private:
    explicit Database(sqlite3* db) : db_(db) {}
    sqlite3* db_ = nullptr;
};

class Statement {
public:
    Statement(Statement&& other) noexcept : stmt_(other.stmt_), db_(other.db_) { other.stmt_ = nullptr; }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    // Parameters are numbered from 1, as in SQLite.
    Statement& bind(int index, int64_t value);
    Statement& bind(int index, uint64_t value);  // stored bit for bit as a signed integer
    Statement& bind(int index, double value);
    Statement& bind(int index, const std::string& value);
    Statement& bind(int index, const std::optional<std::string>& value);  // nullopt: NULL
    Statement& bind(int index, const std::optional<uint64_t>& value);
    Statement& bind_null(int index);

    // Runs an INSERT/UPDATE to completion and resets the statement for reuse.
    Status run();
    // Advances to the next row: true while there is one; errors end the loop with
    // `error()` set.
    bool next();
    const std::optional<Error>& error() const { return error_; }

    // Columns are numbered from 0, as in SQLite.
    bool is_null(int column) const;
    int64_t i64(int column) const;
    uint64_t u64(int column) const { return static_cast<uint64_t>(i64(column)); }
    double real(int column) const;
    std::string text(int column) const;
    std::optional<std::string> opt_text(int column) const;

private:
    friend class Database;
    Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
    sqlite3_stmt* stmt_ = nullptr;
    sqlite3* db_ = nullptr;
    std::optional<Error> error_;
};

// A new database file at `path`, written as every output is (util/output_file.h:
// private, never through a link, renamed into place once complete): `write`
// fills it, and the connection is closed before the rename.
Status write_private_database(const std::string& path, const std::function<Status(Database&)>& write);

}  // namespace pmt::sqlite
