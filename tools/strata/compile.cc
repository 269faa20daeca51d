// `strata compile MODEL --feed NAME:DTYPE[d0,...] ... --fetch NAME ...` in two modes:
//   --emit=mlir|llvm [-o OUT]: compiles what the fetches need for the given feed signature
//     exactly as a Session would, and prints the IR (MLIR after lowering and after each
//     pipeline stage, or the LLVM IR), for debugging the compiler;
//   --cpp_class ns::Class --out_object model.o --out_header model.h [...]: ahead-of-time
//     compilation into an object file + C++ header (+ weights file, + shared library) that a
//     program links with libstrata_aot_runtime only (compiler/aot_compiler.h, docs/aot.md);
//   --target cuda --cuda_arch sm_90 --out_ptx model.ptx [--out_cubin model.cubin]: NVIDIA PTX
//     for every kernel of the graph (compiler/gpu/gpu_backend.h, docs/gpu.md), optionally
//     assembled by ptxas.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "compiler/aot_compiler.h"
#include "compiler/aot_signature.h"
#include "compiler/cpu_backend.h"
#include "compiler/gpu/gpu_backend.h"
#include "graph/dtype.h"
#include "graph/shape.h"
#include "graph/tensor.h"
#include "runtime/run_request.h"
#include "runtime/specialize.h"
#include "tools/strata/verbs.h"

