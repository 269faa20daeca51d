// Checkpoint save/restore (see checkpoint.h).
#include "runtime/checkpoint.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "graph/file_util.h"

namespace strata {
namespace {

constexpr char kMagic[] = "STRATA-CKPT-1\n";
constexpr size_t kMagicSize = sizeof(kMagic) - 1;

uint32_t Crc32(const void* data, size_t n) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

template <typename T>
void Put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

// Reads from the file's bytes; every read is bounds-checked.
class Reader {
 public:
  Reader(const std::string& bytes, const std::string& path) : bytes_(bytes), path_(path) {}
  template <typename T>
  absl::Status Get(T* v, const char* what) {
    if (bytes_.size() - pos_ < sizeof(T)) return Truncated(what);
    std::memcpy(v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return absl::OkStatus();
  }
  absl::Status Bytes(size_t n, std::string_view* v, const char* what) {
    if (bytes_.size() - pos_ < n) return Truncated(what);
    *v = std::string_view(bytes_.data() + pos_, n);
    pos_ += n;
    return absl::OkStatus();
  }
  bool AtEnd() const { return pos_ == bytes_.size(); }

 private:
  absl::Status Truncated(const char* what) const {
    return absl::DataLossError(absl::StrCat("checkpoint '", path_, "' is truncated (reading ", what, " at byte ", pos_, ")"));
  }
  const std::string& bytes_;
  const std::string& path_;
  size_t pos_ = kMagicSize;
};

absl::StatusOr<std::vector<std::pair<std::string, Tensor>>> ReadAll(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFileToString(path);
  if (!bytes.ok()) return bytes.status();
  if (bytes->compare(0, kMagicSize, kMagic) != 0) {
    return absl::DataLossError(absl::StrCat("'", path, "' is not a strata checkpoint"));
  }
  Reader r(*bytes, path);
  uint64_t count = 0;
  if (absl::Status s = r.Get(&count, "the tensor count"); !s.ok()) return s;
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t name_len = 0, rank = 0, crc = 0;
    int32_t dtype = 0;
    uint64_t nbytes = 0;
    std::string_view name, data;
    if (absl::Status s = r.Get(&name_len, "a name length"); !s.ok()) return s;
    if (absl::Status s = r.Bytes(name_len, &name, "a name"); !s.ok()) return s;
    if (absl::Status s = r.Get(&dtype, "a dtype"); !s.ok()) return s;
    if (absl::Status s = r.Get(&rank, "a rank"); !s.ok()) return s;
    if (rank > 64) return absl::DataLossError(absl::StrCat("checkpoint '", path, "': tensor '", std::string(name), "' has rank ", rank));
    std::vector<int64_t> dims(rank);
    for (int64_t& d : dims) {
      if (absl::Status s = r.Get(&d, "a dim"); !s.ok()) return s;
    }
    if (absl::Status s = r.Get(&nbytes, "a byte count"); !s.ok()) return s;
    if (absl::Status s = r.Get(&crc, "a checksum"); !s.ok()) return s;
    if (absl::Status s = r.Bytes(nbytes, &data, "tensor data"); !s.ok()) return s;
    if (Crc32(data.data(), data.size()) != crc) {
      return absl::DataLossError(absl::StrCat("checkpoint '", path, "': tensor '", std::string(name), "' fails its checksum"));
    }
    const bool dims_ok = std::all_of(dims.begin(), dims.end(), [](int64_t d) { return d >= 0 && d < (int64_t{1} << 40); });
    absl::StatusOr<Tensor> t = dims_ok ? Tensor::Create(static_cast<DType>(dtype), Shape(dims))
                                       : absl::StatusOr<Tensor>(absl::InvalidArgumentError("bad dims"));
    if (!t.ok() || static_cast<uint64_t>(t->byte_size()) != nbytes) {
      return absl::DataLossError(absl::StrCat("checkpoint '", path, "': tensor '", std::string(name), "' has an invalid dtype or shape"));
    }
    if (nbytes > 0) std::memcpy(t->raw_data(), data.data(), nbytes);
    tensors.emplace_back(std::string(name), *std::move(t));
  }
  if (!r.AtEnd()) return absl::DataLossError(absl::StrCat("checkpoint '", path, "' has trailing bytes"));
  return tensors;
}

}  // namespace

absl::Status SaveCheckpoint(const VariableStore& store, const std::string& path, const std::vector<std::string>& names) {
  const std::vector<std::string> all = store.Names();
  const std::vector<std::string>& which = names.empty() ? all : names;
  std::string out(kMagic, kMagicSize);
  Put<uint64_t>(out, which.size());
  for (const std::string& name : which) {
    const Tensor t = store.Get(name);
    if (!t.valid()) {
      const bool known = std::find(all.begin(), all.end(), name) != all.end();
      return known ? absl::FailedPreconditionError(absl::StrCat("variable ", name, " has no value to save"))
                   : absl::NotFoundError(absl::StrCat("no variable named ", name, " has a value in this session"));
    }
    if (t.dtype() == DT_STRING) return absl::UnimplementedError(absl::StrCat("variable ", name, ": string variables cannot be saved"));
    if (absl::Status s = t.SyncToHost(); !s.ok()) return s;  // a GPU training step left it there
    Put<uint32_t>(out, static_cast<uint32_t>(name.size()));
    out += name;
    Put<int32_t>(out, static_cast<int32_t>(t.dtype()));
    Put<uint32_t>(out, static_cast<uint32_t>(t.shape().rank()));
    for (int i = 0; i < t.shape().rank(); ++i) Put<int64_t>(out, t.shape().dim(i));
    Put<uint64_t>(out, static_cast<uint64_t>(t.byte_size()));
    Put<uint32_t>(out, Crc32(t.raw_data(), t.byte_size()));
    out.append(static_cast<const char*>(t.raw_data()), t.byte_size());
  }
  return WriteFileAtomically(path, out);
}

absl::Status RestoreCheckpoint(const Graph& graph, VariableStore& store, const std::string& path,
                               const std::vector<std::string>& names) {
  absl::StatusOr<std::vector<std::pair<std::string, Tensor>>> tensors = ReadAll(path);
  if (!tensors.ok()) return tensors.status();
  absl::flat_hash_map<std::string, const Node*> declared;
  for (const auto& n : graph.nodes()) {
    if (IsVariableNode(*n)) declared[VariableName(*n)] = n.get();
  }
  absl::flat_hash_set<std::string> wanted(names.begin(), names.end());
  std::vector<std::pair<std::string, Tensor>> chosen;
  for (auto& [name, t] : *tensors) {
    if (!wanted.empty() && !wanted.contains(name)) continue;
    wanted.erase(name);
    auto it = declared.find(name);
    if (it == declared.end()) {
      return absl::NotFoundError(absl::StrCat("checkpoint '", path, "' holds variable ", name, ", which the graph does not declare"));
    }
    const DType want = VariableDType(*it->second);
    const Shape shape = VariableShape(*it->second);
    if (t.dtype() != want || !t.shape().IsCompatibleWith(shape)) {
      return absl::InvalidArgumentError(absl::StrCat("checkpoint '", path, "': variable ", name, " is ", DTypeName(t.dtype()),
                                                     t.shape().ToString(), " but the graph declares ", DTypeName(want),
                                                     shape.ToString()));
    }
    chosen.emplace_back(name, std::move(t));
  }
  if (!names.empty() && !wanted.empty()) {
    return absl::NotFoundError(absl::StrCat("checkpoint '", path, "' has no variable ", *wanted.begin()));
  }
  for (auto& [name, t] : chosen) store.Set(name, std::move(t));
  return absl::OkStatus();
}

}  // namespace strata
