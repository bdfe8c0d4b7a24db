"""Lineage graphs: dataset → training run → model version → gate report → approval →
alias move → monitored windows; as JSON, as text, and as OpenLineage run events."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

__all__ = ["LineageGraph", "LineageLink", "LineageNode"]

#: The order of the chain (a node's rank when printing).
CHAIN: Final = (
    "dataset",
    "run",
    "model_version",
    "gate_report",
    "approval",
    "alias_move",
    "window",
)
PRODUCER: Final = "https://github.com/driftline/driftline"
RUN_EVENT_SCHEMA: Final = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
_NAMESPACE_UUID: Final = uuid.UUID("6f1c2b7e-3d4a-5b8c-9e0f-1a2b3c4d5e6f")


@dataclass(frozen=True)
class LineageNode:
    """A node: its ``kind`` (one of :data:`CHAIN`), ``id``, display ``name`` and facts."""

    kind: str
    id: str
    name: str
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"kind", "id", "name", "attributes"}``."""
        return {"kind": self.kind, "id": self.id, "name": self.name,
                "attributes": dict(self.attributes)}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LineageNode:
        """The inverse of :meth:`to_dict`."""
        return cls(str(data["kind"]), str(data["id"]), str(data["name"]),
                   dict(data.get("attributes") or {}))  # fmt: skip


@dataclass(frozen=True)
class LineageLink:
    """An edge ``source`` → ``target`` (each ``(kind, id)``) with its ``relation``."""

    source: tuple[str, str]
    target: tuple[str, str]
    relation: str
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"source": {"kind", "id"}, "target": {...}, "relation", "attributes"}``."""
        return {
            "source": {"kind": self.source[0], "id": self.source[1]},
            "target": {"kind": self.target[0], "id": self.target[1]},
            "relation": self.relation,
            "attributes": dict(self.attributes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LineageLink:
        """The inverse of :meth:`to_dict`."""
        s, t = data["source"], data["target"]
        return cls((str(s["kind"]), str(s["id"])), (str(t["kind"]), str(t["id"])),
                   str(data["relation"]), dict(data.get("attributes") or {}))  # fmt: skip


@dataclass(frozen=True)
class LineageGraph:
    """The lineage of one model version (``subject``), upstream and downstream.

    >>> graph = LineageGraph("fraud@production", (
    ...     LineageNode("dataset", "d1", "train"), LineageNode("run", "r1", "run-1"),
    ...     LineageNode("model_version", "v1", "fraud:1")), (
    ...     LineageLink(("dataset", "d1"), ("run", "r1"), "trained_on"),
    ...     LineageLink(("run", "r1"), ("model_version", "v1"), "produced")))
    >>> print(graph.to_text())
    lineage of fraud@production
    dataset        train
      -> trained_on -> run run-1
    run            run-1
      -> produced -> model_version fraud:1
    model_version  fraud:1
    """

    subject: str
    nodes: tuple[LineageNode, ...]
    links: tuple[LineageLink, ...]

    def to_dict(self) -> dict[str, Any]:
        """``{"subject", "nodes": [...], "edges": [...]}``."""
        return {
            "subject": self.subject,
            "nodes": [n.to_dict() for n in self.nodes],
            "edges": [e.to_dict() for e in self.links],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LineageGraph:
        """The inverse of :meth:`to_dict`."""
        return cls(
            str(data["subject"]),
            tuple(LineageNode.from_dict(n) for n in data.get("nodes", [])),
            tuple(LineageLink.from_dict(e) for e in data.get("edges", [])),
        )

    def node(self, kind: str, node_id: str) -> LineageNode | None:
        """The node of this kind and id, or None."""
        return next((n for n in self.nodes if n.kind == kind and n.id == node_id), None)

    def _ordered(self) -> list[LineageNode]:
        rank = {k: i for i, k in enumerate(CHAIN)}
        return sorted(self.nodes, key=lambda n: rank.get(n.kind, len(CHAIN)))

    def to_text(self) -> str:
        """The chain, one node a line in chain order, each followed by its outgoing edges."""
        lines = [f"lineage of {self.subject}"]
        for node in self._ordered():
            facts = ", ".join(
                f"{k}={v}" for k, v in node.attributes.items() if v is not None and v != ""
            )
            lines.append(f"{node.kind:<14} {node.name}" + (f"  ({facts})" if facts else ""))
            for link in self.links:
                if link.source == (node.kind, node.id):
                    target = self.node(*link.target)
                    shown = target.name if target is not None else link.target[1]
                    lines.append(f"  -> {link.relation} -> {link.target[0]} {shown}")
        return "\n".join(lines)

    def to_openlineage(self, namespace: str) -> list[dict[str, Any]]:
        """The graph as OpenLineage ``RunEvent`` objects (``COMPLETE``), one per job.

        Each node with inputs becomes a job run: a training run reads its data sets and
        writes the model version; an alias move reads the version and writes the alias;
        the monitor reads the alias and writes its windows. Data sets are named
        ``datasets/<name>``, versions ``models/<model>/versions/<version>``, aliases
        ``models/<model>/aliases/<alias>``; run ids are UUIDs derived from the node ids.
        """
        events: list[dict[str, Any]] = []
        for node in self._ordered():
            inputs = [link.source for link in self.links if link.target == (node.kind, node.id)]
            if not inputs or node.kind in ("dataset", "model_version"):
                continue
            if node.kind == "run":
                outputs = [
                    link.target for link in self.links if link.source == (node.kind, node.id)
                ]
                job = f"train/{node.name}"
            else:
                outputs = [(node.kind, node.id)]
                job = f"{node.kind}/{node.name}"
            time = node.attributes.get("time") or node.attributes.get("moved_at")
            events.append(
                {
                    "eventType": "COMPLETE",
                    "eventTime": str(time) if time else datetime.now(UTC).isoformat(),
                    "producer": PRODUCER,
                    "schemaURL": RUN_EVENT_SCHEMA,
                    "run": {"runId": str(uuid.uuid5(_NAMESPACE_UUID, f"{node.kind}:{node.id}"))},
                    "job": {"namespace": namespace, "name": job},
                    "inputs": [self._dataset(namespace, ref) for ref in inputs],
                    "outputs": [self._dataset(namespace, ref) for ref in outputs],
                }
            )
        return events

    def _dataset(self, namespace: str, ref: tuple[str, str]) -> dict[str, Any]:
        node = self.node(*ref)
        name = node.name if node is not None else ref[1]
        attributes = dict(node.attributes) if node is not None else {}
        if ref[0] == "dataset":
            out: dict[str, Any] = {"namespace": namespace, "name": f"datasets/{name}"}
            schema = attributes.get("schema")
            if isinstance(schema, Mapping):
                out["facets"] = {
                    "schema": {
                        "_producer": PRODUCER,
                        "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/"
                        "SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
                        "fields": [{"name": k, "type": str(v)} for k, v in schema.items()],
                    }
                }
            return out
        if ref[0] == "model_version":
            model, _, version = name.rpartition(":")
            return {"namespace": namespace, "name": f"models/{model}/versions/{version}"}
        return {"namespace": namespace, "name": f"{ref[0]}/{name}"}
