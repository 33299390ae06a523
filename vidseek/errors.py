"""Errors a user can act on. Their message is printed as-is; no traceback."""


class VidseekError(Exception):
    """Base class: the message says what is wrong and how to fix it."""


class ModelError(VidseekError):
    """The model spec is invalid, or its weights cannot be loaded."""


class ModelMismatchError(VidseekError):
    """The index was built with a different model than the one asked for."""


class DecodeError(VidseekError):
    """A file cannot be probed or decoded as a video."""


class ModelChangedError(VidseekError):
    """The library switched to another model (a re-embed finished) while a query was being answered."""


class StorageError(VidseekError):
    """A file of the library (the database, the FAISS index path) cannot be used as it is; nothing was
    changed. The message names the file and what to do."""


class Conflict(VidseekError):
    """What was asked for clashes with work already under way (a re-embed queued or running); try again
    once it ends."""


class MissingExtra(VidseekError):
    """A setting asks for an optional part of vidseek that is not installed; the message names the extra."""
