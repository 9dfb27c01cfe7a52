"""A double deep Q-network (DQN) in TensorFlow 1 style: a graph, placeholders and `Session.run`.

The agent learns to walk to a goal in a small gridworld whose observations are rendered as
images.  A fixed convolutional encoder (the role a pretrained visual encoder plays; random
weights here) turns each observation into features; an online Q-head and a target Q-head
(a copy, synced every few steps) map features to action values.  Transitions go into a
replay buffer; each training step samples a batch and computes double-DQN targets: the
online head picks the next action, the target head values it.  As in the DQN paper,
learning is tracked by the average maximal Q-value on a fixed set of held-out observations.

It holds two of HARP's inefficiencies:
- a common subgraph computed twice (HARP102): the two `sess.run`s for the next states both
  run the encoder on the same batch; the second could be fed the features the first computed;
- a loop-invariant computation (HARP101 for sessions): every step feeds the same held-out
  observations, and the run encodes them again; their features could be computed once.
"""

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_eager_execution()

GRID, CELL, N_ACTIONS = 8, 4, 4
SIZE = GRID * CELL
STEPS, MAX_EPISODE_STEPS, BATCH, BUFFER_SIZE = 200, 40, 32, 2000
GAMMA, LEARNING_RATE, SYNC_EVERY, HIDDEN, N_HELD_OUT = 0.95, 1e-3, 50, 64, 128
MOVES = np.array([(-1, 0), (1, 0), (0, -1), (0, 1)])

rng = np.random.default_rng(0)


def render(agent, goal):
    """The observation: the agent in channel 0, the goal in channel 1, each a CELL x CELL square."""
    frame = np.zeros((SIZE, SIZE, 2), dtype=np.float32)
    frame[agent[0] * CELL : (agent[0] + 1) * CELL, agent[1] * CELL : (agent[1] + 1) * CELL, 0] = 1.0
    frame[goal[0] * CELL : (goal[0] + 1) * CELL, goal[1] * CELL : (goal[1] + 1) * CELL, 1] = 1.0
    return frame


def new_episode():
    agent, goal = rng.integers(0, GRID, 2), rng.integers(0, GRID, 2)
    while (agent == goal).all():
        goal = rng.integers(0, GRID, 2)
    return agent, goal


