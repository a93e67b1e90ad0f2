"""Notifier: the outbound door to Slack — DMs, channel invites, user groups, App Home.

It owns delivery state, so a redelivered event never posts twice, and it turns Slack's
answers into outcomes: retry (rate limits, 5xx, time-outs) or refuse (→ DLQ and
`notification.failed`). Other services' messages get their own handler module under
`handlers/`, registered in `main.HANDLER_MODULES`.
"""