namespace strata::cli {
namespace {

constexpr char kUsage[] =
    "usage: strata compile MODEL [--feed NAME:DTYPE[d0,d1,...] ...] --fetch NAME [--fetch ...]\n"
    "                      --emit=mlir|llvm [-o OUT]\n"
    "       strata compile MODEL (--feed ... --fetch ... | --config CFG) --cpp_class NS::CLASS\n"
    "                      --out_object MODEL.o --out_header MODEL.h [--out_library LIBMODEL.so]\n"
    "                      [--target_cpu native|x86-64-v3|x86-64-v4|CPU]\n"
    "                      [--weights embed|external --out_weights MODEL.weights]\n"
    "       strata compile MODEL --feed ... --fetch ... --target cuda [--cuda_arch sm_90]\n"
    "                      --out_ptx MODEL.ptx [--out_cubin MODEL.cubin]\n"
    "\n"
    "Loads MODEL (a TensorFlow GraphDef, binary .pb or text .pbtxt, or a TF.js graph model\n"
    "model.json) and specializes what the fetches need to the given feed dtypes and shapes as a\n"
    "Session does. With --emit it compiles for the host CPU and writes the IR to stdout (or\n"
    "OUT). Otherwise it compiles ahead of time: an object file with a C entry point and a C++\n"
    "header whose class runs the model (see docs/aot.md); the program links the object and\n"
    "libstrata_aot_runtime, nothing else of strata.\n"
    "\n"
    "  --feed NAME:DTYPE[DIMS]  tensor NAME (\"node\" or \"node:k\") is fed a DTYPE tensor of\n"
    "                           shape DIMS, e.g. x:float32[1,784] or i:int32[] (repeatable)\n"
    "  --fetch NAME             fetch tensor NAME (repeatable)\n"
    "  --emit mlir              the MLIR module as lowered, after fusion and tiling, and after\n"
    "                           bufferization\n"
    "  --emit llvm              the optimized LLVM IR\n"
    "  -o, --out OUT            write the IR to file OUT instead of stdout\n"
    "  --config CFG             feeds (with shapes and accessor names) and fetches as a\n"
    "                           strata.aot.Config (proto/compile_config.proto), text or binary,\n"
    "                           instead of --feed/--fetch\n"
    "  --cpp_class NS::CLASS    the generated class; accessors are named after the feeds and\n"
    "                           fetches (Placeholder and node names made C identifiers)\n"
    "  --out_object FILE        the object file (ELF, position-independent)\n"
    "  --out_header FILE        the C++ header\n"
    "  --out_library FILE       also link a shared library (the object + the AOT runtime)\n"
    "  --target_cpu CPU         native (default: this machine), x86-64-v3 (AVX2), x86-64-v4\n"
    "                           (AVX-512), or any CPU name LLVM knows (e.g. skylake-avx512)\n"
    "  --weights embed          constants over 4 KiB go into the object, read-only (default)\n"
    "  --weights external       ... into --out_weights FILE, which the class maps and verifies\n"
    "                           at run time (LoadWeights)\n"
    "  --out_weights FILE       the weights file (with --weights external)\n"
    "  --target cpu|cuda        cpu (default): the modes above; cuda: NVIDIA PTX (docs/gpu.md)\n"
    "  --cuda_arch ARCH         sm_80, sm_86, sm_87, sm_89, sm_90 (default) or sm_90a (H100 only:\n"
    "                           the tensor-core kernels on wgmma)\n"
    "  --out_ptx FILE           the PTX module (every kernel of the graph)\n"
    "  --out_cubin FILE         also assemble it with ptxas ($STRATA_PTXAS, else ptxas on PATH,\n"
    "                           else /usr/local/cuda/bin/ptxas)\n"
    "  --allow_tf32             float32 MatMul/BatchMatMul/Conv2D on tensor cores with TF32\n"
    "                           inputs (10 mantissa bits; sm_80+)\n"
    "  --quiet                  do not print the summary\n";

// --feed and --fetch repeat, which ParseArgs does not support: they are taken out here.
absl::Status ExtractRepeated(const std::vector<std::string>& args, std::vector<std::string>* feeds,
                             std::vector<std::string>* fetches, std::vector<std::string>* rest) {
  const std::pair<const char*, std::vector<std::string>*> kinds[] = {{"--feed", feeds}, {"--fetch", fetches}};
  bool flags_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") flags_ended = true;
    bool taken = false;
    for (const auto& [name, values] : kinds) {
      if (flags_ended) break;
      const std::string prefix = absl::StrCat(name, "=");
      if (arg == name) {
        if (i + 1 >= args.size()) return absl::InvalidArgumentError(absl::StrCat("compile: flag '", name, "' needs a value"));
        values->push_back(args[++i]);
      } else if (arg.starts_with(prefix)) {
        values->push_back(arg.substr(prefix.size()));
      } else {
        continue;
      }
      if (values->back().empty()) {
        return absl::InvalidArgumentError(absl::StrCat("compile: flag '", name, "' needs a non-empty value"));
      }
      taken = true;
      break;
    }
    if (!taken) rest->push_back(arg);
  }
  return absl::OkStatus();
}

// "NAME:DTYPE[d0,d1,...]"; NAME may itself be "node:k", so the dtype follows the last ':'
// before the '['.
absl::StatusOr<std::pair<std::string, Tensor>> ParseFeedSpec(const std::string& spec) {
  auto malformed = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("compile: --feed expects NAME:DTYPE[d0,d1,...] (e.g. x:float32[2,3]), got '", spec, "': ", why));
  };
  const size_t open = spec.find('[');
  if (open == std::string::npos || spec.back() != ']') return malformed("no [dims]");
  const size_t colon = spec.rfind(':', open);
  if (colon == std::string::npos || colon == 0) return malformed("no NAME:DTYPE");
  const std::string name = spec.substr(0, colon);
  const std::string dtype_name = spec.substr(colon + 1, open - colon - 1);
  absl::StatusOr<DType> dtype = DTypeFromName(dtype_name);
  if (!dtype.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("compile: --feed '", spec, "': unknown dtype '", dtype_name, "'"));
  }
  const std::string dims_text = spec.substr(open + 1, spec.size() - open - 2);
  std::vector<int64_t> dims;
  if (!dims_text.empty()) {
    for (absl::string_view d : absl::StrSplit(dims_text, ',')) {
      int64_t size = 0;
      if (!absl::SimpleAtoi(d, &size) || size < 0) {
        return malformed(absl::StrCat("dim '", d, "' is not a non-negative integer"));
      }
      dims.push_back(size);
    }
  }
  absl::StatusOr<Tensor> value = Tensor::Create(*dtype, Shape(std::move(dims)));
  if (!value.ok()) return absl::Status(value.status().code(), absl::StrCat("compile: --feed '", spec, "': ", value.status().message()));
  return std::make_pair(name, *std::move(value));
}

