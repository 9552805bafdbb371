"""What an operator can set for the service, read from environment variables with safe defaults."""

import os
from dataclasses import dataclass, field

from api.url_fetch import FetchPolicy

PREFIX = "TEXT_RECOGNIZER_"


@dataclass(frozen=True)
class Settings:
    max_body_bytes: int = 8 * 1024 * 1024  # request bodies: a phone photo fits
    max_pixels: int = 16_000_000  # checked from the image header, before any pixel is decoded
    default_task: str = "handwriting"  # real handwriting (Lab 4); "line" is the EMNIST Lines model of Lab 2
    fetch: FetchPolicy = field(default_factory=FetchPolicy)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        """Settings from `TEXT_RECOGNIZER_*` variables:

        MAX_BODY_BYTES, MAX_PIXELS, DEFAULT_TASK, URL_MAX_BYTES, URL_TIMEOUT_S and URL_ALLOWLIST (host
        names or addresses, comma-separated, that image URLs may point to even when they are private).
        """
        env = os.environ if environ is None else environ
        defaults, fetch_defaults = cls(), FetchPolicy()

        def number(name: str, default, kind=int):
            value = env.get(PREFIX + name)
            if value is None:
                return default
            try:
                parsed = kind(value)
            except ValueError as error:
                raise ValueError(f"{PREFIX}{name}={value!r} is not a {kind.__name__}") from error
            if parsed <= 0:
                raise ValueError(f"{PREFIX}{name} must be positive, not {value}")
            return parsed

        allowlist = env.get(PREFIX + "URL_ALLOWLIST", "")
        return cls(
            max_body_bytes=number("MAX_BODY_BYTES", defaults.max_body_bytes),
            max_pixels=number("MAX_PIXELS", defaults.max_pixels),
            default_task=env.get(PREFIX + "DEFAULT_TASK", defaults.default_task),
            fetch=FetchPolicy(
                max_bytes=number("URL_MAX_BYTES", fetch_defaults.max_bytes),
                timeout_s=number("URL_TIMEOUT_S", fetch_defaults.timeout_s, float),
                allowlist=frozenset(host.strip().lower() for host in allowlist.split(",") if host.strip()),
            ),
        )
