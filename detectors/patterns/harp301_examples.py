"""HARP301's examples: each VALID one must give no finding, each INVALID one must be fixed as shown."""

from __future__ import annotations

from ..pattern import Example

_MODEL = """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.head = nn.Linear(4 * 26 * 26, 10)

    def forward(self, x):
        return self.head(torch.relu(self.conv(x)).flatten(1))

model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
data = torch.randn(64, 1, 28, 28)
"""

_STEP = """
    loss = model(batch).square().mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""

VALID: tuple[str, ...] = (
    # the flag is already set
    _MODEL.replace("import torch.nn as nn\n", "import torch.nn as nn\ntorch.backends.cudnn.benchmark = True\n")
    + "for step in range(20):\n    batch = data[:16]"
    + _STEP,
    # the user turned it off on purpose (e.g. for reproducibility): respect the choice
    _MODEL
    + "from torch.backends import cudnn\ncudnn.benchmark = False\nfor step in range(20):\n    batch = data[:16]"
    + _STEP,
    # no convolution in the module: cuDNN autotuning has nothing to tune
    """
import torch
model = torch.nn.Linear(8, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
x = torch.randn(16, 8)
for step in range(100):
    loss = model(x).square().mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
""",
    # three iterations by a literal count: tuning would not pay for itself
    _MODEL + "for step in range(3):\n    batch = data[:16]" + _STEP,
    # ... nor two epochs of two literal batches
    _MODEL + "for epoch in range(2):\n  for batch in [data[:16], data[16:32]]:\n" + _STEP.replace("\n    ", "\n      "),
    # the model branches on tensor values: its graph differs from one iteration to the next
    """
import torch
import torch.nn as nn
import torch.nn.functional as F

class Gated(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)

    def forward(self, x):
        if x.sum() > 0:
            return F.relu(self.conv(x))
        return self.conv(x)

model = Gated()
data = torch.randn(64, 1, 28, 28)
for step in range(20):
    out = model(data[:16])
""",
    # the input size changes with the iteration
    _MODEL + "for step in range(20):\n    batch = data[: step + 1]" + _STEP,
    # ... or tensors are created with a size that does
    _MODEL + "for step in range(1, 20):\n    batch = torch.randn(step, 1, 28, 28)" + _STEP,
    # the loop picks a model by a tensor value
    _MODEL
    + """
other = Net()
for step in range(20):
    batch = data[:16]
    if batch.mean() > 0:
        out = model(batch)
    else:
        out = other(batch)
""",
    # no loop runs the model
    _MODEL + "out = model(data)\n",
    # the only loop is the model's own, over its blocks: part of the graph, not a loop over it
    """
import torch
import torch.nn as nn

class Stack(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Conv2d(4, 4, 3, padding=1) for _ in range(8)])

    def features(self, x):
        for block in self.blocks:
            x = torch.relu(block(x))
        return x

model = Stack()
out = model.features(torch.randn(2, 4, 8, 8))
""",
)

INVALID: tuple[Example, ...] = (
    # a training loop at module level
    Example(
        _MODEL + "\n# train\nfor step in range(20):\n    batch = data[:16]" + _STEP,
        _MODEL
        + "\ntorch.backends.cudnn.benchmark = True\n# train\nfor step in range(20):\n    batch = data[:16]"
        + _STEP,
    ),
    # functional convolution in a function, fixed-size minibatches, the module's alias for torch
    Example(
        """
import torch as th
import torch.nn.functional as F

def train(weight, data, batch_size, epochs):
    for epoch in range(epochs):
        for i in range(len(data) // batch_size):
            batch = data[i * batch_size : (i + 1) * batch_size]
            loss = F.conv2d(batch, weight).square().mean()
            loss.backward()
    return weight
""",
        """
import torch as th
import torch.nn.functional as F

def train(weight, data, batch_size, epochs):
    th.backends.cudnn.benchmark = True
    for epoch in range(epochs):
        for i in range(len(data) // batch_size):
            batch = data[i * batch_size : (i + 1) * batch_size]
            loss = F.conv2d(batch, weight).square().mean()
            loss.backward()
    return weight
""",
    ),
    # inference: a while loop over a data loader, the model a local object
    Example(
        """
import torch

def predict(loader):
    model = torch.nn.Sequential(torch.nn.Conv1d(3, 8, 5), torch.nn.ReLU())
    model.eval()
    outputs = []
    with torch.no_grad():
        batches = iter(loader)
        while (batch := next(batches, None)) is not None:
            outputs.append(model(batch))
    return outputs
""",
        """
import torch

def predict(loader):
    model = torch.nn.Sequential(torch.nn.Conv1d(3, 8, 5), torch.nn.ReLU())
    model.eval()
    outputs = []
    with torch.no_grad():
        batches = iter(loader)
        torch.backends.cudnn.benchmark = True
        while (batch := next(batches, None)) is not None:
            outputs.append(model(batch))
    return outputs
""",
    ),
)
