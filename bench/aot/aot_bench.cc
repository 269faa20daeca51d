// AOT benchmark: per-call latency of the ahead-of-time artifacts vs Session::Run on the MLP and
// CNN of bench/bench_models.h (batch 1 and 64) and on a tiny model (per-call overhead), cold
// start, compile time and artifact sizes.
// ONNX Runtime runs beside it in bench/aot/ort_bench.mjs on the same inputs (bench/aot/run.sh
// runs both).
//
//   aot_bench [--threads=1,all] [--seconds=1] [--out=DIR] [--cold_runs=20] [--cases=mlp_b1,...]
//
// Latency: AOT Run() and Session::Run alternate run by run (TimeRunsInterleaved), so other
// load on the machine hits both alike; median and 90th percentile. Each also runs with a pool
// of the given thread count (strata::aot::ThreadPool / SessionOptions::num_threads).
// Cold start: "process" is exec-to-exit of a program that constructs the model and runs it
// once (aot_cold_start links only the artifact and the runtime; the Session program is this
// binary with --cold_session); "in process" is construction (Session::Create) + first Run.
// --out writes each case's input and AOT output (x_<case>.bin, out_<case>.bin) for the ORT
// script to run and compare.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/aot/bench_cases.h"
#include "bench/bench_util.h"
#include "graph/graph_def_io.h"
#include "runtime/session.h"

extern char** environ;

