"""Build the stand-in models in tinyml_workloads/models/ (random weights, reference shapes).

Run from the repository root with a Python that has TensorFlow (the package itself never
imports it):

    pip install tensorflow-cpu            # e.g. in a separate venv
    python tinyml_workloads/tools/make_standin_models.py [--seed 0] [--out DIR] [--only kws01]

What it builds: the MLPerf Tiny reference architectures (kws01 DS-CNN small, vww01
MobileNetV1 0.25 at 96x96, ic01 ResNet-8 with 16/32/64 filters, ad01 the 640-128x4-8-128x4-640
FC autoencoder, ic02 the same ResNet-8 with 40/80/160 filters: 76.5 M MACs like
pretrainedResnet_large_int8.tflite, sww01 the streaming wake word's DS-TCN: four depthwise
(k x 1, valid) + pointwise blocks of 128/64/64/32 filters with kernels 3/5/10/15 over
30 x 1 x 40 log-mel frames, dense 3), with seeded **random, untrained weights**,
converted with full-int8 post-training quantisation on a seeded representative set drawn from
``synthetic_inputs``. The I/O types and shapes match the reference models, and the input
ranges are pinned so the input scale/zero point come out close to the references (kws
s~0.585 zp 83, vww s=1/255 zp -128, ic s=1 zp -128, ad s~0.391 zp 89, sww s~0.0037
zp -128). So that an untrained
network still behaves like a model, three data-driven calibration steps follow the random
initialisation (no training): every batch-norm layer gets the mean/variance of its input on
the representative set; the classifier's last dense layer is rescaled so its logits are
standardised per class (confident, varied predictions); the autoencoder's output layer is
shrunk and biased to the mean normal spectrum, so reconstruction error measures distance from
normal sound. Same seed, same TensorFlow version -> byte-identical files.

These models are for exercising the bench (latency, energy, DUT-vs-reference agreement);
their accuracy on real data is chance. For MLPerf Tiny numbers use the official models from
github.com/mlcommons/tiny (benchmark/training/*/trained_models/, e.g. kws_ref_model.tflite,
vww_96_int8.tflite, pretrainedResnet_quant.tflite, ad01_int8.tflite,
pretrainedResnet_large_int8.tflite, str_ww_ref_model.tflite) with ``--model``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

PACKAGE_DIR = Path(__file__).resolve().parents[1]
N_CALIBRATION = 200
LOGIT_STD = 3.0


def _load_inputs_module():
    """synthetic_inputs.py from this checkout (pure numpy), without installing the package."""
    spec = importlib.util.spec_from_file_location(
        "tinyjoule_synthetic_inputs", PACKAGE_DIR / "synthetic_inputs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


inputs = _load_inputs_module()


def _conv_bn_relu(layers, x, filters, kernel, strides=1):
    x = layers.Conv2D(filters, kernel, strides=strides, padding="same")(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def _depthwise_separable(layers, x, filters, strides=1):
    x = layers.DepthwiseConv2D(3, strides=strides, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    return _conv_bn_relu(layers, x, filters, 1)


def _classifier_head(layers, x, classes):
    x = layers.AveragePooling2D(pool_size=tuple(int(d) for d in x.shape[1:3]))(x)
    x = layers.Flatten()(x)
    x = layers.Dense(classes, name="logits")(x)
    return layers.Softmax()(x)


def build_kws(keras, batch_size):
    """DS-CNN small: conv 64 10x4/2, 4 x (depthwise 3x3 + pointwise 64), avg pool, dense 12."""
    layers = keras.layers
    inp = keras.Input((49, 10, 1), batch_size=batch_size)
    x = _conv_bn_relu(layers, inp, 64, (10, 4), strides=2)
    for _ in range(4):
        x = _depthwise_separable(layers, x, 64)
    return keras.Model(inp, _classifier_head(layers, x, 12))


def build_vww(keras, batch_size):
    """MobileNetV1, width 0.25, 96x96x3 -> 2."""
    layers = keras.layers
    inp = keras.Input((96, 96, 3), batch_size=batch_size)
    x = _conv_bn_relu(layers, inp, 8, 3, strides=2)
    blocks = [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2)]
    blocks += [(128, 1)] * 5 + [(256, 2), (256, 1)]
    for filters, strides in blocks:
        x = _depthwise_separable(layers, x, filters, strides)
    return keras.Model(inp, _classifier_head(layers, x, 2))


def build_ic(keras, batch_size, width=16):
    """ResNet-8 of MLPerf Tiny: width/2w/4w filters (16/32/64), three stacks, 32x32x3 -> 10."""
    layers = keras.layers
    inp = keras.Input((32, 32, 3), batch_size=batch_size)
    x = _conv_bn_relu(layers, inp, width, 3)
    for filters, strides in ((width, 1), (2 * width, 2), (4 * width, 2)):
        y = _conv_bn_relu(layers, x, filters, 3, strides)
        y = layers.Conv2D(filters, 3, padding="same")(y)
        y = layers.BatchNormalization()(y)
        if strides != 1:
            x = layers.Conv2D(filters, 1, strides=strides, padding="same")(x)
        x = layers.ReLU()(layers.Add()([x, y]))
    return keras.Model(inp, _classifier_head(layers, x, 10))


def build_ic02(keras, batch_size):
    """The large ResNet-8 of ic02: 40/80/160 filters (76.5 M MACs, about 480 k parameters,
    the size of pretrainedResnet_large_int8.tflite)."""
    return build_ic(keras, batch_size, width=40)


def build_sww(keras, batch_size):
    """DS-TCN of the streaming wake word: per block a (k x 1) depthwise conv (valid, no
    bias), a 1x1 conv, batch norm and ReLU; filters 128/64/64/32, kernels 3/5/10/15 take the
    30 frames down to 1; dense 3 (wake word, silence, other) and softmax."""
    layers = keras.layers
    inp = keras.Input((30, 1, 40), batch_size=batch_size)
    x = inp
    for filters, kernel in ((128, 3), (64, 5), (64, 10), (32, 15)):
        x = layers.DepthwiseConv2D((kernel, 1), padding="valid", use_bias=False)(x)
        x = layers.Conv2D(filters, 1, use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(3, name="logits")(x)
    return keras.Model(inp, layers.Softmax()(x))


def build_ad(keras, batch_size):
    """FC autoencoder 640-128-128-128-128-8-128-128-128-128-640 with batch norm + ReLU."""
    layers = keras.layers
    inp = keras.Input((640,), batch_size=batch_size)
    x = inp
    for units in (128, 128, 128, 128, 8, 128, 128, 128, 128):
        x = layers.Dense(units)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    return keras.Model(inp, layers.Dense(640, name="reconstruction")(x))


def calibration_data(workload_id: str, seed: int) -> np.ndarray:
    """Float model inputs; the first sample is pinned to the ends of the reference input range."""
    rng = np.random.default_rng([seed, sum(workload_id.encode())])
    if workload_id == "kws01":
        data = np.stack([inputs.kws_features(rng)[..., None] for _ in range(N_CALIBRATION)])
        low, high = inputs.KWS_RANGE
    elif workload_id == "vww01":
        data = np.stack([inputs.image(rng, 96) for _ in range(N_CALIBRATION)]) / 255.0
        low, high = 0.0, 1.0
    elif workload_id in ("ic01", "ic02"):
        data = np.stack([inputs.image(rng, 32) for _ in range(N_CALIBRATION)]).astype(float)
        low, high = 0.0, 255.0
    elif workload_id == "sww01":
        data = np.stack([inputs.sww_features(rng) for _ in range(N_CALIBRATION)])
        low, high = inputs.SWW_RANGE
    else:
        files = [inputs.ad_spectrogram(rng, 20, anomalous=False) for _ in range(13)]
        data = np.concatenate([inputs.ad_windows(f) for f in files])[:N_CALIBRATION]
        low, high = inputs.AD_RANGE
    data = data.astype(np.float32)
    flat = data[0].reshape(-1)
    flat[0], flat[-1] = low, high
    return data


def calibrate_batch_norm(keras, model, data: np.ndarray) -> None:
    """Give every batch-norm layer the statistics of its input on ``data``, first to last."""
    for layer in model.layers:
        if not isinstance(layer, keras.layers.BatchNormalization):
            continue
        probe = keras.Model(model.input, layer.input)
        values = np.asarray(probe(data, training=False), dtype=np.float64)
        axes = tuple(range(values.ndim - 1))
        gamma, beta, _, _ = layer.get_weights()
        layer.set_weights([gamma, beta, values.mean(axis=axes), values.var(axis=axes)])


def standardise_logits(keras, model, data: np.ndarray) -> None:
    """Rescale the last dense layer so each logit has mean 0, std LOGIT_STD over ``data``."""
    dense = model.get_layer("logits")
    features = np.asarray(keras.Model(model.input, dense.input)(data, training=False))
    kernel, bias = dense.get_weights()
    logits = features @ kernel + bias
    mean, std = logits.mean(axis=0), logits.std(axis=0) + 1e-6
    dense.set_weights([kernel / std * LOGIT_STD, (bias - mean) / std * LOGIT_STD])


def centre_reconstruction(keras, model, data: np.ndarray) -> None:
    """Shrink the output layer and bias it to the mean normal input window."""
    dense = model.get_layer("reconstruction")
    kernel, _ = dense.get_weights()
    dense.set_weights([kernel * 0.25, data.mean(axis=0)])


def convert(tf, model, data: np.ndarray) -> bytes:
    """Full-int8 post-training quantisation with int8 input and output, per-tensor dense."""
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]

    def representative() -> Iterator[list[np.ndarray]]:
        for sample in data:
            yield [sample[None]]

    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    # Per-tensor FULLY_CONNECTED weights, as in the reference models: the TFLite Micro of the
    # reference firmware predates per-channel dense kernels (convolutions stay per-channel).
    converter._experimental_disable_per_channel_quantization_for_dense_layers = True
    return converter.convert()


BUILDERS: dict[str, Callable] = {
    "kws01": build_kws,
    "vww01": build_vww,
    "ic01": build_ic,
    "ad01": build_ad,
    "ic02": build_ic02,
    "sww01": build_sww,
}


def make_model(workload_id: str, seed: int) -> bytes:
    """The stand-in .tflite bytes for ``workload_id``."""
    import keras
    import tensorflow as tf

    keras.backend.clear_session()  # reset layer-name counters: names end up in the file
    offset = list(BUILDERS).index(workload_id)
    keras.utils.set_random_seed(seed * 1000 + offset)
    tf.config.experimental.enable_op_determinism()
    model = BUILDERS[workload_id](keras, None)
    data = calibration_data(workload_id, seed)
    calibrate_batch_norm(keras, model, data)
    if workload_id == "ad01":
        centre_reconstruction(keras, model, data)
    else:
        standardise_logits(keras, model, data)
    # The same graph with batch 1, so Flatten becomes one static RESHAPE (the ops of the
    # reference firmware's resolver) instead of SHAPE/STRIDED_SLICE/PACK/RESHAPE.
    single = BUILDERS[workload_id](keras, 1)
    single.set_weights(model.get_weights())
    return convert(tf, single, data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=PACKAGE_DIR / "models")
    parser.add_argument("--only", choices=list(BUILDERS), action="append")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for workload_id in args.only or list(BUILDERS):
        content = make_model(workload_id, args.seed)
        path = args.out / f"{workload_id}_standin.tflite"
        path.write_bytes(content)
        digest = hashlib.sha256(content).hexdigest()[:16]
        print(f"{path}: {len(content):,} bytes, sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
