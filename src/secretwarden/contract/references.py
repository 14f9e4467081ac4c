"""Whole-document rules of the contract: names that must exist, refs that must resolve.

They are defined in `contract.model`, whose `Contract` validator runs them (a
module the model imported back would be an import cycle); this module keeps
the names its callers import.
"""

from secretwarden.contract.model import Loc, ReferenceProblems, check_references, declared_keys

__all__ = ["Loc", "ReferenceProblems", "check_references", "declared_keys"]
