"""A small MLP regression trained with a custom TensorFlow 2 eager loop.

Three dense layers are fitted to noisy targets of a random linear-plus-sine function
by plain SGD on minibatches of 32; the per-step losses and the final weights are kept.
It holds an eager training step that could run as a graph (HARP203): train_step has
tensor parameters, no Python side effects, and is called from an eager loop.
"""

import numpy as np
import tensorflow as tf

N_ROWS, N_FEATURES, BATCH, EPOCHS = 512, 16, 32, 8

rng = np.random.default_rng(0)
x_np = rng.standard_normal((N_ROWS, N_FEATURES)).astype(np.float32)
w_np = rng.standard_normal((N_FEATURES, 1)).astype(np.float32)
y_np = (np.sin(x_np @ w_np) + 0.1 * rng.standard_normal((N_ROWS, 1))).astype(np.float32)
x_all = tf.constant(x_np)
y_all = tf.constant(y_np)

model = tf.keras.Sequential(
    [
        tf.keras.Input(shape=(N_FEATURES,)),
        tf.keras.layers.Dense(64, activation="relu", kernel_initializer=tf.keras.initializers.GlorotUniform(seed=1)),
        tf.keras.layers.Dense(64, activation="relu", kernel_initializer=tf.keras.initializers.GlorotUniform(seed=2)),
        tf.keras.layers.Dense(1, kernel_initializer=tf.keras.initializers.GlorotUniform(seed=3)),
    ]
)
optimizer = tf.keras.optimizers.SGD(0.01)
loss_fn = tf.keras.losses.MeanSquaredError()


def train_step(x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


def train(epochs=EPOCHS):
    losses = []
    for _ in range(epochs):
        for start in range(0, N_ROWS, BATCH):
            xb = x_all[start : start + BATCH]
            yb = y_all[start : start + BATCH]
            losses.append(float(train_step(xb, yb)))
    return np.array(losses)


if __name__ == "__main__":
    losses = train()
    final_weights = [w.numpy() for w in model.trainable_variables]
    print(f"{losses.size} steps, loss {losses[0]:.6f} -> {losses[-1]:.6f}")
