"""``Client.send_predictions``: one synchronous batch against the real server; a batch sent
twice is stored once; an unreachable server raises ``ApiError`` with no status."""

from __future__ import annotations

import pyarrow as pa
import pytest

from driftline.client import ApiError, Client, IngestReceipt

from .conftest import Deployment, count, frame, free_port


def test_send_predictions_is_synchronous_and_idempotent(deployment: Deployment) -> None:
    with Client(deployment.url, deployment.token) as client:
        client.create_model("sync", exist_ok=True)
        client.register_version("sync", "1", reference=frame(200, seed=1), target="label")
        rows = frame(50, seed=2).drop(columns="label")
        rows["prediction_id"] = [f"p{i}" for i in range(50)]
        rows.loc[3, "score"] = 7.0  # out of [0, 1]: refused, with its reason
        table = pa.Table.from_pandas(rows, preserve_index=False)
        first = client.send_predictions("sync", "1", table)
        assert isinstance(first, IngestReceipt)
        assert first.accepted == 49
        assert first.duplicates == ()
        assert [(row, pid) for row, pid, _ in first.rejected] == [(3, "p3")]
        assert count(deployment.engine, "sync", "1") == 49  # stored before the call returned
        again = client.send_predictions("sync", "1", table)
        assert again.accepted == 0
        assert len(again.duplicates) == 49
        assert count(deployment.engine, "sync", "1") == 49


def test_send_predictions_to_an_unreachable_server_raises() -> None:
    client = Client(f"http://127.0.0.1:{free_port()}", "dl_x_y", project="p", retries=0)
    with pytest.raises(ApiError) as info:
        client.send_predictions("m", "1", pa.table({"x": [1.0], "prediction_id": ["a"]}))
    assert info.value.status is None
    client.close(timeout=0.1)
