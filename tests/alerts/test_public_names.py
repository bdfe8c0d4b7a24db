"""The public surface of ``driftline.alerts`` and the one error tree it raises from."""

from __future__ import annotations

import inspect

import driftline.alerts
import driftline.client
import driftline.exceptions as exceptions

ALERTS = {
    # rules and their evaluation
    "KINDS", "RuleSpec", "StoredRule", "format_validation_error",
    "Evaluation", "EvaluationContext", "Firing", "check_rule", "evaluate",
    # storage and delivery
    "AlertRepository", "event_to_dict", "AlertEngine", "DeliveryStats", "HttpPoster",
    # the channel registry and the built-in channels
    "ChannelSpec", "SignedChannelSpec", "ChannelType", "Notification", "Notifier",
    "register_channel", "channel_types", "get_channel_type", "default_notifiers",
    "resolve_channels",
    "WebhookChannel", "SlackChannel", "RetrainChannel",
    # signatures, for receivers
    "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "sign_body", "verify_signature",
}  # fmt: skip


def test_alerts_exports_exactly_its_public_set() -> None:
    assert set(driftline.alerts.__all__) == ALERTS  # was 44 names, internals included
    assert not hasattr(driftline.alerts._notifiers, "AnyChannel")  # dead code removed


def test_every_error_is_in_the_one_tree_with_its_builtin_base() -> None:
    classes = {
        name: cls
        for name, cls in vars(exceptions).items()
        if inspect.isclass(cls) and issubclass(cls, Exception)
    }
    assert set(classes) == set(exceptions.__all__)
    for cls in classes.values():
        assert cls.__name__ in (exceptions.__doc__ or ""), f"{cls.__name__} is not drawn"
        if issubclass(cls, Warning):  # warnings are drawn apart from the error tree
            assert issubclass(cls, UserWarning), cls
            continue
        assert issubclass(cls, exceptions.DriftlineError), cls
    builtins = {
        "ParameterError": ValueError, "DataError": ValueError, "UnsupportedInputError": TypeError,
        "NotFittedError": AttributeError, "SerializationError": ValueError,
        "MissingDependencyError": ImportError, "NotFoundError": LookupError,
        "ApiNotFoundError": LookupError, "ClientTimeoutError": TimeoutError,
        "UnsafeURLError": ValueError,
    }  # fmt: skip
    for name, base in builtins.items():
        assert issubclass(classes[name], base), name
    assert issubclass(exceptions.UnsafeURLError, exceptions.DeliveryError)
    assert issubclass(exceptions.UnsafeURLError, exceptions.ParameterError)


def test_client_and_server_raise_the_shared_api_error() -> None:
    from driftline.server._errors import ApiError as ServerApiError

    assert driftline.client.ApiError is exceptions.ApiError
    assert driftline.client.ApiNotFoundError is exceptions.ApiNotFoundError
    assert driftline.client.ClientTimeoutError is exceptions.ClientTimeoutError
    err = ServerApiError(404, "No such rule.")
    assert isinstance(err, exceptions.ApiError)
    assert (err.status, err.code, err.message) == (404, "not_found", "No such rule.")
