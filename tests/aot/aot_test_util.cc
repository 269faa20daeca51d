#include "tests/aot/aot_test_util.h"

#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "frontends/tf/model_loader.h"
#include "runtime/session.h"

namespace strata::aot_test {

namespace {

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

template <typename T>
double ValueAt(const void* data, int64_t i) {
  T v;
  std::memcpy(&v, static_cast<const char*>(data) + i * sizeof(T), sizeof(T));
  return static_cast<double>(v);
}

double ElementAt(DType dtype, const void* data, int64_t i) {
  switch (dtype) {
    case DT_FLOAT: return ValueAt<float>(data, i);
    case DT_DOUBLE: return ValueAt<double>(data, i);
    case DT_INT32: return ValueAt<int32_t>(data, i);
    case DT_INT64: return ValueAt<int64_t>(data, i);
    case DT_UINT8:
    case DT_BOOL: return ValueAt<uint8_t>(data, i);
    case DT_INT8: return ValueAt<int8_t>(data, i);
    default: return std::nan("");
  }
}

}  // namespace

Tensor MakeInput(DType dtype, const Shape& shape, uint64_t seed) {
  Tensor t = *Tensor::Create(dtype, shape);
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    const uint64_t h = Mix(seed * 1000003 + static_cast<uint64_t>(i));
    switch (dtype) {
      case DT_FLOAT: t.flat<float>()[i] = static_cast<float>(h >> 40) / static_cast<float>(1 << 24) * 2.0f - 1.0f; break;
      case DT_INT32: t.flat<int32_t>()[i] = static_cast<int32_t>(h % 10); break;
      case DT_INT64: t.flat<int64_t>()[i] = static_cast<int64_t>(h % 10); break;
      case DT_BOOL: t.flat<bool>()[i] = (h & 1) != 0; break;
      default: break;
    }
  }
  return t;
}

absl::StatusOr<std::vector<Tensor>> RunSession(const std::string& graph_path,
                                               const std::vector<std::pair<std::string, Tensor>>& feeds,
                                               const std::vector<std::string>& fetches) {
  absl::StatusOr<tf::GraphDef> def = LoadModel(graph_path);
  if (!def.ok()) return def.status();
  SessionOptions options;
  options.num_threads = 1;
  options.backend = "cpu";
  absl::StatusOr<std::unique_ptr<Session>> session = Session::Create(*def, options);
  if (!session.ok()) return session.status();
  std::vector<Tensor> outputs;
  if (absl::Status s = (*session)->Run(feeds, fetches, &outputs); !s.ok()) return s;
  return outputs;
}

std::string Compare(const void* actual, const Tensor& expected, double rtol, double atol) {
  const bool exact = !IsFloatingDType(expected.dtype());
  for (int64_t i = 0; i < expected.num_elements(); ++i) {
    const double a = ElementAt(expected.dtype(), actual, i);
    const double e = ElementAt(expected.dtype(), expected.raw_data(), i);
    const bool ok = exact ? a == e : std::fabs(a - e) <= atol + rtol * std::fabs(e);
    if (!ok) return absl::StrCat("element ", i, ": got ", a, ", Session::Run gives ", e);
  }
  return "";
}

CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) r.output.append(buffer, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

CommandResult BuildDriver(const std::string& cxx, const std::string& dir, const std::string& header,
                          const std::string& cpp_class, const std::string& link) {
  const std::string source = STRATA_SOURCE_DIR;
  return RunCommand(absl::StrCat(ShellQuote(cxx), " -std=c++17 -O1 -DAOT_HEADER='\"", header, "\"' -DAOT_CLASS=", cpp_class,
                                 " -I", ShellQuote(source), " -I", ShellQuote(dir), " ",
                                 ShellQuote(source + "/tests/aot/aot_driver.cc"), " ", link, " -pthread -o ",
                                 ShellQuote(dir + "/driver")));
}

void WriteDriverArgs(const std::string& dir, const std::vector<Tensor>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    WriteFile(absl::StrCat(dir, "/arg", i, ".bin"), std::string(static_cast<const char*>(args[i].raw_data()), args[i].byte_size()));
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
}

}  // namespace strata::aot_test
