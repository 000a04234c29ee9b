"""The operation picture: live national figures and cross-force links for the coordination cell.

A faust-streaming worker (``pentameter analytics run``) reads the national coordination cell's
partner topic, checks every record's router provenance with the partner SDK, and keeps faust
tables of the operation's figures (by force, region and ISO week) and of the pseudonymised
tokens seen by more than one force. Link alerts go to ``pentameter.links``; a small web
dashboard serves the figures and the alerts.

The counting (:mod:`consumers.analytics.figures`) and the link detection
(:mod:`consumers.analytics.links`) are plain Python, tested without faust or Kafka.
"""
