"""Operations: compare the contract with the stores and act on the difference."""
