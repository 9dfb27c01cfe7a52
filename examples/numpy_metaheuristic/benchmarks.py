"""Benchmark functions of a metaheuristics suite, minimised by a small evolution strategy.

Two test functions are written the way such suites often write them: a Python loop over
the dimensions that adds one term per iteration (`total = total + ...`; PieProf's API
misuse, HARP104), one of them also recomputing a constant weight `np.power(dim, 1.2)` on
every iteration (loop-invariant work, HARP101). A (20+100) evolution strategy evaluates
each function on 100 candidate points of 30 dimensions per generation, for 40 generations.
"""

import numpy as np

DIM, POPULATION, PARENTS, GENERATIONS = 30, 100, 20, 40


def rastrigin(x):
    dim = len(x)
    total = 0.0
    for i in range(dim):
        total = total + x[i] ** 2 - 10 * np.cos(2 * np.pi * x[i])
    return 10 * dim + total


def weighted_sphere(x):
    dim = len(x)
    total = 0.0
    for i in range(dim):
        total = total + np.power(dim, 1.2) * x[i] ** 2
    return total


def evolve(function, rng):
    """The best value found in each generation."""
    parents = rng.uniform(-5.12, 5.12, (PARENTS, DIM))
    best = []
    for _ in range(GENERATIONS):
        children = parents[rng.integers(0, PARENTS, POPULATION)] + rng.normal(0.0, 0.3, (POPULATION, DIM))
        pool = np.concatenate([parents, children])
        scores = np.array([function(candidate) for candidate in pool])
        order = np.argsort(scores, kind="stable")
        parents = pool[order[:PARENTS]]
        best.append(scores[order[0]])
    return np.array(best)


rastrigin_best = evolve(rastrigin, np.random.default_rng(0))
sphere_best = evolve(weighted_sphere, np.random.default_rng(1))

if __name__ == "__main__":
    print(f"rastrigin {rastrigin_best[0]:.3f} -> {rastrigin_best[-1]:.3f}")
    print(f"weighted sphere {sphere_best[0]:.3f} -> {sphere_best[-1]:.3f}")
