"""Key material: root keys, envelope encryption, keyed fingerprints."""