enum class Emit { kMlir, kLlvm };

// The model read, imported and specialized for --feed NAME:TYPE[DIMS] and --fetch NAME: the
// same steps as Session::Run up to the backend (--emit and --target cuda).
struct LoadedModel {
  tf::GraphDef def;
  std::unique_ptr<Graph> graph;
  ResolvedRequest request;
  SpecializedGraph specialized;
};

absl::StatusOr<LoadedModel> LoadSpecialized(const std::string& model_path, const std::vector<std::string>& feed_specs,
                                            const std::vector<std::string>& fetches) {
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (const std::string& spec : feed_specs) {
    absl::StatusOr<std::pair<std::string, Tensor>> feed = ParseFeedSpec(spec);
    if (!feed.ok()) return feed.status();
    feeds.push_back(*std::move(feed));
  }
  LoadedModel model;
  absl::StatusOr<tf::GraphDef> def = ReadModel(model_path);
  if (!def.ok()) return def.status();
  model.def = *std::move(def);
  absl::StatusOr<std::unique_ptr<Graph>> graph = ImportModel(model.def, model_path);
  if (!graph.ok()) return graph.status();
  model.graph = *std::move(graph);
  absl::StatusOr<ResolvedRequest> request = ResolveRunRequest(*model.graph, feeds, fetches, /*targets=*/{});
  if (!request.ok()) return request.status();
  model.request = *std::move(request);
  absl::StatusOr<SpecializedGraph> specialized = SpecializeGraph(*model.graph, model.def, model.request);
  if (!specialized.ok()) return specialized.status();
  model.specialized = *std::move(specialized);
  return model;
}

std::string FormatIr(const CpuExecutable& executable, Emit emit) {
  if (emit == Emit::kLlvm) return absl::StrCat("; ---- llvm ----\n", executable.llvm_ir(), "\n");
  return absl::StrCat("// ---- lowered ----\n", executable.lowered_ir(), "\n// ---- fused ----\n", executable.fused_ir(),
                      "\n// ---- bufferized ----\n", executable.bufferized_ir(), "\n");
}

absl::Status EmitIr(const ParsedArgs& args, const std::string& model_path, const std::vector<std::string>& feed_specs,
                    const std::vector<std::string>& fetches) {
  const std::string emit_name = args.Value("--emit").value_or("");
  Emit emit;
  if (emit_name == "mlir") {
    emit = Emit::kMlir;
  } else if (emit_name == "llvm") {
    emit = Emit::kLlvm;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("compile: --emit expects mlir or llvm, got '", emit_name, "'"));
  }
  if (fetches.empty()) return absl::InvalidArgumentError("compile: nothing to compile: give at least one --fetch NAME");

  absl::StatusOr<LoadedModel> model = LoadSpecialized(model_path, feed_specs, fetches);
  if (!model.ok()) return model.status();
  CompileRequest compile_request;
  if (!model->specialized.results.empty()) {
    compile_request = model->specialized.MakeCompileRequest("main");
  } else {
    // Every fetch folded to a constant (or is fed), so a Session would compile nothing; the
    // imported graph is compiled as it stands instead, so that there is IR to look at.
    compile_request.graph = model->graph.get();
    for (const ResolvedFeed& f : model->request.feeds) compile_request.args.push_back(f.tensor);
    compile_request.results = model->request.fetches;
  }

  CpuBackendOptions options;
  options.capture_ir = true;
  options.capture_llvm_ir = emit == Emit::kLlvm;
  CpuBackend backend(options);
  absl::StatusOr<std::unique_ptr<CpuExecutable>> executable = backend.CompileCpu(compile_request);
  if (!executable.ok()) return executable.status();
  const std::string ir = FormatIr(**executable, emit);

  if (std::optional<std::string> out = args.Value("--out")) return WriteTextFile(*out, ir);
  std::fputs(ir.c_str(), stdout);
  return absl::OkStatus();
}

