// strata's Keras-style API: include this one header.
//
//   #include "frontends/keras/keras.h"
//   namespace keras = strata::keras;
//   keras::Sequential model({keras::layers::InputLayer({28, 28, 1}),
//                            keras::layers::Conv2D(32, {3, 3}, {.activation = "relu"}),
//                            keras::layers::Flatten(),
//                            keras::layers::Dense(10, {.activation = "softmax"})});
//   model.Compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
//   model.Fit(x_train, y_train, {.epochs = 5, .batch_size = 64});
//
// See docs/keras.md.
#pragma once

#include "frontends/cc/ops.h"  // custom layers build ops in Call
#include "frontends/keras/activations.h"
#include "frontends/keras/callbacks.h"
#include "frontends/keras/conv_layers.h"
#include "frontends/keras/core_layers.h"
#include "frontends/keras/initializers.h"
#include "frontends/keras/layer.h"
#include "frontends/keras/logs.h"
#include "frontends/keras/losses.h"
#include "frontends/keras/merge_layers.h"
#include "frontends/keras/metrics.h"
#include "frontends/keras/model.h"
#include "frontends/keras/normalization.h"
#include "frontends/keras/optimizers.h"
#include "frontends/keras/recurrent.h"
#include "frontends/keras/regularizers.h"
