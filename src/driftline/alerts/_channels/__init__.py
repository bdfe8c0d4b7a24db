"""The built-in notification channels, one module each: importing this package registers them.

A new channel is one more module here (a :class:`~driftline.alerts.ChannelSpec` subclass
decorated with :func:`~driftline.alerts.register_channel`) and one import below;
:func:`driftline.testing.check_notifier` then runs over it in the test suite.
"""

from driftline.alerts._channels import _retrain, _slack, _webhook

__all__: list[str] = []
del _retrain, _slack, _webhook
