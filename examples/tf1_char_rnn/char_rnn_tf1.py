"""Forward pass and loss of a tiny character-level RNN in TensorFlow 1 style.

A vanilla tanh RNN reads random one-hot character sequences and predicts the next
character; the cross-entropy loss of 20 batches and the last hidden state are kept.
It holds a Python loop that unrolls graph construction (HARP202): SEQ_LEN copies of
the cell; tf.while_loop builds one.
"""

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_eager_execution()

BATCH, SEQ_LEN, VOCAB, HIDDEN, N_BATCHES = 16, 100, 32, 64, 20

rng = np.random.default_rng(0)
eye = np.eye(VOCAB, dtype=np.float32)
batches = []
for _ in range(N_BATCHES):
    ids = rng.integers(0, VOCAB, size=(BATCH, SEQ_LEN + 1))
    batches.append((eye[ids[:, :-1]], eye[ids[:, -1]]))

inputs = tf.placeholder(tf.float32, shape=(BATCH, SEQ_LEN, VOCAB), name="inputs")
targets = tf.placeholder(tf.float32, shape=(BATCH, VOCAB), name="targets")
Wx = tf.Variable((0.1 * rng.standard_normal((VOCAB, HIDDEN))).astype(np.float32), name="Wx")
Wh = tf.Variable((0.1 * rng.standard_normal((HIDDEN, HIDDEN))).astype(np.float32), name="Wh")
bh = tf.Variable((0.1 * rng.standard_normal(HIDDEN)).astype(np.float32), name="bh")
Wy = tf.Variable((0.1 * rng.standard_normal((HIDDEN, VOCAB))).astype(np.float32), name="Wy")

h = tf.zeros((BATCH, HIDDEN))
for t in range(SEQ_LEN):
    h = tf.tanh(tf.matmul(inputs[:, t, :], Wx) + tf.matmul(h, Wh) + bh)
logits = tf.matmul(h, Wy)
loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=targets, logits=logits))

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    losses = np.array([sess.run(loss, feed_dict={inputs: xb, targets: yb}) for xb, yb in batches])
    final_hidden = sess.run(h, feed_dict={inputs: batches[0][0]})

if __name__ == "__main__":
    print(f"{losses.size} batches, mean loss = {losses.mean():.6f}, final hidden {final_hidden.shape}")
