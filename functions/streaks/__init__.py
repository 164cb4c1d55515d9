"""Check-ins and streaks, judged in the user's local day. Knows nothing about billing."""
