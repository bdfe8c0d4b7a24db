"""The commented example policy written by ``driftline gate init``."""

from __future__ import annotations

from importlib import resources

__all__ = ["example_policy"]


def example_policy() -> str:
    """The text of the example ``driftline-gate.yaml`` (valid; every check kind appears).

    >>> from driftline.gate import Policy
    >>> len(Policy.from_yaml(example_policy()).checks) > 5
    True
    """
    return (resources.files("driftline.gate") / "example-policy.yaml").read_text(encoding="utf-8")
