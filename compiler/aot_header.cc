// Generates the AOT header (see aot_header.h).
#include "compiler/aot_header.h"

#include <cinttypes>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace strata {

namespace {

absl::StatusOr<std::string> CppElementType(const AotTensor& t) {
  switch (t.dtype) {
    case DT_FLOAT: return std::string("float");
    case DT_DOUBLE: return std::string("double");
    case DT_INT8: return std::string("int8_t");
    case DT_INT16: return std::string("int16_t");
    case DT_INT32: return std::string("int32_t");
    case DT_INT64: return std::string("int64_t");
    case DT_UINT8: return std::string("uint8_t");
    case DT_UINT16: return std::string("uint16_t");
    case DT_UINT32: return std::string("uint32_t");
    case DT_UINT64: return std::string("uint64_t");
    case DT_BOOL: return std::string("bool");
    case DT_HALF:
    case DT_BFLOAT16: return std::string("uint16_t");  // the raw 16 bits
    default:
      return absl::UnimplementedError(
          absl::StrCat("AOT: tensor '", t.tensor, "' is ", DTypeName(t.dtype), ", which the generated header cannot hold"));
  }
}

// The plan's {offset, bytes} pairs, eight to a line ({0, 0} alone for an empty plan).
std::string ArenaPlanRows(const std::vector<std::pair<uint64_t, uint64_t>>& plan) {
  if (plan.empty()) return "{0, 0}";
  std::string out;
  for (size_t i = 0; i < plan.size(); ++i) {
    if (i > 0) out += i % 8 == 0 ? ",\n        " : ", ";
    absl::StrAppend(&out, "{", plan[i].first, ", ", plan[i].second, "}");
  }
  return out;
}

std::string CString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\%03o", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string OneLine(const std::string& s) { return absl::StrReplaceAll(s, {{"\n", " "}, {"\r", " "}}); }

std::string Describe(const AotTensor& t) { return absl::StrCat("\"", t.tensor, "\" ", DTypeName(t.dtype), t.shape.ToString()); }

int64_t ByteSize(const AotTensor& t) { return t.shape.num_elements() * static_cast<int64_t>(DTypeSize(t.dtype)); }

std::string ArrayOrZero(const std::vector<std::string>& items) { return items.empty() ? "0" : absl::StrJoin(items, ", "); }

// Accessors and constants for one feed ("arg") or fetch ("result").
absl::StatusOr<std::string> TensorMembers(const AotTensor& t, int index, bool is_arg) {
  absl::StatusOr<std::string> type = CppElementType(t);
  if (!type.ok()) return type.status();
  const std::string kind = is_arg ? "arg" : "result";
  const std::string k = absl::StrCat(is_arg ? "kArg_" : "kResult_", t.name);
  const std::string f = absl::StrCat(kind, "_", t.name);
  const int rank = t.shape.rank();
  std::vector<std::string> dims, params, terms;
  int64_t stride = 1;
  std::vector<int64_t> strides(rank, 1);
  for (int d = rank - 1; d >= 0; --d) {
    strides[d] = stride;
    stride *= std::max<int64_t>(t.shape.dim(d), 1);
  }
  for (int d = 0; d < rank; ++d) {
    dims.push_back(absl::StrCat(t.shape.dim(d)));
    params.push_back(absl::StrCat("int64_t i", d));
    terms.push_back(strides[d] == 1 ? absl::StrCat("i", d) : absl::StrCat("i", d, " * ", strides[d]));
  }
  const std::string flat = terms.empty() ? "0" : absl::StrJoin(terms, " + ");
  const std::string p = absl::StrJoin(params, ", ");
  std::string s = absl::StrCat("  // ", kind, " ", index, ": ", Describe(t), "\n");
  absl::StrAppend(&s, "  static constexpr int ", k, " = ", index, ";\n");
  absl::StrAppend(&s, "  static constexpr int ", k, "_rank = ", rank, ";\n");
  absl::StrAppend(&s, "  static constexpr std::array<int64_t, ", rank, "> ", k, "_shape = {", absl::StrJoin(dims, ", "), "};\n");
  absl::StrAppend(&s, "  static constexpr int64_t ", k, "_size = ", t.shape.num_elements(), ";  // elements\n");
  absl::StrAppend(&s, "  static constexpr int64_t ", k, "_bytes = ", ByteSize(t), ";\n");
  absl::StrAppend(&s, "  ", *type, "* ", f, "_data() { return static_cast<", *type, "*>(instance_.", kind, "_data(", index, ")); }\n");
  absl::StrAppend(&s, "  const ", *type, "* ", f, "_data() const { return static_cast<const ", *type, "*>(instance_.", kind,
                  "_data(", index, ")); }\n");
  absl::StrAppend(&s, "  ", *type, "& ", f, "(", p, ") { return ", f, "_data()[", flat, "]; }\n");
  absl::StrAppend(&s, "  ", *type, " ", f, "(", p, ") const { return ", f, "_data()[", flat, "]; }\n");
  if (is_arg) {
    absl::StrAppend(&s, "  // Reads this argument from `data` (", ByteSize(t),
                    " bytes, kept alive by the caller while Run runs)\n  // instead of the instance's buffer.\n");
    absl::StrAppend(&s, "  void set_", f, "_data(const void* data) { instance_.set_arg_data(", index, ", data); }\n");
  }
  return s + "\n";
}

}  // namespace

