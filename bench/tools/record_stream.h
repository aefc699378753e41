// A file of raw ring buffer records, as pmt_bench_capture dumps them and the
// collector benchmarks replay them.
//
// Format: the 8-byte magic "PMTREC1\n", then per record a little-endian u32 size,
// a u32 zero, and the record's bytes padded to 8 (ring buffer records are 8-byte
// aligned, and the collector reads them in place).
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

namespace pmt::bench {

class RecordWriter {
public:
    explicit RecordWriter(const std::string& path);
    ~RecordWriter();
    RecordWriter(const RecordWriter&) = delete;
    RecordWriter& operator=(const RecordWriter&) = delete;
    bool ok() const { return file_ != nullptr; }
    void write(const void* data, size_t size);

private:
    std::FILE* file_ = nullptr;
};

// A whole stream in memory: records are 8-byte aligned, in order.
struct RecordStream {
    std::vector<uint64_t> storage;
    struct Entry {
        size_t offset;  // in bytes, into storage
        uint32_t size;
    };
    std::vector<Entry> records;

    const void* data(const Entry& e) const { return reinterpret_cast<const uint8_t*>(storage.data()) + e.offset; }
    void append(const void* data, size_t size);
    size_t bytes() const;
};

// Empty stream and a message on stderr if the file is missing or malformed.
bool load_record_stream(const std::string& path, RecordStream& out);

}  // namespace pmt::bench
