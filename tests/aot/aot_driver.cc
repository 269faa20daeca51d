// A generic program around any AOT header, compiled by aot_cli_test at test time with the system
// compiler, the way a user outside CMake would:
//   c++ -std=c++17 -DAOT_HEADER='"model.h"' -DAOT_CLASS=ns::Model -I<strata source> -I<dir>
//       aot_driver.cc model.o libstrata_aot_runtime.a -o driver      (or: ... -L. -lmodel)
//   driver DIR [WEIGHTS]
// reads DIR/arg<i>.bin (raw bytes) into argument i, runs the model, writes DIR/result<i>.bin.
#include <cstdio>
#include <string>

#include AOT_HEADER

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: driver DIR [WEIGHTS]\n");
    return 2;
  }
  const std::string dir = argv[1];
  AOT_CLASS model;
  if (AOT_CLASS::kExternalWeights && !model.instance().LoadWeights(argc > 2 ? argv[2] : "")) {
    std::fprintf(stderr, "%s\n", model.error_msg());
    return 3;
  }
  const strata::aot::ModelSpec& spec = AOT_CLASS::Spec();
  for (int i = 0; i < spec.num_args; ++i) {
    const std::string path = dir + "/arg" + std::to_string(i) + ".bin";
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr || std::fread(model.arg_data(i), 1, spec.arg_bytes[i], f) != static_cast<size_t>(spec.arg_bytes[i])) {
      std::fprintf(stderr, "cannot read %s\n", path.c_str());
      return 4;
    }
    std::fclose(f);
  }
  if (!model.Run()) {
    std::fprintf(stderr, "%s\n", model.error_msg());
    return 5;
  }
  for (int i = 0; i < spec.num_results; ++i) {
    const std::string path = dir + "/result" + std::to_string(i) + ".bin";
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) return 6;
    std::fwrite(model.result_data(i), 1, spec.result_bytes[i], f);
    std::fclose(f);
  }
  return 0;
}
