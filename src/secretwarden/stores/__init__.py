"""Secret stores behind one protocol (`base.py`); backends register in `registry.py`."""
