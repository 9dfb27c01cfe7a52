"""A small convolutional classifier trained on random 28x28 images with PyTorch."""

import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH_SIZE = 16
STEPS = 20
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"

torch.manual_seed(0)


class ConvNet(nn.Module):
    """Two convolutions, then a linear classifier over 10 classes."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, padding=1)
        self.head = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.head(x.flatten(1))


images = torch.randn(STEPS * BATCH_SIZE, 1, 28, 28)
labels = torch.randint(0, 10, (STEPS * BATCH_SIZE,))
model = ConvNet().to(DEVICE)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

losses = []
for step in range(STEPS):
    batch = images[step * BATCH_SIZE : (step + 1) * BATCH_SIZE].to(DEVICE)
    target = labels[step * BATCH_SIZE : (step + 1) * BATCH_SIZE].to(DEVICE)
    loss = F.cross_entropy(model(batch), target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

final_weights = [p.detach().cpu().clone() for p in model.parameters()]

if __name__ == "__main__":
    print(f"steps = {STEPS}, batch = {BATCH_SIZE}x1x28x28")
    print(f"loss: first {losses[0]:.4f}, last {losses[-1]:.4f}")
    print(f"device = {DEVICE}, cudnn.benchmark = {torch.backends.cudnn.benchmark}")
