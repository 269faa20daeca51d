// fashion_classify: the Keras-style Fashion-MNIST model, compiled ahead of time into
// demo::FashionClassifier (CMakeLists.txt), classifies the 10000 test images. Nothing of strata
// is linked but libstrata_aot_runtime; the images are read here (gzipped IDX, as Debian ships them).
//
//   fashion_classify [DATA_DIR]     (default /usr/share/datasets/fashion-mnist)
//
// Prints the first predictions, the accuracy, and the time per image; exit code 1 on an error.
#include <zlib.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "fashion_model.h"  // generated: demo::FashionClassifier

namespace {

// Reads a gzipped (or plain: gzread passes it through) IDX file of unsigned bytes; returns its
// dims, or an empty vector after printing what was wrong.
std::vector<uint32_t> ReadIdx(const std::string& path, std::vector<uint8_t>* data) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) {
    std::fprintf(stderr, "error: cannot open %s\n", path.c_str());
    return {};
  }
  unsigned char header[4];
  std::vector<uint32_t> dims;
  if (gzread(f, header, 4) == 4 && header[0] == 0 && header[1] == 0 && header[2] == 0x08 && header[3] >= 1 &&
      header[3] <= 3) {
    size_t count = 1;
    for (int i = 0; i < header[3]; ++i) {
      unsigned char d[4];
      if (gzread(f, d, 4) != 4) break;
      dims.push_back(uint32_t{d[0]} << 24 | uint32_t{d[1]} << 16 | uint32_t{d[2]} << 8 | d[3]);
      count *= dims.back();
    }
    data->resize(count);
    if (dims.size() != header[3] || gzread(f, data->data(), static_cast<unsigned>(count)) != static_cast<int>(count)) {
      dims.clear();
    }
  }
  gzclose(f);
  if (dims.empty()) std::fprintf(stderr, "error: %s is not a complete IDX file of unsigned bytes\n", path.c_str());
  return dims;
}

const char* const kClasses[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
  std::vector<uint8_t> images, labels;
  std::vector<uint32_t> image_dims = ReadIdx(dir + "/t10k-images-idx3-ubyte.gz", &images);
  std::vector<uint32_t> label_dims = ReadIdx(dir + "/t10k-labels-idx1-ubyte.gz", &labels);
  if (image_dims.size() != 3 || label_dims.size() != 1 || image_dims[0] != label_dims[0] ||
      image_dims[1] * image_dims[2] != 784) {
    std::fprintf(stderr, "error: expected [n, 28, 28] test images and [n] labels in %s\n", dir.c_str());
    return 1;
  }

  demo::FashionClassifier model;  // buffers and arena allocated once; Run() allocates nothing
  constexpr int64_t kBatch = FASHION_BATCH;  // the batch the model was compiled for (CMakeLists.txt)
  const int64_t n = image_dims[0] / kBatch * kBatch;
  int64_t correct = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t first = 0; first < n; first += kBatch) {
    float* x = static_cast<float*>(model.arg_data(0));
    for (int64_t i = 0; i < kBatch * 784; ++i) x[i] = static_cast<float>(images[first * 784 + i]) / 255.0f;
    if (!model.Run()) {
      std::fprintf(stderr, "error: %s\n", model.error_msg());
      return 1;
    }
    const float* probs = static_cast<const float*>(model.result_data(0));
    for (int64_t r = 0; r < kBatch; ++r) {
      int best = 0;
      for (int c = 1; c < 10; ++c) {
        if (probs[r * 10 + c] > probs[r * 10 + best]) best = c;
      }
      correct += best == labels[first + r];
      if (first + r < 5) {
        std::printf("test image %lld: %-11s (p = %.3f), label %s\n", static_cast<long long>(first + r), kClasses[best],
                    probs[r * 10 + best], kClasses[labels[first + r]]);
      }
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("AOT-compiled model: %lld test images in %.3f s (%.1f us per image, batch %lld)\n",
              static_cast<long long>(n), seconds, 1e6 * seconds / static_cast<double>(n), static_cast<long long>(kBatch));
  std::printf("aot_test_accuracy=%.4f\n", static_cast<double>(correct) / static_cast<double>(n));
  return 0;
}