// ---- Ahead-of-time compilation ----

absl::Status WriteBinaryFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::PermissionDeniedError(absl::StrCat("compile: cannot write '", path, "'"));
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) return absl::DataLossError(absl::StrCat("compile: writing '", path, "' failed"));
  return absl::OkStatus();
}

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// libstrata_aot_runtime.a: $STRATA_AOT_RUNTIME, else lib/ next to this program's bin/ (the
// build tree and an installed tree alike).
absl::StatusOr<std::string> FindAotRuntimeArchive() {
  if (const char* env = std::getenv("STRATA_AOT_RUNTIME")) return std::string(env);
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path archive = self.parent_path().parent_path() / "lib" / "libstrata_aot_runtime.a";
    if (std::filesystem::exists(archive)) return archive.string();
  }
  return absl::NotFoundError(
      "compile: --out_library needs libstrata_aot_runtime.a: not found in ../lib next to the strata program; set "
      "STRATA_AOT_RUNTIME to its path");
}

// The object + the whole runtime archive as one shared library, linked by the system compiler
// ($CXX or c++). The runtime's symbols stay exported: the header's class calls them.
absl::Status LinkSharedLibrary(const std::string& object, const std::string& library) {
  absl::StatusOr<std::string> runtime = FindAotRuntimeArchive();
  if (!runtime.ok()) return runtime.status();
  const char* cxx = std::getenv("CXX");
  const std::string command =
      absl::StrCat(cxx != nullptr && *cxx ? cxx : "c++", " -shared -o ", ShellQuote(library), " ", ShellQuote(object),
                   " -Wl,--whole-archive ", ShellQuote(*runtime), " -Wl,--no-whole-archive -lm -pthread 2>&1");
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError("compile: cannot run the system compiler to link --out_library");
  std::string output;
  char buffer[512];
  while (size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, n);
  const int status = ::pclose(pipe);
  if (status != 0) {
    return absl::InternalError(absl::StrCat("compile: linking --out_library '", library, "' failed: ", output));
  }
  return absl::OkStatus();
}

// ---- CUDA: PTX (and a cubin through ptxas) ----

// $STRATA_PTXAS, else `ptxas` on PATH, else the CUDA toolkit's default location.
absl::StatusOr<std::string> FindPtxas() {
  if (const char* env = std::getenv("STRATA_PTXAS"); env != nullptr && *env) {
    if (!std::filesystem::exists(env)) return absl::NotFoundError(absl::StrCat("compile: STRATA_PTXAS='", env, "' does not exist"));
    return std::string(env);
  }
  if (const char* path = std::getenv("PATH")) {
    for (absl::string_view dir : absl::StrSplit(path, ':')) {
      if (dir.empty()) continue;
      const std::filesystem::path candidate = std::filesystem::path(std::string(dir)) / "ptxas";
      if (std::filesystem::exists(candidate)) return candidate.string();
    }
  }
  if (std::filesystem::exists("/usr/local/cuda/bin/ptxas")) return std::string("/usr/local/cuda/bin/ptxas");
  return absl::NotFoundError(
      "compile: --out_cubin needs ptxas (the CUDA toolkit's PTX assembler): not found as $STRATA_PTXAS, on PATH, or at "
      "/usr/local/cuda/bin/ptxas; write PTX only with --out_ptx, or set STRATA_PTXAS");
}

