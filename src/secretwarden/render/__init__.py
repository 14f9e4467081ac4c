"""Files generated from the contract (README sections, manifests)."""
