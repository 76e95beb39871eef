"""The SMS channel on Twilio: inbound webhook, delivery-status webhook, sender, simulator.

Everything Twilio-specific lives in this folder; the conversation is :mod:`bot`'s and the
pipeline is :mod:`intake`'s.
"""
