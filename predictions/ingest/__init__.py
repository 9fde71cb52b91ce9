"""Ingest: turn an episode summary (Markdown) into candidate predictions for review.

`document` reads the Markdown's structure, `forward` decides what is a prediction and its
horizon and speaker, `transcript` finds each candidate's passage in a recording's
transcript, `propose` ties them together and stores `Candidate` rows idempotently.
"""
