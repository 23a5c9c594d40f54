"""Corpus scale: analyse many documents into tables of statements and summaries, and check them."""
