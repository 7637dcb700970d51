"""The typed pipeline model built from a spec."""
