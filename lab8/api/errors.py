"""Errors the API answers with a 4xx JSON body `{"error": ..., "detail": ...}` instead of a 500."""


class ApiError(Exception):
    """`error` is a short stable code clients can branch on; `detail` says what to do, for people."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail

    def as_json(self) -> dict[str, str]:
        return {"error": self.error, "detail": self.detail}
