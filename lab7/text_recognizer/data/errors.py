"""Errors raised by the data layer; each message says what went wrong and what to do."""


class DataError(RuntimeError):
    """Base class for data problems a user can fix."""


class DataFormatError(DataError):
    """A raw file is not in the format it claims to be."""


class ChecksumMismatchError(DataError):
    """A downloaded file's digest differs from the one recorded in metadata.toml."""


class DownloadError(DataError):
    """A file could not be downloaded from any of its URLs."""


class MissingDataError(DataError):
    """A dataset is needed but is neither present locally nor downloadable."""
