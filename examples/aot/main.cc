// examples/aot: a program that links a model compiled ahead of time. CMakeLists.txt compiles
// classifier.pbtxt at build time with strata_aot_library() into the class example::Classifier;
// this program needs nothing of strata at run time but libstrata_aot_runtime.
//
//   aot_example [f0 f1 f2 f3]      classifies one or more feature vectors (4 features each)
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "classifier_model.h"  // generated: example::Classifier

int main(int argc, char** argv) {
  std::vector<float> features = {5.1f, 3.5f, 1.4f, 0.2f};
  if (argc > 1) {
    if ((argc - 1) % 4 != 0) {
      std::fprintf(stderr, "usage: aot_example [f0 f1 f2 f3 ...] (4 features per example)\n");
      return 2;
    }
    features.clear();
    for (int i = 1; i < argc; ++i) features.push_back(std::strtof(argv[i], nullptr));
  }
  static const char* const kClasses[] = {"setosa", "versicolor", "virginica"};

  example::Classifier model;  // allocates its buffers and arena once; Run() allocates nothing
  static_assert(example::Classifier::kArg_x_shape[1] == 4, "the model takes 4 features");
  for (size_t row = 0; row < features.size() / 4; ++row) {
    for (int f = 0; f < 4; ++f) model.arg_x(0, f) = features[row * 4 + f];
    if (!model.Run()) {
      std::fprintf(stderr, "error: %s\n", model.error_msg());
      return 1;
    }
    int best = 0;
    for (int c = 1; c < 3; ++c) {
      if (model.result_probs(0, c) > model.result_probs(0, best)) best = c;
    }
    std::printf("[%g, %g, %g, %g] -> %s (p = %.3f %.3f %.3f)\n", features[row * 4], features[row * 4 + 1],
                features[row * 4 + 2], features[row * 4 + 3], kClasses[best], model.result_probs(0, 0),
                model.result_probs(0, 1), model.result_probs(0, 2));
  }
  return 0;
}
