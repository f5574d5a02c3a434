"""Group robots (群机器人) of WeCom (企业微信), DingTalk (钉钉) and Feishu (飞书): the notices
that are e-mailed also go to the work-chat groups where the zone's people talk.

- `models`: a channel (one robot, attached to a department, the leaders or the zone office)
  and a delivery (one message to one channel, recorded in the transaction that records
  the notice or publishes the briefing).
- `vendors`: each vendor's documented request: URL, JSON body, signature, limits, errors.
- `deliveries`: which notices go where, and the words of the messages.
- `sending`: the sender, run by `tasks`, throttled per channel, retrying with back-off.
"""
