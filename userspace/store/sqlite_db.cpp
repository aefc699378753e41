#include "store/sqlite_db.h"

#include <cerrno>
#include <cstring>

#include "util/output_file.h"
#include "util/utf8_text.h"

namespace pmt::sqlite {
namespace {

// SQLite's message, with the system's when a system call failed ("database or
// disk is full (No space left on device)").
std::string error_text(sqlite3* db) {
    std::string text = sqlite3_errmsg(db);
    int error = sqlite3_system_errno(db);
    // A short write on a full disk comes back as SQLITE_FULL with no errno kept.
    if (error == 0 && sqlite3_errcode(db) == SQLITE_FULL) error = ENOSPC;
    if (error != 0) text += std::string(" (") + std::strerror(error) + ")";
    return text;
}

}  // namespace

Result<Database> Database::open(const std::string& path, bool read_only) {
    sqlite3* db = nullptr;
    // Written files are never reached through a link (see util/output_file.h).
    int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW);
    int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db ? error_text(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        return Error{"cannot open " + path + ": " + message};
    }
    return Database(db);
}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        sqlite3_close(db_);
        db_ = other.db_;
        other.db_ = nullptr;
    }
    return *this;
}

Database::~Database() { sqlite3_close(db_); }

Status Database::exec(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        Error error{error_text(db_)};  // the same text as `message`, with errno
        sqlite3_free(message);
        return error;
    }
    return Status::success();
}

Result<Statement> Database::prepare(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
        return Error{error_text(db_)};
    }
    return Statement(stmt, db_);
}

bool Database::table_exists(const std::string& name) {
    auto stmt = prepare("SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?");
    if (!stmt) return false;
    stmt->bind(1, name);
    return stmt->next();
}

bool Database::column_exists(const std::string& table, const std::string& column) {
    auto stmt = prepare("SELECT 1 FROM pragma_table_info(?) WHERE name = ?");
    if (!stmt) return false;
    stmt->bind(1, table).bind(2, column);
    return stmt->next();
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
}

Statement& Statement::bind(int index, uint64_t value) { return bind(index, static_cast<int64_t>(value)); }

Statement& Statement::bind(int index, double value) {
    sqlite3_bind_double(stmt_, index, value);
    return *this;
}

Statement& Statement::bind(int index, const std::string& value) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind(int index, const std::optional<std::string>& value) {
    return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind(int index, const std::optional<uint64_t>& value) {
    return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind_null(int index) {
    sqlite3_bind_null(stmt_, index);
    return *this;
}

Status Statement::run() {
    int rc = sqlite3_step(stmt_);
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Error{error_text(db_)};
    return Status::success();
}

bool Statement::next() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) error_ = Error{error_text(db_)};
    return false;
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

int64_t Statement::i64(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::real(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    int size = sqlite3_column_bytes(stmt_, column);
    // A session file is untrusted input: its text reaches every output format.
    return data ? printable_text(std::string_view(data, static_cast<size_t>(size))) : std::string();
}

std::optional<std::string> Statement::opt_text(int column) const {
    if (is_null(column)) return std::nullopt;
    return text(column);
}

Status write_private_database(const std::string& path, const std::function<Status(Database&)>& write) {
    auto file = OutputFile::create(path, OutputAccess::Private);
    if (!file) return file.error();
    Status written = [&]() -> Status {
        auto db = Database::open((*file)->temp_path(), /*read_only=*/false);
        if (!db) return db.error();
        return write(*db);
    }();  // closed before the rename
    if (!written) return Error{"cannot write " + path + ": " + written.error().message};
    return (*file)->commit();
}

}  // namespace pmt::sqlite
