"""The Slack stand-in: a real HTTP server answering the Slack Web API methods the product
calls the way Slack does, recording every call, with faults on request.

It is the product's offline mode (`oco slack-standin`) and the tests' Slack. Point
slack_sdk/Bolt at it with `base_url=<url>/api/` and the stand-in's bot token.
"""
