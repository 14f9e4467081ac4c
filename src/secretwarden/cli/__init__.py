"""Thin command-line layer: parse arguments, call one library function, render its result."""
