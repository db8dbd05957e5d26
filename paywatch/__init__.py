"""paywatch: observability and incident response for card payments."""

from paywatch.taxonomy import Outcome, Reason

__all__ = ["Outcome", "Reason", "__version__"]

__version__ = "0.1.0"
