"""Outgoing mail: messages are written to the `mail_outbox` table in the transaction that
creates what they carry, and a background sender in every serve process delivers them.

`core` decides (backoff, giving up, what a mail URL means); `ports` names the transport;
`shell` holds the SMTP and log transports, the outbox repository and the sender loop.
"""
