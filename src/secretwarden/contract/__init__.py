"""The contract: model, loading with positions, discovery of an existing inventory."""
