"""The exceptions lstmkit raises for problems a user can fix.

Library code raises these; only the command line prints them (as one ``error: ...`` line)
and turns them into exit code 2. Anything else escaping is a bug (exit code 1).

:class:`ConfigError` is also a :class:`ValueError` (and :class:`ConfigTypeError` a
:class:`TypeError`), so code written against torch (``except ValueError``) catches the layer's
constructor errors as it catches ``torch.nn.LSTM``'s.
"""


class LstmkitError(Exception):
    """A problem with the user's input, configuration or files, with a message that says the fix."""


class DataError(LstmkitError):
    """The data cannot be used: missing, malformed, too short, or not what the model expects."""


class ConfigError(LstmkitError, ValueError):
    """A flag, configuration file or hyperparameter has a wrong name, type or value."""


class ConfigTypeError(ConfigError, TypeError):
    """A hyperparameter of the wrong type (``hidden_size=5.0``, ``batch_first="False"``)."""


class CheckpointError(LstmkitError):
    """A model folder or training checkpoint is missing, damaged, unsafe or of an unknown format."""


class NotFittedError(DataError):
    """A model used before ``fit()`` or ``load()``.

    A :class:`DataError`, since the forecaster always raised one there (and code catching
    ``LstmkitError`` catches it as before for the other jobs).
    """
