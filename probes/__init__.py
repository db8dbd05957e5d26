"""Synthetic journeys: scheduler, HTTP and ISO 8583 steps, the reversal guarantee."""