absl::Status AssembleCubin(const std::string& ptx_path, const std::string& arch, const std::string& cubin_path) {
  absl::StatusOr<std::string> ptxas = FindPtxas();
  if (!ptxas.ok()) return ptxas.status();
  const std::string command = absl::StrCat(ShellQuote(*ptxas), " -arch=", arch, " ", ShellQuote(ptx_path), " -o ",
                                           ShellQuote(cubin_path), " 2>&1");
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError("compile: cannot run ptxas");
  std::string output;
  char buffer[512];
  while (size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, n);
  if (::pclose(pipe) != 0) return absl::InternalError(absl::StrCat("compile: ptxas rejected '", ptx_path, "': ", output));
  return absl::OkStatus();
}

absl::Status CompileCuda(const ParsedArgs& args, const std::string& model_path, const std::vector<std::string>& feed_specs,
                         const std::vector<std::string>& fetches) {
  for (const char* flag : {"--emit", "--out", "--config", "--cpp_class", "--out_object", "--out_header", "--out_library",
                           "--target_cpu", "--weights", "--out_weights"}) {
    if (args.Has(flag)) return absl::InvalidArgumentError(absl::StrCat("compile: ", flag, " does not go with --target cuda"));
  }
  std::optional<std::string> out_ptx = args.Value("--out_ptx");
  if (!out_ptx || out_ptx->empty()) return absl::InvalidArgumentError("compile: --target cuda needs --out_ptx FILE");
  if (fetches.empty()) return absl::InvalidArgumentError("compile: nothing to compile: give at least one --fetch NAME");
  GpuCompileOptions options;
  options.cuda_arch = args.Value("--cuda_arch").value_or("sm_90");
  options.allow_tf32 = args.Has("--allow_tf32");
  if (absl::StatusOr<std::string> f = DefaultPtxFeatures(options.cuda_arch); !f.ok()) return f.status();

  absl::StatusOr<LoadedModel> model = LoadSpecialized(model_path, feed_specs, fetches);
  if (!model.ok()) return model.status();
  if (model->specialized.results.empty()) {
    return absl::InvalidArgumentError("compile: nothing to run on the GPU: every fetch is a feed or folds to a constant");
  }
  GpuCompileInfo info;
  absl::StatusOr<gpu::GpuProgram> program =
      CompileGpuProgram(model->specialized.MakeCompileRequest("main"), options, &info);
  if (!program.ok()) return program.status();
  if (absl::Status s = WriteBinaryFile(*out_ptx, program->ptx); !s.ok()) return s;
  if (std::optional<std::string> cubin = args.Value("--out_cubin")) {
    if (absl::Status s = AssembleCubin(*out_ptx, options.cuda_arch, *cubin); !s.ok()) return s;
  }
  if (!args.Has("--quiet")) {
    int launches = 0;
    for (const gpu::GpuStep& step : program->steps) launches += step.kind == gpu::GpuStep::Kind::kLaunch;
    size_t kernels = 0;
    for (size_t at = program->ptx.find(".entry "); at != std::string::npos; at = program->ptx.find(".entry ", at + 1)) ++kernels;
    int64_t buffer_bytes = 0;
    for (const gpu::GpuBuffer& b : program->buffers) buffer_bytes += b.bytes;
    std::printf("%s: %zu kernels, %d launches, %zu buffers (%lld bytes), PTX %zu bytes for %s, compiled in %.0f ms\n",
                out_ptx->c_str(), kernels, launches, program->buffers.size(), static_cast<long long>(buffer_bytes),
                program->ptx.size(), options.cuda_arch.c_str(), info.total_ms);
  }
  return absl::OkStatus();
}

// The AOT program for the signature: feeds, fetches and the specialized graph to compile.
struct AotPlan {
  std::unique_ptr<Graph> graph;
  tf::GraphDef def;
  SpecializedGraph specialized;
  AotProgram program;
};

