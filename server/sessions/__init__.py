"""Session registry: pure policy, the store contract, and its engines."""
