"""Seeded simulations whose printed results are quoted in docs/ (run with python -m)."""
