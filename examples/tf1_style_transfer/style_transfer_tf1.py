"""Neural style transfer (Gatys et al.) in TensorFlow 1 style: a graph, placeholders and `Session.run`.

An image variable, started from the content image, is optimised so that its features match
the content image's features and its Gram matrices (feature correlations) match those of the
style image, used at its own, larger resolution (Gram matrices do not depend on the size).
The feature extractor is a fixed three-layer convolutional network (the role VGG plays;
random weights here).  The content and style images are fed as placeholders on every step,
so every `sess.run([train, loss], ...)` runs them through the network again and recomputes
the style Gram matrices and the content features, although neither image ever changes
(HARP101 for sessions: compute them once before the loop and feed the values).
"""

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_eager_execution()

SIZE, STYLE_SIZE, STEPS = 64, 128, 100
CONTENT_WEIGHT, STYLE_WEIGHT, LEARNING_RATE = 1.0, 1e-2, 0.02

rng = np.random.default_rng(0)
# The content image: smooth blobs; the style image: diagonal stripes with noise.
yy, xx = np.mgrid[0:SIZE, 0:SIZE] / SIZE
content_value = np.stack(
    [0.5 + 0.5 * np.sin(6 * xx) * np.cos(4 * yy), 0.5 + 0.5 * np.cos(5 * (xx + yy)), 0.5 + 0.4 * np.sin(3 * yy)], -1
)[None].astype(np.float32)
sy, sx = np.mgrid[0:STYLE_SIZE, 0:STYLE_SIZE] / STYLE_SIZE
style_value = np.stack(
    [0.5 + 0.5 * np.sin(40 * (sx + sy)), 0.5 + 0.5 * np.sin(25 * (sx - sy)), 0.5 * np.ones_like(sx)], -1
)[None].astype(np.float32)
style_value += 0.05 * rng.standard_normal(style_value.shape).astype(np.float32)

# A fixed feature extractor: three 3x3 convolutions, He-initialised.
conv1_w = (rng.standard_normal((3, 3, 3, 32)) * np.sqrt(2 / 27)).astype(np.float32)
conv2_w = (rng.standard_normal((3, 3, 32, 64)) * np.sqrt(2 / 288)).astype(np.float32)
conv3_w = (rng.standard_normal((3, 3, 64, 64)) * np.sqrt(2 / 576)).astype(np.float32)

content_image = tf.placeholder(tf.float32, (1, SIZE, SIZE, 3), name="content_image")
style_image = tf.placeholder(tf.float32, (1, STYLE_SIZE, STYLE_SIZE, 3), name="style_image")
image = tf.Variable(content_value, name="image")

# The network applied to the optimised image, the content image and the style image.
image_conv1 = tf.nn.relu(tf.nn.conv2d(image, conv1_w, 1, "SAME"))
image_conv2 = tf.nn.relu(tf.nn.conv2d(tf.nn.avg_pool2d(image_conv1, 2, 2, "SAME"), conv2_w, 1, "SAME"))
image_conv3 = tf.nn.relu(tf.nn.conv2d(tf.nn.avg_pool2d(image_conv2, 2, 2, "SAME"), conv3_w, 1, "SAME"))
content_conv1 = tf.nn.relu(tf.nn.conv2d(content_image, conv1_w, 1, "SAME"))
content_conv2 = tf.nn.relu(tf.nn.conv2d(tf.nn.avg_pool2d(content_conv1, 2, 2, "SAME"), conv2_w, 1, "SAME"))
content_conv3 = tf.nn.relu(tf.nn.conv2d(tf.nn.avg_pool2d(content_conv2, 2, 2, "SAME"), conv3_w, 1, "SAME"))
style_conv1 = tf.nn.relu(tf.nn.conv2d(style_image, conv1_w, 1, "SAME"))
style_conv2 = tf.nn.relu(tf.nn.conv2d(tf.nn.avg_pool2d(style_conv1, 2, 2, "SAME"), conv2_w, 1, "SAME"))
style_conv3 = tf.nn.relu(tf.nn.conv2d(tf.nn.avg_pool2d(style_conv2, 2, 2, "SAME"), conv3_w, 1, "SAME"))

# Gram matrices: channel-by-channel correlations of each layer's features.
image_gram1 = tf.einsum("bijc,bijd->cd", image_conv1, image_conv1) / SIZE**2
image_gram2 = tf.einsum("bijc,bijd->cd", image_conv2, image_conv2) / (SIZE**2 / 4)
image_gram3 = tf.einsum("bijc,bijd->cd", image_conv3, image_conv3) / (SIZE**2 / 16)
style_gram1 = tf.einsum("bijc,bijd->cd", style_conv1, style_conv1) / STYLE_SIZE**2
style_gram2 = tf.einsum("bijc,bijd->cd", style_conv2, style_conv2) / (STYLE_SIZE**2 / 4)
style_gram3 = tf.einsum("bijc,bijd->cd", style_conv3, style_conv3) / (STYLE_SIZE**2 / 16)

content_loss = tf.reduce_mean(tf.square(image_conv3 - content_conv3))
style_loss = (
    tf.reduce_sum(tf.square(image_gram1 - style_gram1))
    + tf.reduce_sum(tf.square(image_gram2 - style_gram2))
    + tf.reduce_sum(tf.square(image_gram3 - style_gram3))
)
loss = CONTENT_WEIGHT * content_loss + STYLE_WEIGHT * style_loss
train = tf.train.AdamOptimizer(LEARNING_RATE).minimize(loss)
clip = image.assign(tf.clip_by_value(image, 0.0, 1.0))

losses = []
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(STEPS):
        _, step_loss = sess.run([train, loss], feed_dict={content_image: content_value, style_image: style_value})
        sess.run(clip)
        losses.append(float(step_loss))
    stylised = sess.run(image)
losses = np.array(losses)

if __name__ == "__main__":
    print(f"{STEPS} steps, loss {losses[0]:.4f} -> {losses[-1]:.4f}, stylised image {stylised.shape}")
