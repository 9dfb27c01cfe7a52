"""A GRU encoder-decoder with additive (Bahdanau) attention, decoded by a Python loop (PyTorch).

The model learns to reverse sequences of random tokens.  The encoder is a bidirectional
GRU; the decoder runs one step per output token in a Python loop: it scores every encoder
output against its hidden state with additive attention, reads the context vector, and
advances a GRU cell written out with its gates.  The program trains it for a few steps with
teacher forcing and then decodes a held-out batch greedily.

It holds a loop-invariant computation (HARP101): the attention's projection of the encoder
outputs, `F.linear(encoder_outputs, self.key_weight)`, is the same at every decoder step,
yet it is computed again at each one.
"""

import torch
import torch.nn.functional as F
from torch import nn

VOCAB, EMBED, HIDDEN, LENGTH, BATCH, TRAIN_STEPS = 32, 64, 192, 32, 32, 8
BOS = 0

torch.manual_seed(0)


class Encoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMBED)
        self.gru = nn.GRU(EMBED, HIDDEN // 2, batch_first=True, bidirectional=True)

    def forward(self, source: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        outputs, last = self.gru(self.embedding(source))
        return outputs, torch.cat([last[0], last[1]], dim=1)


class AttentionDecoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Parameter(0.1 * torch.randn(VOCAB, EMBED))
        # additive attention: v · tanh(W_q h + W_k e)
        self.query_weight = nn.Parameter(torch.randn(HIDDEN, HIDDEN) / HIDDEN**0.5)
        self.key_weight = nn.Parameter(torch.randn(HIDDEN, HIDDEN) / HIDDEN**0.5)
        self.score_weight = nn.Parameter(torch.randn(HIDDEN) / HIDDEN**0.5)
        # the GRU cell's input (token embedding and context) and hidden weights
        self.input_weight = nn.Parameter(torch.randn(3 * HIDDEN, EMBED + HIDDEN) / (EMBED + HIDDEN) ** 0.5)
        self.hidden_weight = nn.Parameter(torch.randn(3 * HIDDEN, HIDDEN) / HIDDEN**0.5)
        self.input_bias = nn.Parameter(torch.zeros(3 * HIDDEN))
        self.hidden_bias = nn.Parameter(torch.zeros(3 * HIDDEN))
        self.output_weight = nn.Parameter(torch.randn(VOCAB, HIDDEN) / HIDDEN**0.5)
        self.output_bias = nn.Parameter(torch.zeros(VOCAB))

    def forward(
        self, encoder_outputs: torch.Tensor, hidden: torch.Tensor, targets: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Logits for LENGTH steps; feeds the targets back in (teacher forcing), else its own argmax."""
        token = torch.full((encoder_outputs.shape[0],), BOS, dtype=torch.long)
        logits = []
        for t in range(LENGTH):
            energy = torch.tanh(
                F.linear(hidden, self.query_weight).unsqueeze(1) + F.linear(encoder_outputs, self.key_weight)
            )
            attention = torch.softmax(energy @ self.score_weight, dim=1)
            context = (attention.unsqueeze(2) * encoder_outputs).sum(dim=1)
            x = torch.cat([self.embedding[token], context], dim=1)
            input_r, input_z, input_n = F.linear(x, self.input_weight, self.input_bias).chunk(3, dim=1)
            hidden_r, hidden_z, hidden_n = F.linear(hidden, self.hidden_weight, self.hidden_bias).chunk(3, dim=1)
            reset = torch.sigmoid(input_r + hidden_r)
            update = torch.sigmoid(input_z + hidden_z)
            candidate = torch.tanh(input_n + reset * hidden_n)
            hidden = (1 - update) * candidate + update * hidden
            step_logits = F.linear(hidden, self.output_weight, self.output_bias)
            logits.append(step_logits)
            token = targets[:, t] if targets is not None else step_logits.argmax(dim=1)
        return torch.stack(logits, dim=1)


def reversal_batch(generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random token sequences (never BOS) and the same sequences reversed."""
    source = torch.randint(1, VOCAB, (BATCH, LENGTH), generator=generator)
    return source, source.flip(1)


encoder, decoder = Encoder(), AttentionDecoder()
parameters = [*encoder.parameters(), *decoder.parameters()]
optimizer = torch.optim.SGD(parameters, lr=0.5, momentum=0.9)
data = torch.Generator().manual_seed(1)

losses = []
for _ in range(TRAIN_STEPS):
    source, target = reversal_batch(data)
    encoder_outputs, hidden = encoder(source)
    logits = decoder(encoder_outputs, hidden, target)
    loss = F.cross_entropy(logits.reshape(-1, VOCAB), target.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(parameters, 1.0)
    optimizer.step()
    losses.append(loss.detach())
losses = torch.stack(losses)

test_source, test_target = reversal_batch(data)
with torch.no_grad():
    test_outputs, test_hidden = encoder(test_source)
    predictions = decoder(test_outputs, test_hidden).argmax(dim=2)
accuracy = (predictions == test_target).float().mean().item()

if __name__ == "__main__":
    print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f}, greedy decoding token accuracy {accuracy:.3f}")