namespace strata::bench {
namespace {

// The graph files the artifacts were compiled from (export_bench_models wrote them).
absl::StatusOr<tf::GraphDef> Graph(const std::string& model) {
  return ReadGraphDefFile(absl::StrCat(AOT_BENCH_GRAPH_DIR, "/", model, ".pb"));
}

Shape InputShape(const BenchCase& c) {
  return std::string(c.model) == "cnn" ? Shape{c.batch, 28, 28, 1} : Shape{c.batch, 784};
}

Tensor Input(const BenchCase& c) {
  return RandomFloatTensor(InputShape(c), /*seed=*/7 + static_cast<uint64_t>(c.batch), 1.0f);
}

// Wall milliseconds of `argv` from spawn to exit; < 0 on failure.
double SpawnMs(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  const double t0 = NowSeconds();
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  const double ms = (NowSeconds() - t0) * 1e3;
  posix_spawn_file_actions_destroy(&actions);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? ms : -1;
}

double MedianSpawnMs(const std::vector<std::string>& args, int runs) {
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    const double ms = SpawnMs(args);
    if (ms < 0) return -1;
    times.push_back(ms);
  }
  return Median(times);
}

// --cold_session=CASE: what a Session-based service does once: build, compile, run.
int ColdSession(const std::string& name) {
  const BenchCase* c = FindCase(name);
  if (c == nullptr) return 2;
  absl::StatusOr<tf::GraphDef> graph = Graph(c->model);
  if (!graph.ok()) return 1;
  SessionOptions options;
  options.num_threads = 1;
  absl::StatusOr<std::unique_ptr<Session>> session = Session::Create(*graph, options);
  if (!session.ok()) return 1;
  std::vector<Tensor> out;
  return (*session)->Run({{"x", Input(*c)}}, {c->fetch}, &out).ok() ? 0 : 1;
}

void WriteBinary(const std::string& path, const void* data, size_t bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
}

int64_t FileSize(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? -1 : static_cast<int64_t>(size);
}

// --cases: a comma-separated subset of the case names (all when empty).
bool Selected(const std::string& cases, const char* name) {
  if (cases.empty()) return true;
  for (absl::string_view c : absl::StrSplit(cases, ',')) {
    if (c == name) return true;
  }
  return false;
}

absl::Status Latency(const std::vector<int>& threads, const TimeBox& box, const std::string& out_dir,
                     const std::string& cases_flag) {
  std::printf("\n== per-call latency (us): AOT Run() vs Session::Run, alternating run by run\n");
  std::printf("%-8s %7s | %9s %9s | %9s %9s | %8s | %s\n", "case", "threads", "AOT med", "AOT p90", "Sess med", "Sess p90",
              "Sess/AOT", "max rel diff");
  int n = 0;
  const BenchCase* cases = BenchCases(&n);
  for (int i = 0; i < n; ++i) {
    const BenchCase& c = cases[i];
    if (!Selected(cases_flag, c.name)) continue;
    absl::StatusOr<tf::GraphDef> graph = Graph(c.model);
    if (!graph.ok()) return graph.status();
    const Tensor x = Input(c);
    for (int t : threads) {
      std::unique_ptr<strata::aot::ThreadPool> pool;
      if (t > 1) pool = std::make_unique<strata::aot::ThreadPool>(t);
      std::unique_ptr<AotCase> model = c.make(pool.get());
      std::memcpy(model->input(), x.raw_data(), x.byte_size());
      if (!model->Run()) return absl::InternalError(model->error());
      SessionOptions options;
      options.num_threads = t;
      absl::StatusOr<std::unique_ptr<Session>> session = Session::Create(*graph, options);
      if (!session.ok()) return session.status();
      const std::vector<std::pair<std::string, Tensor>> feeds = {{"x", x}};
      std::vector<Tensor> outputs;
      if (absl::Status s = (*session)->Run(feeds, {c.fetch}, &outputs); !s.ok()) return s;
      const double diff = MaxRelativeError(model->output(), outputs[0].flat<float>().data(), c.output_elements);
      auto times = TimeRunsInterleaved(
          box, [&] { return model->Run() ? absl::OkStatus() : absl::InternalError(model->error()); },
          [&] { return (*session)->Run(feeds, {c.fetch}, &outputs); });
      if (!times.ok()) return times.status();
      const double aot = Median(times->first) * 1e6, sess = Median(times->second) * 1e6;
      std::printf("%-8s %7d | %9.2f %9.2f | %9.2f %9.2f | %7.2fx | %.1e%s\n", c.name, t, aot,
                  Percentile(times->first, 0.9) * 1e6, sess, Percentile(times->second, 0.9) * 1e6, sess / aot, diff,
                  model->heap_fallback_bytes() != 0 ? "  (arena overflowed!)" : "");
      if (t == 1 && !out_dir.empty()) {
        WriteBinary(absl::StrCat(out_dir, "/x_", c.name, ".bin"), x.raw_data(), x.byte_size());
        WriteBinary(absl::StrCat(out_dir, "/out_", c.name, ".bin"), model->output(), c.output_elements * sizeof(float));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ColdStart(const std::string& self, int runs, const std::string& cases_flag) {
  const std::string cold = (std::filesystem::path(self).parent_path() / "aot_cold_start").string();
  std::printf("\n== cold start (ms): exec to exit of a program that builds the model and runs it once; in process:\n"
              "   construction (Session::Create) + first Run; 1 thread\n");
  std::printf("%-8s | %12s %12s | %12s %12s\n", "case", "AOT process", "AOT in-proc", "Sess process", "Sess in-proc");
  int n = 0;
  const BenchCase* cases = BenchCases(&n);
  for (int i = 0; i < n; ++i) {
    const BenchCase& c = cases[i];
    if (!Selected(cases_flag, c.name)) continue;
    const double aot_process = MedianSpawnMs({cold, c.name}, runs);
    std::vector<double> in_process;
    const Tensor x = Input(c);
    for (int r = 0; r < runs; ++r) {
      const double t0 = NowSeconds();
      std::unique_ptr<AotCase> model = c.make(nullptr);
      std::memcpy(model->input(), x.raw_data(), x.byte_size());
      if (!model->Run()) return absl::InternalError(model->error());
      in_process.push_back((NowSeconds() - t0) * 1e3);
    }
    const double session_process = MedianSpawnMs({self, absl::StrCat("--cold_session=", c.name)}, 3);
    std::vector<double> session_in_process;
    absl::StatusOr<tf::GraphDef> graph = Graph(c.model);
    if (!graph.ok()) return graph.status();
    for (int r = 0; r < 3; ++r) {
      const double t0 = NowSeconds();
      SessionOptions options;
      options.num_threads = 1;
      absl::StatusOr<std::unique_ptr<Session>> session = Session::Create(*graph, options);
      if (!session.ok()) return session.status();
      std::vector<Tensor> out;
      if (absl::Status s = (*session)->Run({{"x", x}}, {c.fetch}, &out); !s.ok()) return s;
      session_in_process.push_back((NowSeconds() - t0) * 1e3);
    }
    std::printf("%-8s | %12.2f %12.3f | %12.1f %12.1f\n", c.name, aot_process, Median(in_process), session_process,
                Median(session_in_process));
  }
  return absl::OkStatus();
}

void Sizes() {
  std::printf("\n== artifacts (strata compile --target_cpu native, weights embedded)\n");
  std::printf("%-8s | %12s %12s %12s %14s\n", "case", "object B", "weights B", "arena B", "chunk arena B");
  int n = 0;
  const BenchCase* cases = BenchCases(&n);
  for (int i = 0; i < n; ++i) {
    const BenchCase& c = cases[i];
    std::printf("%-8s | %12lld %12lld %12lld %14lld\n", c.name,
                static_cast<long long>(FileSize(absl::StrCat(AOT_BENCH_OBJECT_DIR, "/aot_bench_", c.name, ".o"))),
                static_cast<long long>(c.weights_bytes), static_cast<long long>(c.arena_bytes),
                static_cast<long long>(c.chunk_arena_bytes));
  }
}

void CompileTimes(int runs) {
  std::printf("\n== strata compile wall time (ms, process included; median of %d)\n", runs);
  int n = 0;
  const BenchCase* cases = BenchCases(&n);
  for (int i = 0; i < n; ++i) {
    const BenchCase& c = cases[i];
    const std::string dir = std::filesystem::temp_directory_path().string();
    const std::string feed = absl::StrCat("x:float32", InputShape(c).ToString());
    const double ms = MedianSpawnMs({STRATA_CLI_PATH, "compile", absl::StrCat(AOT_BENCH_GRAPH_DIR, "/", c.model, ".pb"), "--feed",
                                     feed, "--fetch", c.fetch, "--cpp_class", "bench::M", "--out_object", dir + "/aot_bench_m.o",
                                     "--out_header", dir + "/aot_bench_m.h", "--quiet"},
                                    runs);
    std::printf("%-8s | %8.0f\n", c.name, ms);
  }
}

int Main(int argc, char** argv) {
  absl::StatusOr<Flags> flags = Flags::Parse(argc, argv, {"threads", "seconds", "out", "cold_runs", "cold_session", "cases", "only_latency"});
  if (!flags.ok()) {
    std::fprintf(stderr, "aot_bench: %s\n", std::string(flags.status().message()).c_str());
    return 2;
  }
  if (flags->Has("cold_session")) return ColdSession(flags->Get("cold_session", ""));
  absl::StatusOr<std::vector<int>> threads = ParseThreadList(flags->Get("threads", "1,all"));
  absl::StatusOr<double> seconds = flags->GetDouble("seconds", 1.0);
  absl::StatusOr<int> cold_runs = flags->GetInt("cold_runs", 20);
  if (!threads.ok() || !seconds.ok() || !cold_runs.ok()) {
    std::fprintf(stderr, "aot_bench: bad flag value\n");
    return 2;
  }
  TimeBox box;
  box.seconds = *seconds;
  box.max_runs = 100000;
  std::printf("aot_bench: %s; load average %s\n$ %s\n", MachineSummary().c_str(), LoadAverage().c_str(),
              CommandLine(argc, argv).c_str());
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string cases = flags->Get("cases", "");
  absl::Status s = Latency(*threads, box, flags->Get("out", ""), cases);
  const bool only_latency = flags->Get("only_latency", "0") == "1";
  if (s.ok() && !only_latency) s = ColdStart(self, *cold_runs, cases);
  if (!s.ok()) {
    std::fprintf(stderr, "aot_bench: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  if (!only_latency) {
    Sizes();
    CompileTimes(3);
  }
  return 0;
}

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) { return strata::bench::Main(argc, argv); }