absl::StatusOr<std::string> GenerateAotHeader(const AotHeaderInfo& info) {
  std::string qualified = absl::StrJoin(info.namespaces, "::");
  if (!qualified.empty()) qualified += "::";
  qualified += info.class_name;

  std::string members;
  for (size_t i = 0; i < info.args.size(); ++i) {
    absl::StatusOr<std::string> m = TensorMembers(info.args[i], static_cast<int>(i), /*is_arg=*/true);
    if (!m.ok()) return m.status();
    members += *m;
  }
  for (size_t i = 0; i < info.results.size(); ++i) {
    absl::StatusOr<std::string> m = TensorMembers(info.results[i], static_cast<int>(i), /*is_arg=*/false);
    if (!m.ok()) return m.status();
    members += *m;
  }

  std::vector<std::string> arg_bytes, arg_names, result_bytes, result_names, checks;
  for (const AotTensor& t : info.args) {
    arg_bytes.push_back(absl::StrCat(ByteSize(t)));
    arg_names.push_back(CString(t.name));
  }
  for (const AotTensor& t : info.results) {
    result_bytes.push_back(absl::StrCat(ByteSize(t)));
    result_names.push_back(CString(t.name));
  }
  for (const std::string& m : info.check_messages) checks.push_back(CString(m));
  char checksum[32];
  std::snprintf(checksum, sizeof(checksum), "0x%016" PRIx64 "ULL", info.weights_checksum);

  std::string h;
  absl::StrAppend(&h, "// Generated by `strata compile` for ", qualified, ". Do not edit.\n");
  // One comment line per "; "-separated part of the provenance (model, feeds, fetches).
  if (!info.provenance.empty()) absl::StrAppend(&h, "// ", absl::StrReplaceAll(OneLine(info.provenance), {{"; ", "\n// "}}), "\n");
  absl::StrAppend(&h, "// Target CPU: ", info.target_cpu, " (code tiled for ", info.vector_bits, "-bit vectors). Weights: ",
                  info.external_weights ? "external file" : "embedded in the object", ", ", info.weights_bytes, " bytes.\n");
  absl::StrAppend(&h, R"(//
//   )", qualified, R"( model;            // one instance per thread; instances run concurrently
//   (fill model.arg_<name>_data(), or point set_arg_<name>_data() at your data)
//   if (!model.Run()) { /* model.error_msg() says why */ }
//   (read model.result_<name>_data())
//
// Link the object file and libstrata_aot_runtime (CMake: strata_aot_library). Run() allocates
// nothing: arguments, results and the arena of intermediates are allocated by the constructor.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "runtime/aot/model.h"

// The entry point in the object (runtime/aot/abi.h).
extern "C" int )", info.entry_symbol,
                  R"((const void* const* args, void* const* results, const void* weights,
                      void* scratch, int64_t* bad_value);

)");
  for (const std::string& ns : info.namespaces) absl::StrAppend(&h, "namespace ", ns, " {\n");
  if (!info.namespaces.empty()) h += "\n";
  absl::StrAppend(&h, "class ", info.class_name, " {\n public:\n");
  absl::StrAppend(&h, "  static constexpr int kNumArgs = ", info.args.size(), ";\n");
  absl::StrAppend(&h, "  static constexpr int kNumResults = ", info.results.size(), ";\n");
  absl::StrAppend(&h, "  // The arena of intermediates, planned at compile time: the main region, plus one chunk\n"
                      "  // region per thread that runs parallel loops (the caller and each pool worker).\n");
  absl::StrAppend(&h, "  static constexpr int64_t kArenaBytes = ", info.main_arena_bytes, ";\n");
  absl::StrAppend(&h, "  static constexpr int64_t kChunkArenaBytes = ", info.chunk_arena_bytes, ";\n");
  absl::StrAppend(&h, "  static constexpr int64_t ArenaBytesFor(int pool_workers) { return kArenaBytes + kChunkArenaBytes * (1 + pool_workers); }\n");
  absl::StrAppend(&h, "  // The main region's blocks packed by lifetime (0: the region is a stack). As a stack it would\n"
                      "  // take kArenaStackBytes; with a slot per block, kArenaBlocksBytes.\n");
  absl::StrAppend(&h, "  static constexpr uint64_t kArenaPlannedBlocks = ", info.arena_plan.size(), ";\n");
  absl::StrAppend(&h, "  static constexpr int64_t kArenaStackBytes = ", info.stack_main_arena_bytes, ";\n");
  absl::StrAppend(&h, "  static constexpr int64_t kArenaBlocksBytes = ", info.sum_main_arena_bytes, ";\n");
  absl::StrAppend(&h, "  static constexpr int64_t kScratchBytes = ", info.scratch_bytes, ";\n");
  absl::StrAppend(&h, "  static constexpr bool kExternalWeights = ", info.external_weights ? "true" : "false", ";\n");
  absl::StrAppend(&h, "  static constexpr int64_t kWeightsBytes = ", info.weights_bytes, ";\n");
  absl::StrAppend(&h, "  static constexpr uint64_t kWeightsChecksum = ", checksum, ";\n\n");

  absl::StrAppend(&h, "  // pool: runs the model's parallel loops (null: on the calling thread).\n");
  absl::StrAppend(&h, "  explicit ", info.class_name, "(strata::aot::ThreadPoolInterface* pool = nullptr) : instance_(Spec(), pool) {}\n");
  absl::StrAppend(&h, "  ", info.class_name, "(const ", info.class_name, "&) = delete;\n");
  absl::StrAppend(&h, "  ", info.class_name, "& operator=(const ", info.class_name, "&) = delete;\n\n");
  absl::StrAppend(&h, "  // Grows the arena for the pool's threads (allocates; call it outside Run).\n");
  absl::StrAppend(&h, "  bool set_thread_pool(strata::aot::ThreadPoolInterface* pool) { return instance_.set_thread_pool(pool); }\n");
  if (info.external_weights) {
    absl::StrAppend(&h, R"(
  // The weights file written next to the object (--out_weights): mapped and verified (size and
  // checksum); a missing, truncated, corrupt or foreign file makes this return false with
  // error_msg() saying so. Instances may share one file: OpenWeights + set_weights.
  bool LoadWeights(const std::string& path) { return instance_.LoadWeights(path); }
  static std::shared_ptr<const strata::aot::WeightsFile> OpenWeights(const std::string& path, std::string* error) {
    return strata::aot::ModelInstance::OpenWeights(Spec(), path, error);
  }
  bool set_weights(std::shared_ptr<const strata::aot::WeightsFile> weights) { return instance_.set_weights(std::move(weights)); }
)");
  }
  absl::StrAppend(&h, R"(
  // Runs the model on the current arguments. False when a run-time check fails (e.g. a gather
  // index out of range) or the instance is unusable; error_msg() then names the problem.
  bool Run() { return instance_.Run(); }
  const char* error_msg() const { return instance_.error_msg(); }

  // By position, in feed and fetch order.
  void* arg_data(int index) { return instance_.arg_data(index); }
  void set_arg_data(int index, const void* data) { instance_.set_arg_data(index, data); }
  void* result_data(int index) { return instance_.result_data(index); }

)");
  h += members;
  absl::StrAppend(&h, R"(  strata::aot::ModelInstance& instance() { return instance_; }
  static const strata::aot::ModelSpec& Spec() {
    static constexpr int64_t kArgBytes[] = {)", ArrayOrZero(arg_bytes), R"(};
    static constexpr const char* kArgNames[] = {)", arg_names.empty() ? "nullptr" : absl::StrJoin(arg_names, ", "), R"(};
    static constexpr int64_t kResultBytes[] = {)", ArrayOrZero(result_bytes), R"(};
    static constexpr const char* kResultNames[] = {)", result_names.empty() ? "nullptr" : absl::StrJoin(result_names, ", "), R"(};
    static constexpr const char* kCheckMessages[] = {)", checks.empty() ? "nullptr" : absl::StrJoin(checks, ",\n        "), R"(};
    // {data offset, bytes} of each block of a run, in allocation order.
    static constexpr strata::aot::PlannedBlock kArenaPlan[] = {)", ArenaPlanRows(info.arena_plan), R"(};
    static const strata::aot::ModelSpec spec = {
        )", CString(qualified), ", &", info.entry_symbol, ",\n        kNumArgs, kArgBytes, kArgNames, kNumResults, kResultBytes, kResultNames,\n        kScratchBytes, kArenaBytes, kChunkArenaBytes, kExternalWeights, kWeightsBytes, kWeightsChecksum,\n        ",
                  info.check_messages.size(), R"(, kCheckMessages, kArenaPlannedBlocks, kArenaPlan};
    return spec;
  }

 private:
  strata::aot::ModelInstance instance_;
};
)");
  if (!info.namespaces.empty()) h += "\n";
  for (auto it = info.namespaces.rbegin(); it != info.namespaces.rend(); ++it) absl::StrAppend(&h, "}  // namespace ", *it, "\n");
  return h;
}

}  // namespace strata
