"""Errors the gateway knows how to answer; anything else is a bug, logged with an id."""

from __future__ import annotations


class GatewayError(Exception):
    """A failure the person should hear about, in both languages."""

    status = 500

    def __init__(self, message_en: str, *, message_ja: str = "") -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_ja = message_ja or message_en

    @property
    def user_text(self) -> str:
        return f"{self.message_ja}\n{self.message_en}"


class BusUnavailable(GatewayError):
    """The bus did not take the event in time: answer 5xx so Slack retries, never drop it."""

    status = 503

    def __init__(self, reason: str) -> None:
        super().__init__(
            "The city office could not record this right now. Please try again in a minute.",
            message_ja="市役所が混み合っていて受け付けられませんでした。少し待ってからもう一度お試しください。",
        )
        self.reason = reason

    def __str__(self) -> str:
        return f"bus unavailable: {self.reason}"


class MalformedPayload(GatewayError):
    """Signed by Slack but not something Slack sends: answered with 400."""

    status = 400

    def __init__(self, reason: str) -> None:
        super().__init__("The request could not be understood.", message_ja="リクエストを理解できませんでした。")
        self.reason = reason

    def __str__(self) -> str:
        return f"malformed payload: {self.reason}"


class SlackUnavailable(GatewayError):
    """A Web API call the person is waiting for (opening a modal) failed."""

    status = 502

    def __init__(self, method: str, reason: str) -> None:
        super().__init__(
            "Slack did not open the form in time. Please try again.",
            message_ja="フォームを開けませんでした。もう一度お試しください。",
        )
        self.method, self.reason = method, reason

    def __str__(self) -> str:
        return f"{self.method} failed: {self.reason}"