# The fixed encoder: two 3x3 convolutions with average pooling, He-initialised.
conv1_w = (rng.standard_normal((3, 3, 2, 16)) * np.sqrt(2 / 18)).astype(np.float32)
conv2_w = (rng.standard_normal((3, 3, 16, 32)) * np.sqrt(2 / 144)).astype(np.float32)
N_FEATURES = (SIZE // 4) * (SIZE // 4) * 32

observations = tf.placeholder(tf.float32, (None, SIZE, SIZE, 2), name="observations")
conv1 = tf.nn.relu(tf.nn.conv2d(observations, conv1_w, 1, "SAME"))
conv2 = tf.nn.relu(tf.nn.conv2d(tf.nn.avg_pool2d(conv1, 2, 2, "SAME"), conv2_w, 1, "SAME"))
features = tf.reshape(tf.nn.avg_pool2d(conv2, 2, 2, "SAME"), (-1, N_FEATURES))

# The online and target Q-heads: one hidden layer each.
w1_init = (rng.standard_normal((N_FEATURES, HIDDEN)) * np.sqrt(2 / N_FEATURES)).astype(np.float32)
w2_init = (rng.standard_normal((HIDDEN, N_ACTIONS)) * np.sqrt(1 / HIDDEN)).astype(np.float32)
online_w1 = tf.Variable(w1_init, name="online_w1")
online_b1 = tf.Variable(np.zeros(HIDDEN, dtype=np.float32), name="online_b1")
online_w2 = tf.Variable(w2_init, name="online_w2")
online_b2 = tf.Variable(np.zeros(N_ACTIONS, dtype=np.float32), name="online_b2")
target_w1 = tf.Variable(w1_init, name="target_w1")
target_b1 = tf.Variable(np.zeros(HIDDEN, dtype=np.float32), name="target_b1")
target_w2 = tf.Variable(w2_init, name="target_w2")
target_b2 = tf.Variable(np.zeros(N_ACTIONS, dtype=np.float32), name="target_b2")

online_hidden = tf.nn.relu(tf.matmul(features, online_w1) + online_b1)
online_q = tf.matmul(online_hidden, online_w2) + online_b2
target_hidden = tf.nn.relu(tf.matmul(features, target_w1) + target_b1)
target_q = tf.matmul(target_hidden, target_w2) + target_b2

actions = tf.placeholder(tf.int32, (None,), name="actions")
targets = tf.placeholder(tf.float32, (None,), name="targets")
chosen_q = tf.reduce_sum(online_q * tf.one_hot(actions, N_ACTIONS), axis=1)
loss = tf.losses.huber_loss(targets, chosen_q)
average_max_q = tf.reduce_mean(tf.reduce_max(online_q, axis=1))
train = tf.train.AdamOptimizer(LEARNING_RATE).minimize(loss)
sync = tf.group(
    target_w1.assign(online_w1), target_b1.assign(online_b1), target_w2.assign(online_w2), target_b2.assign(online_b2)
)

# The replay buffer: a ring of transitions.
buffer_obs = np.zeros((BUFFER_SIZE, SIZE, SIZE, 2), dtype=np.float32)
buffer_next = np.zeros((BUFFER_SIZE, SIZE, SIZE, 2), dtype=np.float32)
buffer_action = np.zeros(BUFFER_SIZE, dtype=np.int32)
buffer_reward = np.zeros(BUFFER_SIZE, dtype=np.float32)
buffer_done = np.zeros(BUFFER_SIZE, dtype=np.float32)

# The held-out observations, collected by a random policy before training.
frames = []
for _ in range(N_HELD_OUT // 8):
    agent, goal = new_episode()
    for _ in range(8):
        frames.append(render(agent, goal))
        agent = np.clip(agent + MOVES[rng.integers(N_ACTIONS)], 0, GRID - 1)
held_out = np.stack(frames)

losses, episode_returns, q_curve = [], [], []
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    agent, goal = new_episode()
    obs, episode_return, episode_steps = render(agent, goal), 0.0, 0
    for step in range(STEPS):
        epsilon = max(0.1, 1.0 - step / 150)
        if rng.random() < epsilon:
            action = int(rng.integers(N_ACTIONS))
        else:
            action = int(np.argmax(sess.run(online_q, feed_dict={observations: obs[None]})[0]))
        agent = np.clip(agent + MOVES[action], 0, GRID - 1)
        reached = bool((agent == goal).all())
        reward = 1.0 if reached else -0.01
        next_obs = render(agent, goal)
        slot = step % BUFFER_SIZE
        buffer_obs[slot], buffer_next[slot], buffer_action[slot] = obs, next_obs, action
        buffer_reward[slot], buffer_done[slot] = reward, float(reached)
        obs, episode_return, episode_steps = next_obs, episode_return + reward, episode_steps + 1
        if reached or episode_steps == MAX_EPISODE_STEPS:
            episode_returns.append(episode_return)
            agent, goal = new_episode()
            obs, episode_return, episode_steps = render(agent, goal), 0.0, 0

        if step >= BATCH:
            batch = rng.integers(0, min(step + 1, BUFFER_SIZE), BATCH)
            next_batch = buffer_next[batch]
            # Double DQN: the online head chooses the next action, the target head values it.
            next_online_q = sess.run(online_q, feed_dict={observations: next_batch})
            next_target_q = sess.run(target_q, feed_dict={observations: next_batch})
            best = np.argmax(next_online_q, axis=1)
            next_values = next_target_q[np.arange(BATCH), best]
            batch_targets = buffer_reward[batch] + GAMMA * (1.0 - buffer_done[batch]) * next_values
            _, batch_loss = sess.run(
                [train, loss],
                feed_dict={observations: buffer_obs[batch], actions: buffer_action[batch], targets: batch_targets},
            )
            losses.append(float(batch_loss))
        held_out_q = sess.run(average_max_q, feed_dict={observations: held_out})
        q_curve.append(float(held_out_q))
        if step % SYNC_EVERY == 0:
            sess.run(sync)
    q_weights = sess.run([online_w1, online_b1, online_w2, online_b2])
losses = np.array(losses)
episode_returns = np.array(episode_returns)
q_curve = np.array(q_curve)

if __name__ == "__main__":
    print(
        f"{STEPS} steps, {episode_returns.size} episodes, mean return {episode_returns.mean():.3f}, "
        f"final loss {losses[-20:].mean():.5f}"
    )
