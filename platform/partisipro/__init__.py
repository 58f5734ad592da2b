"""Partisipro: tokenised PPP infrastructure investing."""
