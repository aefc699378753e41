#include "record_stream.h"

#include <cstring>
#include <fstream>
#include <iostream>

namespace pmt::bench {
namespace {

constexpr char kMagic[8] = {'P', 'M', 'T', 'R', 'E', 'C', '1', '\n'};

size_t padded(size_t size) { return (size + 7) & ~size_t(7); }

}  // namespace

RecordWriter::RecordWriter(const std::string& path) {
    file_ = std::fopen(path.c_str(), "wb");
    if (file_) {
        std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
        std::fwrite(kMagic, 1, sizeof(kMagic), file_);
    }
}

RecordWriter::~RecordWriter() {
    if (file_) std::fclose(file_);
}

void RecordWriter::write(const void* data, size_t size) {
    if (!file_) return;
    uint32_t header[2] = {static_cast<uint32_t>(size), 0};
    static const uint8_t zeros[8] = {};
    std::fwrite(header, sizeof(header), 1, file_);
    std::fwrite(data, 1, size, file_);
    std::fwrite(zeros, 1, padded(size) - size, file_);
}

void RecordStream::append(const void* data, size_t size) {
    size_t offset = storage.size() * 8;
    storage.resize(storage.size() + padded(size) / 8, 0);
    std::memcpy(reinterpret_cast<uint8_t*>(storage.data()) + offset, data, size);
    records.push_back({offset, static_cast<uint32_t>(size)});
}

size_t RecordStream::bytes() const {
    size_t total = 0;
    for (const auto& r : records) total += r.size;
    return total;
}

bool load_record_stream(const std::string& path, RecordStream& out) {
    std::ifstream in(path, std::ios::binary);
    char magic[8];
    if (!in.read(magic, sizeof(magic)) || std::memcmp(magic, kMagic, sizeof(magic)) != 0) {
        std::cerr << "not a record stream: " << path << "\n";
        return false;
    }
    std::vector<uint8_t> buffer;
    uint32_t header[2];
    while (in.read(reinterpret_cast<char*>(header), sizeof(header))) {
        buffer.resize(padded(header[0]));
        if (!in.read(reinterpret_cast<char*>(buffer.data()), std::streamsize(buffer.size()))) {
            std::cerr << "truncated record stream: " << path << "\n";
            return false;
        }
        out.append(buffer.data(), header[0]);
    }
    return true;
}

}  // namespace pmt::bench
