"""Ed25519 signing keys (``cryptography``) and signed tree heads.

The signing key is a PEM file (PKCS #8, unencrypted, mode 0600). Where it lives:

1. the ``key`` argument of :class:`~driftline.audit.AuditLog`, else
2. the path in ``DRIFTLINE_AUDIT_KEY``, else
3. next to a SQLite database file: ``<database file>.audit-key.pem``, else
4. ``./.driftline/audit-key.pem`` (PostgreSQL without ``DRIFTLINE_AUDIT_KEY``), and for an
   in-memory SQLite database a key held in memory only.

A missing file is created at first use. The public key (32 raw bytes, shown as hex) is
what a verifier trusts; ``key_id`` is its SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from driftline._deps import require
from driftline.audit._canonical import canonical_json
from driftline.exceptions import ParameterError, SerializationError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = [
    "KEY_ENV",
    "LOG_NAME",
    "SignedTreeHead",
    "SigningKey",
    "default_key_path",
    "verify_signature",
]

#: The environment variable naming the signing key's file.
KEY_ENV: Final = "DRIFTLINE_AUDIT_KEY"
#: Bound into every signed tree head, so that a signature cannot be replayed elsewhere.
LOG_NAME: Final = "driftline-audit/1"


def _ed25519() -> Any:
    require("cryptography", extra="serve")
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519


def key_id(public_key: bytes) -> str:
    """The hex SHA-256 of a raw public key."""
    return hashlib.sha256(public_key).hexdigest()


class SigningKey:
    """An Ed25519 private key that signs tree heads.

    >>> key = SigningKey.generate()
    >>> len(key.public_key), verify_signature(key.public_key, b"m", key.sign(b"m"))
    (32, True)
    """

    def __init__(self, private: Ed25519PrivateKey, path: Path | None = None) -> None:
        from cryptography.hazmat.primitives import serialization

        self._private = private
        self.path = path
        self.public_key: bytes = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.key_id = key_id(self.public_key)

    @classmethod
    def generate(cls) -> SigningKey:
        """A new key, held in memory."""
        return cls(_ed25519().Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SigningKey:
        """The key in the PEM file ``path``."""
        _ed25519()
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        file = Path(path)
        try:
            private = serialization.load_pem_private_key(file.read_bytes(), password=None)
        except (ValueError, TypeError) as exc:
            raise SerializationError(
                f"The audit key file {str(file)!r} is not an unencrypted PEM private key: {exc}"
            ) from None
        if not isinstance(private, Ed25519PrivateKey):
            raise SerializationError(
                f"The audit key file {str(file)!r} holds a {type(private).__name__}; the audit "
                "log signs with Ed25519 keys. Delete it (a new key is created) or point "
                f"{KEY_ENV} at an Ed25519 key."
            )
        return cls(private, file)

    @classmethod
    def load_or_create(cls, path: str | os.PathLike[str]) -> SigningKey:
        """The key in ``path``; a new one written there (mode 0600) if the file is missing."""
        from cryptography.hazmat.primitives import serialization

        file = Path(path)
        if file.exists():
            return cls.load(file)
        key = cls.generate()
        pem = key._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        file.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a temporary name, then linked into place: a concurrent reader
        # never sees a partial file, and of two processes creating it one wins.
        temporary = file.with_name(f".{file.name}.{os.getpid()}.{id(key)}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temporary, file)
            except FileExistsError:  # another process created it meanwhile
                return cls.load(file)
        finally:
            temporary.unlink(missing_ok=True)
        key.path = file
        return key

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        signature: bytes = self._private.sign(message)
        return signature

    def public_key_pem(self) -> str:
        """The public key as a PEM ``PUBLIC KEY`` block (SubjectPublicKeyInfo)."""
        from cryptography.hazmat.primitives import serialization

        return (
            self._private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``public_key``'s Ed25519 signature of ``message``."""
    from cryptography.exceptions import InvalidSignature

    ed25519 = _ed25519()
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def default_key_path(database: str | None, backend: str) -> Path | None:
    """Where the signing key lives when no ``key`` is given (``None``: in memory)."""
    configured = os.environ.get(KEY_ENV)
    if configured:
        return Path(configured).expanduser()
    if backend == "sqlite":
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return Path(database).expanduser().with_name(Path(database).name + ".audit-key.pem")
    return Path(".driftline") / "audit-key.pem"


@dataclass(frozen=True)
class SignedTreeHead:
    """The log's size and root hash at a time, signed with the log's key.

    The signed bytes are the canonical JSON of ``{"log", "root_hash" (hex), "timestamp_ms",
    "tree_size"}`` (:meth:`message`).
    """

    tree_size: int
    root_hash: bytes
    timestamp_ms: int
    key_id: str
    signature: bytes

    def message(self) -> bytes:
        """The bytes the signature covers."""
        return head_message(self.tree_size, self.root_hash, self.timestamp_ms)

    def verify(self, public_key: bytes) -> bool:
        """Whether the signature is ``public_key``'s (and the key is the head's ``key_id``)."""
        return key_id(public_key) == self.key_id and verify_signature(
            public_key, self.message(), self.signature
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: hashes in hex, the signature in base64."""
        return {
            "log": LOG_NAME,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "timestamp_ms": self.timestamp_ms,
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> SignedTreeHead:
        """The head :meth:`to_dict` wrote (``ParameterError`` naming what is wrong)."""
        try:
            if data.get("log", LOG_NAME) != LOG_NAME:
                raise ValueError(f"'log' is {data.get('log')!r}, not {LOG_NAME!r}")
            size, ts = data["tree_size"], data["timestamp_ms"]
            if not (isinstance(size, int) and isinstance(ts, int)) or size < 0:
                raise ValueError("'tree_size' and 'timestamp_ms' must be non-negative integers")
            root = bytes.fromhex(data["root_hash"])
            if len(root) != 32:
                raise ValueError("'root_hash' must be 64 hex digits")
            return cls(
                size,
                root,
                ts,
                str(data["key_id"]),
                base64.b64decode(data["signature"], validate=True),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ParameterError(f"Not a signed tree head: {exc}.") from None


def head_message(tree_size: int, root_hash: bytes, timestamp_ms: int) -> bytes:
    """The canonical bytes a tree head's signature covers."""
    return canonical_json(
        {
            "log": LOG_NAME,
            "root_hash": root_hash.hex(),
            "timestamp_ms": timestamp_ms,
            "tree_size": tree_size,
        }
    )


def sign_head(
    key: SigningKey, tree_size: int, root_hash: bytes, timestamp_ms: int
) -> SignedTreeHead:
    """A tree head signed with ``key``."""
    signature = key.sign(head_message(tree_size, root_hash, timestamp_ms))
    return SignedTreeHead(tree_size, root_hash, timestamp_ms, key.key_id, signature)
