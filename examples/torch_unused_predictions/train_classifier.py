"""A small PyTorch classifier trained with minibatch SGD, with batch statistics nobody reads.

An MLP (32 → 128 → 128 → 64 classes) is fitted to 2048 synthetic points labelled by the
nearest of 64 random centres. Each step also computes the batch's class probabilities,
their entropy, the batch accuracy and a nearest-neighbour recall against the training set,
for logging that was switched off long ago: the values are never read (HARP105, unused
tensor computation). The per-step losses and the final weights are kept. PyTorch runs on
one thread, so that two runs give bit-identical weights.
"""

# The unused values are what this example is about.
# ruff: noqa: F841

import numpy as np
import torch

N_ROWS, N_FEATURES, N_CLASSES, BATCH, EPOCHS = 2048, 32, 64, 256, 4

torch.set_num_threads(1)
torch.manual_seed(0)
generator = torch.Generator().manual_seed(0)
centres = torch.randn(N_CLASSES, N_FEATURES, generator=generator)
x_all = torch.randn(N_ROWS, N_FEATURES, generator=generator)
y_all = torch.cdist(x_all, centres).argmin(dim=1)

model = torch.nn.Sequential(
    torch.nn.Linear(N_FEATURES, 128),
    torch.nn.ReLU(),
    torch.nn.Linear(128, 128),
    torch.nn.ReLU(),
    torch.nn.Linear(128, N_CLASSES),
)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)


def train(epochs=EPOCHS):
    losses = []
    for _ in range(epochs):
        for start in range(0, N_ROWS, BATCH):
            xb = x_all[start : start + BATCH]
            yb = y_all[start : start + BATCH]
            logits = model(xb)
            loss = torch.nn.functional.cross_entropy(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            # batch statistics for a progress bar that was removed
            probs = torch.softmax(logits.detach(), dim=1)
            entropy = -(probs * torch.log(probs + 1e-9)).sum(dim=1).mean()
            acc = (logits.detach().argmax(dim=1) == yb).float().mean()
            # nearest-neighbour recall against the training set, for a plot nobody draws
            neighbours = torch.cdist(xb, x_all).topk(5, dim=1, largest=False).indices
            recall = (y_all[neighbours] == yb[:, None]).float().mean()
    return np.array(losses), [p.detach().numpy().copy() for p in model.parameters()]


if __name__ == "__main__":
    losses, final_weights = train()
    print(f"{losses.size} steps, loss {losses[0]:.4f} -> {losses[-1]:.4f}")
