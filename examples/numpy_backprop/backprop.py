"""A one-hidden-layer network trained by back-propagation, its weights updated element by element.

Written after a classic NumPy back-propagation example: the gradients are computed with
array operations, but the weights and biases are then updated one element at a time in
nested Python loops (`self.ih_weights[i, j] += learn_rate * ih_grads[i, j]`), each element a
separate NumPy call (PieProf's slice under-utilisation; HARP103). The network (16 inputs, 48
hidden tanh units, 4 softmax outputs) learns to classify 200 synthetic points for 3 epochs.
"""

import numpy as np

N_IN, N_HIDDEN, N_OUT, N_ROWS, EPOCHS, LEARN_RATE = 16, 48, 4, 200, 3, 0.05


class NeuralNetwork:
    def __init__(self, num_input, num_hidden, num_output, rng):
        self.ni, self.nh, self.no = num_input, num_hidden, num_output
        self.ih_weights = rng.uniform(-0.1, 0.1, (num_input, num_hidden))
        self.h_biases = np.zeros(num_hidden)
        self.ho_weights = rng.uniform(-0.1, 0.1, (num_hidden, num_output))
        self.o_biases = np.zeros(num_output)

    def compute_outputs(self, x):
        hidden = np.tanh(x @ self.ih_weights + self.h_biases)
        scores = hidden @ self.ho_weights + self.o_biases
        scores = np.exp(scores - scores.max())
        return hidden, scores / scores.sum()

    def train(self, data, labels, epochs, learn_rate):
        errors = []
        for _ in range(epochs):
            total = 0.0
            for n in range(len(data)):
                x, t = data[n], labels[n]
                hidden, outputs = self.compute_outputs(x)
                total += float(-np.log(outputs[t.argmax()]))
                o_signals = t - outputs
                ho_grads = np.outer(hidden, o_signals)
                h_signals = (1 - hidden**2) * (self.ho_weights @ o_signals)
                ih_grads = np.outer(x, h_signals)
                # update the weights and biases, one element at a time
                for i in range(self.ni):
                    for j in range(self.nh):
                        self.ih_weights[i, j] += learn_rate * ih_grads[i, j]
                for j in range(self.nh):
                    self.h_biases[j] += learn_rate * h_signals[j]
                for j in range(self.nh):
                    for k in range(self.no):
                        self.ho_weights[j, k] += learn_rate * ho_grads[j, k]
                for k in range(self.no):
                    self.o_biases[k] += learn_rate * o_signals[k]
            errors.append(total / len(data))
        return np.array(errors)


rng = np.random.default_rng(0)
data = rng.standard_normal((N_ROWS, N_IN))
labels = np.eye(N_OUT)[(data[:, :N_OUT] * np.arange(1, N_OUT + 1)).argmax(axis=1)]
network = NeuralNetwork(N_IN, N_HIDDEN, N_OUT, rng)
errors = network.train(data, labels, EPOCHS, LEARN_RATE)
weights = (network.ih_weights, network.h_biases, network.ho_weights, network.o_biases)

if __name__ == "__main__":
    print(f"cross-entropy per epoch: {np.round(errors, 4)}")