absl::Status PlanAot(const std::string& model_path, const AotSignature& signature, AotPlan* plan) {
  if (signature.fetches.empty()) return absl::InvalidArgumentError("compile: nothing to compile: give at least one --fetch NAME");
  absl::StatusOr<tf::GraphDef> def = ReadModel(model_path);
  if (!def.ok()) return def.status();
  plan->def = *std::move(def);
  if (absl::Status s = CheckFrozen(plan->def, signature); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<Graph>> graph = ImportModel(plan->def, model_path);
  if (!graph.ok()) return graph.status();
  plan->graph = *std::move(graph);

  std::vector<std::pair<std::string, Tensor>> feeds;
  for (const AotFeedSpec& f : signature.feeds) {
    DType dtype = f.dtype;
    if (dtype == DT_INVALID) {  // from a config without a type: the graph's
      const size_t colon = f.tensor.find(':');
      const std::string node = f.tensor.substr(0, colon);
      int index = 0;
      if (colon != std::string::npos && !absl::SimpleAtoi(f.tensor.substr(colon + 1), &index)) index = -1;
      Node* n = plan->graph->FindNode(node);
      if (n == nullptr) return absl::InvalidArgumentError(absl::StrCat("compile: feed '", f.tensor, "': no node named '", node, "'"));
      if (index < 0 || index >= n->num_outputs()) {
        return absl::InvalidArgumentError(absl::StrCat("compile: feed '", f.tensor, "': node '", node, "' has ", n->num_outputs(), " outputs"));
      }
      dtype = BaseDType(Output(n, index).dtype());
    }
    absl::StatusOr<Tensor> value = Tensor::Create(dtype, f.shape);
    if (!value.ok()) return absl::InvalidArgumentError(absl::StrCat("compile: feed '", f.tensor, "': ", value.status().message()));
    feeds.emplace_back(f.tensor, *std::move(value));
  }
  std::vector<std::string> fetch_names;
  for (const AotFetchSpec& f : signature.fetches) fetch_names.push_back(f.tensor);

  absl::StatusOr<ResolvedRequest> request = ResolveRunRequest(*plan->graph, feeds, fetch_names, /*targets=*/{});
  if (!request.ok()) return request.status();
  absl::StatusOr<SpecializedGraph> specialized = SpecializeGraph(*plan->graph, plan->def, *request);
  if (!specialized.ok()) return specialized.status();
  plan->specialized = *std::move(specialized);
  const SpecializedGraph& sg = plan->specialized;

  AotProgram& p = plan->program;
  p.request.graph = sg.graph.get();
  p.request.args = sg.args;
  p.request.results = sg.results;
  p.request.name = "main";
  p.arg_feeds = sg.arg_feeds;
  p.constants = sg.constants;
  for (size_t i = 0; i < signature.feeds.size(); ++i) {
    const AotFeedSpec& f = signature.feeds[i];
    p.feeds.push_back({f.name.empty() ? SanitizeIdentifier(f.tensor) : f.name, request->feeds[i].name,
                       feeds[i].second.dtype(), f.shape});
  }
  for (size_t j = 0; j < signature.fetches.size(); ++j) {
    const AotFetchSpec& f = signature.fetches[j];
    const FetchSource& src = sg.fetch_sources[j];
    AotTensor t;
    t.name = f.name.empty() ? SanitizeIdentifier(f.tensor) : f.name;
    t.tensor = request->fetch_names[j];
    AotFetchSource source;
    source.index = src.index;
    if (src.kind == FetchSource::kFeed) {
      source.kind = AotFetchSource::kFeed;
      t.dtype = p.feeds[src.index].dtype;
      t.shape = p.feeds[src.index].shape;
    } else if (src.kind == FetchSource::kConstant) {
      source.kind = AotFetchSource::kConstant;
      t.dtype = sg.constants[src.index].dtype();
      t.shape = sg.constants[src.index].shape();
    } else {
      source.kind = AotFetchSource::kResult;
      t.dtype = BaseDType(sg.results[src.index].dtype());
      t.shape = sg.results[src.index].shape();
    }
    p.fetches.push_back(std::move(t));
    p.fetch_sources.push_back(source);
  }
  return absl::OkStatus();
}

std::string Describe(const std::vector<AotTensor>& tensors) {
  std::vector<std::string> parts;
  for (const AotTensor& t : tensors) parts.push_back(absl::StrCat(t.name, ":", DTypeName(t.dtype), t.shape.ToString()));
  return absl::StrJoin(parts, " ");
}

absl::Status CompileAhead(const ParsedArgs& args, const std::string& model_path, const std::vector<std::string>& feed_specs,
                          const std::vector<std::string>& fetches) {
  auto required = [&](const char* flag) -> absl::StatusOr<std::string> {
    std::optional<std::string> v = args.Value(flag);
    if (!v || v->empty()) return absl::InvalidArgumentError(absl::StrCat("compile: missing ", flag, " (or give --emit=mlir|llvm)"));
    return *v;
  };
  absl::StatusOr<std::string> cpp_class = required("--cpp_class");
  if (!cpp_class.ok()) return cpp_class.status();
  absl::StatusOr<std::string> out_object = required("--out_object");
  if (!out_object.ok()) return out_object.status();
  absl::StatusOr<std::string> out_header = required("--out_header");
  if (!out_header.ok()) return out_header.status();

  AotOptions options;
  options.cpp_class = *cpp_class;
  options.target_cpu = args.Value("--target_cpu").value_or("native");
  const std::string weights = args.Value("--weights").value_or("embed");
  if (weights == "external") {
    options.weights = AotWeights::kExternal;
    if (!args.Value("--out_weights")) return absl::InvalidArgumentError("compile: --weights external needs --out_weights FILE");
  } else if (weights != "embed") {
    return absl::InvalidArgumentError(absl::StrCat("compile: --weights expects embed or external, got '", weights, "'"));
  } else if (args.Value("--out_weights")) {
    return absl::InvalidArgumentError("compile: --out_weights needs --weights external");
  }

  AotSignature signature;
  if (std::optional<std::string> config = args.Value("--config")) {
    if (!feed_specs.empty() || !fetches.empty()) {
      return absl::InvalidArgumentError("compile: give the feeds and fetches either in --config or as --feed/--fetch, not both");
    }
    absl::StatusOr<AotSignature> read = ReadAotConfig(*config);
    if (!read.ok()) return read.status();
    signature = *std::move(read);
  } else {
    for (const std::string& spec : feed_specs) {
      absl::StatusOr<std::pair<std::string, Tensor>> feed = ParseFeedSpec(spec);
      if (!feed.ok()) return feed.status();
      signature.feeds.push_back({feed->first, "", feed->second.dtype(), feed->second.shape()});
    }
    for (const std::string& f : fetches) signature.fetches.push_back({f, ""});
  }

  AotPlan plan;
  if (absl::Status s = PlanAot(model_path, signature, &plan); !s.ok()) return s;
  options.provenance = absl::StrCat("Model: ", std::filesystem::path(model_path).filename().string(), "; feeds: ",
                                    Describe(plan.program.feeds), "; fetches: ", Describe(plan.program.fetches));
  absl::StatusOr<AotArtifact> artifact = CompileAot(plan.program, options);
  if (!artifact.ok()) return artifact.status();

  if (absl::Status s = WriteBinaryFile(*out_object, artifact->object); !s.ok()) return s;
  if (absl::Status s = WriteBinaryFile(*out_header, artifact->header); !s.ok()) return s;
  if (options.weights == AotWeights::kExternal) {
    if (absl::Status s = WriteBinaryFile(*args.Value("--out_weights"), artifact->weights_file); !s.ok()) return s;
  }
  if (std::optional<std::string> library = args.Value("--out_library")) {
    if (absl::Status s = LinkSharedLibrary(*out_object, *library); !s.ok()) return s;
  }
  if (!args.Has("--quiet")) {
    const AotStats& t = artifact->stats;
    std::printf("%s: %s for %s (%d-bit vectors), object %zu bytes, weights %lld bytes (%s), arena %lld + %lld per thread, "
                "compiled in %.0f ms (lowering %.0f, pipeline %.0f, codegen %.0f, arena measurement %.0f)\n",
                options.cpp_class.c_str(), artifact->entry_symbol.c_str(), artifact->target_cpu.c_str(), artifact->vector_bits,
                artifact->object.size(), static_cast<long long>(artifact->weights_bytes),
                options.weights == AotWeights::kExternal ? "external" : "embedded",
                static_cast<long long>(artifact->main_arena_bytes), static_cast<long long>(artifact->chunk_arena_bytes),
                t.total_ms, t.lower_ms, t.pipeline_ms, t.codegen_ms, t.measure_ms);
  }
  return absl::OkStatus();
}

absl::Status RunCompile(const std::vector<std::string>& raw_args) {
  std::vector<std::string> feed_specs, fetches, rest;
  if (absl::Status s = ExtractRepeated(raw_args, &feed_specs, &fetches, &rest); !s.ok()) return s;
  absl::StatusOr<ParsedArgs> args = ParseArgs("compile", rest,
                                              {{{"--emit"}, true},
                                               {{"--out", "-o"}, true},
                                               {{"--config"}, true},
                                               {{"--cpp_class"}, true},
                                               {{"--out_object"}, true},
                                               {{"--out_header"}, true},
                                               {{"--out_library"}, true},
                                               {{"--target_cpu"}, true},
                                               {{"--weights"}, true},
                                               {{"--out_weights"}, true},
                                               {{"--target"}, true},
                                               {{"--cuda_arch"}, true},
                                               {{"--out_ptx"}, true},
                                               {{"--out_cubin"}, true},
                                               {{"--allow_tf32"}, false},
                                               {{"--quiet"}, false}});
  if (!args.ok()) return args.status();
  if (args->help) {
    std::fputs(kUsage, stdout);
    return absl::OkStatus();
  }
  if (absl::Status s = ExpectPositional("compile", *args, {"MODEL"}); !s.ok()) return s;
  const std::string& model_path = args->positional[0];
  const std::string target = args->Value("--target").value_or("cpu");
  if (target == "cuda") return CompileCuda(*args, model_path, feed_specs, fetches);
  if (target != "cpu") return absl::InvalidArgumentError(absl::StrCat("compile: --target expects cpu or cuda, got '", target, "'"));
  for (const char* flag : {"--cuda_arch", "--out_ptx", "--out_cubin", "--allow_tf32"}) {
    if (args->Has(flag)) return absl::InvalidArgumentError(absl::StrCat("compile: ", flag, " needs --target cuda"));
  }
  if (args->Value("--emit")) {
    for (const char* flag : {"--config", "--cpp_class", "--out_object", "--out_header", "--out_library", "--target_cpu",
                             "--weights", "--out_weights"}) {
      if (args->Has(flag)) return absl::InvalidArgumentError(absl::StrCat("compile: ", flag, " does not go with --emit"));
    }
    return EmitIr(*args, model_path, feed_specs, fetches);
  }
  if (args->Has("--out")) return absl::InvalidArgumentError("compile: -o/--out goes with --emit; use --out_object and --out_header");
  if (!args->Has("--cpp_class") && !args->Has("--out_object") && !args->Has("--out_header")) {
    return absl::InvalidArgumentError("compile: missing --emit=mlir|llvm, or --cpp_class/--out_object/--out_header to compile ahead of time");
  }
  return CompileAhead(*args, model_path, feed_specs, fetches);
}

}  // namespace

const Verb kCompileVerb = {"compile", "compile a model ahead of time (object + header), or print its MLIR or LLVM IR", kUsage,
                           RunCompile};

}  // namespace strata::cli
