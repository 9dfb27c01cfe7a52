"""Rotating a batch of images by one angle, recomputing the same trigonometry per image.

Like matplotlib's `Affine2D.rotate` as PieProf found it used: for every image, the
rotation matrix is built again from `np.cos(theta)` and `np.sin(theta)`, each computed
twice (HARP102, a repeated native call with the same arguments), and the whole matrix is
the same on every iteration (HARP101, loop-invariant). Each image is a 64×64 grayscale
array; rotation maps every output pixel back to its source pixel (nearest neighbour).
"""

import numpy as np

N_IMAGES, SIZE, THETA = 300, 64, np.pi / 7


def rotate_all(images, theta):
    height, width = images.shape[1:]
    rows, cols = np.indices((height, width))
    centre = np.array([(height - 1) / 2, (width - 1) / 2])
    pixels = np.stack([rows.ravel(), cols.ravel()], axis=1) - centre
    rotated = np.empty_like(images)
    for n in range(len(images)):
        rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        source = np.rint(pixels @ rotation.T + centre).astype(int)
        inside = (source[:, 0] >= 0) & (source[:, 0] < height) & (source[:, 1] >= 0) & (source[:, 1] < width)
        flat = np.zeros(height * width, dtype=images.dtype)
        flat[inside] = images[n][source[inside, 0], source[inside, 1]]
        rotated[n] = flat.reshape(height, width)
    return rotated


images = np.random.default_rng(0).random((N_IMAGES, SIZE, SIZE)).astype(np.float32)
rotated = rotate_all(images, THETA)

if __name__ == "__main__":
    print(f"rotated {len(rotated)} images; mean {rotated.mean():.4f}")
