// frontends/datasets: the IDX reader on hand-written files (plain and gzip, every element type,
// big-endian values) and its errors, the Fashion-MNIST loader (on a tiny synthetic directory and,
// when Debian's package is installed, on the real files), and the batch helpers.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "frontends/datasets/datasets.h"

namespace strata::datasets {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("strata_datasets_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

void WriteBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void WriteGzip(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(f);
}

// An IDX header: magic 0 0 <type> <rank>, then big-endian dims.
std::vector<uint8_t> Header(uint8_t type, const std::vector<uint32_t>& dims) {
  std::vector<uint8_t> b = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(d >> shift));
  }
  return b;
}

std::vector<uint8_t> Concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(ReadIdx, Uint8MatrixPlainAndGzipped) {
  const std::string dir = TempDir("u8");
  const std::vector<uint8_t> file = Concat(Header(0x08, {2, 3}), {1, 2, 3, 250, 251, 252});
  WriteBytes(dir + "/plain", file);
  WriteGzip(dir + "/packed.gz", file);
  for (std::string name : {"plain", "packed.gz"}) {
    absl::StatusOr<Tensor> t = ReadIdx(dir + "/" + name);
    ASSERT_TRUE(t.ok()) << name << ": " << t.status();
    EXPECT_EQ(t->dtype(), DT_UINT8);
    EXPECT_EQ(t->shape(), Shape({2, 3}));
    auto v = t->flat<uint8_t>();
    EXPECT_EQ(std::vector<uint8_t>(v.begin(), v.end()), (std::vector<uint8_t>{1, 2, 3, 250, 251, 252}));
  }
}

TEST(ReadIdx, BigEndianInt32AndFloat32) {
  const std::string dir = TempDir("wide");
  // int32 values 1 and -2 (0xFFFFFFFE); float32 1.5 (0x3FC00000).
  WriteBytes(dir + "/i32", Concat(Header(0x0C, {2}), {0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFE}));
  WriteBytes(dir + "/f32", Concat(Header(0x0D, {1}), {0x3F, 0xC0, 0, 0}));
  absl::StatusOr<Tensor> i = ReadIdx(dir + "/i32");
  ASSERT_TRUE(i.ok()) << i.status();
  EXPECT_EQ(i->flat<int32_t>()[0], 1);
  EXPECT_EQ(i->flat<int32_t>()[1], -2);
  absl::StatusOr<Tensor> f = ReadIdx(dir + "/f32");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->dtype(), DT_FLOAT);
  EXPECT_EQ(f->flat<float>()[0], 1.5f);
}

TEST(ReadIdx, ErrorsNameTheFileAndTheProblem) {
  const std::string dir = TempDir("bad");
  struct Case {
    std::string name;
    std::vector<uint8_t> bytes;
    absl::StatusCode code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"magic", {1, 2, 3, 4, 5, 6, 7, 8}, absl::StatusCode::kInvalidArgument, "bad magic"},
      {"type", Concat(Header(0x07, {1}), {0}), absl::StatusCode::kInvalidArgument, "unknown IDX element type 0x7"},
      {"header", {0, 0, 8, 2, 0, 0}, absl::StatusCode::kDataLoss, "truncated IDX header"},
      {"short", Concat(Header(0x08, {4}), {1, 2}), absl::StatusCode::kDataLoss, "promises 4 data bytes"},
  };
  for (const Case& c : cases) {
    WriteBytes(dir + "/" + c.name, c.bytes);
    absl::StatusOr<Tensor> t = ReadIdx(dir + "/" + c.name);
    ASSERT_FALSE(t.ok()) << c.name;
    EXPECT_EQ(t.status().code(), c.code) << c.name << ": " << t.status();
    EXPECT_NE(std::string(t.status().message()).find(c.says), std::string::npos) << t.status();
    EXPECT_NE(std::string(t.status().message()).find(c.name), std::string::npos) << "the file is not named: " << t.status();
  }
  absl::StatusOr<Tensor> missing = ReadIdx(dir + "/nothing_here");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(std::string(missing.status().message()).find("nothing_here"), std::string::npos) << missing.status();
  // A gzip stream cut in half.
  std::vector<uint8_t> big = Header(0x08, {4096});
  for (int i = 0; i < 4096; ++i) big.push_back(static_cast<uint8_t>(i * 7));
  WriteGzip(dir + "/cut.gz", big);
  fs::resize_file(dir + "/cut.gz", fs::file_size(dir + "/cut.gz") / 2);
  absl::StatusOr<Tensor> cut = ReadIdx(dir + "/cut.gz");
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(std::string(cut.status().message()).find("cut.gz"), std::string::npos) << cut.status();
}

