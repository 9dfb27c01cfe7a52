"""A 3×3 convolution layer written with NumPy, trained on synthetic images (a CNN from scratch).

The layer slides 8 filters over 28×28 images. Its backward pass adds each image region,
scaled by the loss gradient at that position, into each filter's gradient one filter at a
time: `d_l_d_filters[f] += d_l_d_out[i, j, f] * im_region` in a Python loop over `f`
(PieProf's slice under-utilisation; HARP103 rewrites it as one slice expression over all
filters). Training fits the layer's mean response per filter to fixed targets for 40 images.
"""

import numpy as np

N_FILTERS, SIZE, IMAGES, LEARN_RATE = 8, 28, 40, 0.005


class Conv3x3:
    """A layer of `num_filters` 3×3 filters, no padding, stride 1."""

    def __init__(self, num_filters, rng):
        self.num_filters = num_filters
        self.filters = rng.standard_normal((num_filters, 3, 3)) / 9
        self.last_input = None

    def iterate_regions(self, image):
        height, width = image.shape
        for i in range(height - 2):
            for j in range(width - 2):
                yield image[i : i + 3, j : j + 3], i, j

    def forward(self, image):
        self.last_input = image
        height, width = image.shape
        output = np.zeros((height - 2, width - 2, self.num_filters))
        for im_region, i, j in self.iterate_regions(image):
            output[i, j] = np.sum(im_region * self.filters, axis=(1, 2))
        return output

    def backprop(self, d_l_d_out, learn_rate):
        d_l_d_filters = np.zeros((self.num_filters, 3, 3))
        for im_region, i, j in self.iterate_regions(self.last_input):
            for f in range(self.num_filters):
                d_l_d_filters[f] += d_l_d_out[i, j, f] * im_region
        self.filters -= learn_rate * d_l_d_filters
        return d_l_d_filters


def train(images, targets, layer):
    """One pass of gradient descent on the squared error of each filter's mean response."""
    losses = []
    for image, target in zip(images, targets):
        output = layer.forward(image)
        error = output.mean(axis=(0, 1)) - target
        losses.append(float((error**2).sum()))
        d_l_d_out = np.broadcast_to(2 * error / (output.shape[0] * output.shape[1]), output.shape)
        layer.backprop(d_l_d_out, LEARN_RATE)
    return np.array(losses)


rng = np.random.default_rng(0)
images = rng.standard_normal((IMAGES, SIZE, SIZE))
targets = rng.standard_normal((IMAGES, N_FILTERS)) * 0.1
layer = Conv3x3(N_FILTERS, rng)
losses = train(images, targets, layer)
final_filters = layer.filters.copy()

if __name__ == "__main__":
    print(f"{losses.size} images, loss {losses[0]:.4f} -> {losses[-1]:.4f}")
