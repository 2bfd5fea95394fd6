"""The exceptions lstmkit raises for problems a user can fix.

Library code raises these; only the command line prints them (as one ``error: ...`` line)
and turns them into exit code 2. Anything else escaping is a bug (exit code 1).
"""


class LstmkitError(Exception):
    """A problem with the user's input, configuration or files, with a message that says the fix."""


class DataError(LstmkitError):
    """The data cannot be used: missing, malformed, too short, or not what the model expects."""


class ConfigError(LstmkitError):
    """A flag, configuration file or hyperparameter has a wrong name, type or value."""


class CheckpointError(LstmkitError):
    """A model folder or training checkpoint is missing, damaged, unsafe or of an unknown format."""
