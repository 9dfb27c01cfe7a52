"""The equivalence harness: run original and rewritten code, compare tensors, time both."""
