"""The operation picture: live national figures and cross-force links for the coordination cell.

A faust-streaming worker (``pentameter analytics run``) reads the national coordination cell's
partner topic, checks every record's router provenance with the partner SDK, and keeps faust
tables of the operation's figures (by force, region and ISO week) and of the pseudonymised
tokens seen by more than one force (a name only when a shared identifier corroborates it). Link
alerts go to ``pentameter.links``; a small web dashboard serves the figures, weekly trends and
the alerts, and refreshes itself in place.

The counting (:mod:`consumers.analytics.figures`), the link detection
(:mod:`consumers.analytics.links`) and the page (:mod:`consumers.analytics.dashboard`) are plain
Python, tested without faust or Kafka; :mod:`consumers.analytics.live` runs the worker in its own
process for the demo and the tests and compares its figures with the generator's ground truth.
"""
