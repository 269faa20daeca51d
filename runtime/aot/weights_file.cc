#include "runtime/aot/weights_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "runtime/aot/checksum.h"
#include "runtime/aot/weights_format.h"

namespace strata::aot {

namespace {

std::string Format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Format(const char* fmt, ...) {
  char buffer[1024];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buffer, sizeof(buffer), fmt, args);
  va_end(args);
  return buffer;
}

}  // namespace

std::shared_ptr<const WeightsFile> WeightsFile::Open(const std::string& path, uint64_t expected_bytes,
                                                     uint64_t expected_checksum, std::string* error) {
  const char* p = path.c_str();
  auto fail = [&](std::string message) -> std::shared_ptr<const WeightsFile> {
    if (error != nullptr) *error = std::move(message);
    return nullptr;
  };
  const int fd = ::open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(Format("cannot open weights file '%s': %s", p, std::strerror(errno)));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(Format("weights file '%s' is not a regular file", p));
  }
  const uint64_t file_bytes = static_cast<uint64_t>(st.st_size);
  if (file_bytes < sizeof(WeightsFileHeader)) {
    ::close(fd);
    return fail(Format("weights file '%s' is truncated: %" PRIu64 " bytes, not even a header", p, file_bytes));
  }
  void* mapping = ::mmap(nullptr, file_bytes, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapping == MAP_FAILED) return fail(Format("cannot map weights file '%s': %s", p, std::strerror(errno)));
  std::shared_ptr<WeightsFile> file(new WeightsFile);
  file->path_ = path;
  file->mapping_ = mapping;
  file->mapping_bytes_ = file_bytes;

  WeightsFileHeader h;
  std::memcpy(&h, mapping, sizeof(h));
  if (std::memcmp(h.magic, kWeightsMagic, sizeof(h.magic)) != 0) {
    return fail(Format("'%s' is not a strata weights file (bad magic)", p));
  }
  if (h.version != kWeightsVersion || h.header_bytes != sizeof(WeightsFileHeader)) {
    return fail(Format("weights file '%s' has version %u; this runtime reads version %u", p, h.version, kWeightsVersion));
  }
  if (h.data_bytes != expected_bytes || h.checksum != expected_checksum) {
    return fail(Format("weights file '%s' belongs to a different model: it holds %" PRIu64 " bytes with checksum %016" PRIx64
                       ", this model needs %" PRIu64 " bytes with checksum %016" PRIx64,
                       p, h.data_bytes, h.checksum, expected_bytes, expected_checksum));
  }
  if (h.data_offset < sizeof(WeightsFileHeader) || h.data_offset > file_bytes || file_bytes - h.data_offset < h.data_bytes) {
    return fail(Format("weights file '%s' is truncated: %" PRIu64 " bytes, expected %" PRIu64, p, file_bytes,
                       h.data_offset + h.data_bytes));
  }
  const void* data = static_cast<const char*>(mapping) + h.data_offset;
  const uint64_t checksum = WeightsChecksum(data, h.data_bytes);
  if (checksum != h.checksum) {
    return fail(Format("weights file '%s' is corrupt: its data has checksum %016" PRIx64 ", expected %016" PRIx64, p,
                       checksum, h.checksum));
  }
  file->data_ = data;
  file->bytes_ = h.data_bytes;
  file->checksum_ = checksum;
  return file;
}

WeightsFile::~WeightsFile() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_bytes_);
}

std::string MakeWeightsFile(const void* data, uint64_t bytes) {
  WeightsFileHeader h{};
  std::memcpy(h.magic, kWeightsMagic, sizeof(h.magic));
  h.version = kWeightsVersion;
  h.header_bytes = sizeof(WeightsFileHeader);
  h.data_offset = kWeightsDataOffset;
  h.data_bytes = bytes;
  h.checksum = WeightsChecksum(data, bytes);
  std::string out(kWeightsDataOffset + bytes, '\0');
  std::memcpy(out.data(), &h, sizeof(h));
  if (bytes > 0) std::memcpy(out.data() + kWeightsDataOffset, data, bytes);
  return out;
}

}  // namespace strata::aot
