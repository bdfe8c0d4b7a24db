"""The append-only, tamper-evident audit log (Merkle tree, signed checkpoints, proofs)."""

__all__: list[str] = []
