// Weight regularizers (tf.keras.regularizers): the penalty l1 * sum|w| + l2 * sum(w^2) of a
// layer's kernel or bias is added to the training loss.
#pragma once

namespace strata::keras {

struct Regularizer {
  float l1 = 0.0f;
  float l2 = 0.0f;
  bool active() const { return l1 != 0.0f || l2 != 0.0f; }
};

namespace regularizers {
inline Regularizer L1(float l1 = 0.01f) { return Regularizer{l1, 0.0f}; }
inline Regularizer L2(float l2 = 0.01f) { return Regularizer{0.0f, l2}; }
inline Regularizer L1L2(float l1 = 0.01f, float l2 = 0.01f) { return Regularizer{l1, l2}; }
}  // namespace regularizers

}  // namespace strata::keras