TEST(FashionMnist, LoadsASyntheticDirectoryAndKerasSpelling) {
  const std::string dir = TempDir("fashion");
  auto images = [](uint32_t n) {
    std::vector<uint8_t> b = Header(0x08, {n, 28, 28});
    for (uint32_t i = 0; i < n * 784; ++i) b.push_back(static_cast<uint8_t>(i % 256));
    return b;
  };
  WriteGzip(dir + "/train-images-idx3-ubyte.gz", images(3));
  WriteGzip(dir + "/train-labels-idx1-ubyte.gz", Concat(Header(0x08, {3}), {9, 0, 4}));
  WriteBytes(dir + "/t10k-images-idx3-ubyte", images(2));  // plain files are found too
  WriteBytes(dir + "/t10k-labels-idx1-ubyte", Concat(Header(0x08, {2}), {1, 2}));
  absl::StatusOr<FashionMnist> data = fashion_mnist::load_data(dir);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->train.images.shape(), Shape({3, 28, 28}));
  EXPECT_EQ(data->test.labels.flat<uint8_t>()[1], 2);
  absl::StatusOr<Tensor> x = ImagesToFloat(data->train.images, {-1, 784});
  ASSERT_TRUE(x.ok()) << x.status();
  EXPECT_EQ(x->shape(), Shape({3, 784}));
  EXPECT_FLOAT_EQ(x->flat<float>()[255], 1.0f);
  EXPECT_FLOAT_EQ(x->flat<float>()[51], 0.2f);

  // Labels and images that disagree on the count.
  WriteBytes(dir + "/t10k-labels-idx1-ubyte", Concat(Header(0x08, {5}), {1, 2, 3, 4, 5}));
  absl::StatusOr<FashionMnist> bad = LoadFashionMnist(dir);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("t10k"), std::string::npos) << bad.status();

  absl::StatusOr<FashionMnist> none = LoadFashionMnist(dir + "/missing");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(none.status().message()).find("dataset-fashion-mnist"), std::string::npos) << none.status();
}

// Debian's files, when installed: the known sizes, the balanced classes and the first labels.
TEST(FashionMnist, DebiansFiles) {
  if (!fs::exists(std::string(kFashionMnistDir) + "/train-labels-idx1-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed at " << kFashionMnistDir;
  }
  absl::StatusOr<FashionMnist> data = fashion_mnist::load_data(kFashionMnistDir);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->train.images.shape(), Shape({60000, 28, 28}));
  EXPECT_EQ(data->test.images.shape(), Shape({10000, 28, 28}));
  auto labels = data->train.labels.flat<uint8_t>();
  EXPECT_EQ(std::vector<uint8_t>(labels.begin(), labels.begin() + 5), (std::vector<uint8_t>{9, 0, 0, 3, 0}));
  std::vector<int> count(10);
  for (uint8_t l : labels) ++count[l];
  EXPECT_EQ(count, std::vector<int>(10, 6000));
  int64_t first_image_sum = 0;
  for (int i = 0; i < 784; ++i) first_image_sum += data->train.images.flat<uint8_t>()[i];
  EXPECT_EQ(first_image_sum, 76247);
}

TEST(BatchHelpers, OneHotGatherSliceAndTheirErrors) {
  Tensor labels = Tensor::FromVector<uint8_t>({2, 0}, Shape({2}));
  absl::StatusOr<Tensor> one_hot = OneHot(labels, 3);
  ASSERT_TRUE(one_hot.ok()) << one_hot.status();
  auto v = one_hot->flat<float>();
  EXPECT_EQ(std::vector<float>(v.begin(), v.end()), (std::vector<float>{0, 0, 1, 1, 0, 0}));
  absl::StatusOr<Tensor> too_big = OneHot(labels, 2);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kInvalidArgument);

  Tensor rows = Tensor::FromVector<int32_t>({0, 1, 10, 11, 20, 21}, Shape({3, 2}));
  absl::StatusOr<Tensor> picked = GatherRows(rows, {2, 0});
  ASSERT_TRUE(picked.ok()) << picked.status();
  auto p = picked->flat<int32_t>();
  EXPECT_EQ(std::vector<int32_t>(p.begin(), p.end()), (std::vector<int32_t>{20, 21, 0, 1}));
  EXPECT_FALSE(GatherRows(rows, {3}).ok());
  EXPECT_FALSE(GatherRows(rows, {-1}).ok());
  EXPECT_FALSE(SliceRows(rows, 2, 4).ok());
}

TEST(BatchHelpers, TrainValidationSplitHoldsOutTheLastRows) {
  std::vector<float> xs;
  std::vector<int32_t> ys;
  for (int i = 0; i < 10; ++i) xs.push_back(static_cast<float>(i)), xs.push_back(-static_cast<float>(i)), ys.push_back(i);
  Tensor x = Tensor::FromVector<float>(xs, Shape({10, 2}));
  Tensor y = Tensor::FromVector<int32_t>(ys, Shape({10}));
  absl::StatusOr<TrainValidation> split = TrainValidationSplit(x, y, 0.25);  // floor(2.5) = 2 held out
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->x_train.shape(), Shape({8, 2}));
  EXPECT_EQ(split->x_val.shape(), Shape({2, 2}));
  EXPECT_EQ(split->y_val.flat<int32_t>()[0], 8);
  EXPECT_EQ(split->x_val.flat<float>()[3], -9.0f);
  EXPECT_EQ(split->y_train.flat<int32_t>()[7], 7);
  absl::StatusOr<TrainValidation> none = TrainValidationSplit(x, y, 0.0);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->x_val.shape(), Shape({0, 2}));

  EXPECT_FALSE(TrainValidationSplit(x, y, 1.0).ok());
  EXPECT_FALSE(TrainValidationSplit(x, y, -0.1).ok());
  absl::StatusOr<TrainValidation> mismatch = TrainValidationSplit(x, Tensor::FromVector<int32_t>({1}, Shape({1})), 0.5);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(std::string(mismatch.status().message()).find("same number of rows"), std::string::npos);
}

}  // namespace
}  // namespace strata::datasets
