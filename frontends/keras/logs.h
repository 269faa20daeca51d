// Logs: named scalars in insertion order ("loss", "accuracy", "val_loss", ...), what fit hands
// to callbacks and evaluate returns; History: one value per epoch for each name.
#pragma once

#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace strata::keras {

class Logs {
 public:
  void Set(const std::string& name, double value) {
    for (auto& [n, v] : values_) {
      if (n == name) {
        v = value;
        return;
      }
    }
    values_.emplace_back(name, value);
  }
  std::optional<double> Get(const std::string& name) const {
    for (const auto& [n, v] : values_) {
      if (n == name) return v;
    }
    return std::nullopt;
  }
  // The value, or NaN when absent.
  double operator[](const std::string& name) const { return Get(name).value_or(std::nan("")); }
  const std::vector<std::pair<std::string, double>>& values() const { return values_; }
  bool empty() const { return values_.empty(); }

 private:
  std::vector<std::pair<std::string, double>> values_;
};

struct History {
  std::vector<int> epoch;
  std::map<std::string, std::vector<double>> history;
};

}  // namespace strata::keras
