"""Analysis: source → augmented computation graph facts → rule answers → findings."""
